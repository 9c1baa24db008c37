package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The scanner must agree with encoding/json on what is valid, since what it
// accepts goes to output files and the Airbyte stream unchanged. Seeds are
// here and in testdata/fuzz; run longer with e.g.
//
//	go test -run '^$' -fuzz FuzzJSONScanSkipValue -fuzztime 60s ./source/internal/jsonscan

var seeds = []string{
	`{"success":true,"data":[{"id":1,"title":"a\"b","value":12.5e3,"org":null,"tags":[]}],"additional_data":{"next_cursor":"eyJpZCI6MX0"}}`,
	`{"id":535,,"title":"x"}`, `{"id":1,}`, `{"id":tru}`, `{"additional_data":}`,
	`[1, "a,b" ,{"c":[2]}]`, `"\u00e9\n"`, `-0.5E-7`, `01`, `[1 2]`, "\"raw\ttab\"", ` [ ] `, `{"a":{"b":{"c":[[[]]]}}}`,
	"\"\xff\"", `{"k":"v"} x`, `nul`, `1.`, `"\x"`,
}

// FuzzJSONScanSkipValue: a whole input is accepted exactly when
// json.Valid accepts it, and an accepted prefix is itself valid JSON.
func FuzzJSONScanSkipValue(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		i := SkipSpace(b, 0)
		end := SkipValue(b, i)
		whole := end >= 0 && SkipSpace(b, end) == len(b)
		if whole != json.Valid(b) {
			t.Fatalf("SkipValue accepts the whole of %q: %v; json.Valid: %v", b, whole, !whole)
		}
		if end >= 0 && !json.Valid(b[i:end]) {
			t.Fatalf("SkipValue accepted %q, which is not valid JSON", b[i:end])
		}
	})
}

// FuzzJSONScanSplitArray: the elements of an accepted array are what
// encoding/json finds there, byte for byte, and each is valid.
func FuzzJSONScanSplitArray(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		i := SkipSpace(b, 0)
		if i >= len(b) || b[i] != '[' {
			return
		}
		elems, end := SplitArray(b, i)
		var want []json.RawMessage
		err := json.Unmarshal(b[i:max(end, i)], &want)
		if end < 0 {
			if json.Valid(b[i:]) {
				t.Fatalf("SplitArray rejects the valid array %q", b[i:])
			}
			return
		}
		if err != nil {
			t.Fatalf("SplitArray accepted %q: %v", b[i:end], err)
		}
		if len(elems) != len(want) {
			t.Fatalf("%q: %d elements, encoding/json finds %d", b[i:end], len(elems), len(want))
		}
		for k := range elems {
			if !bytes.Equal(elems[k], want[k]) {
				t.Fatalf("%q: element %d is %q, encoding/json has %q", b[i:end], k, elems[k], want[k])
			}
		}
	})
}

// FuzzJSONScanField: a value Field returns is valid JSON, and for a valid
// object it is the member encoding/json decodes under that key (the first
// one, when a key repeats and no key needs unescaping).
func FuzzJSONScanField(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), "id")
	}
	f.Add([]byte(`{"update_time":"2024-05-01 10:00:00","id":7}`), "update_time")
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		v := Field(b, key)
		if v == nil {
			return
		}
		if !json.Valid(v) {
			t.Fatalf("Field(%q, %q) = %q, not valid JSON", b, key, v)
		}
		var m map[string]json.RawMessage
		if bytes.IndexByte(b, '\\') >= 0 || json.Unmarshal(b, &m) != nil || bytes.Count(b, []byte(`"`+key+`"`)) != 1 {
			return
		}
		if got, ok := m[key]; ok && !bytes.Equal(got, v) {
			t.Fatalf("Field(%q, %q) = %q, encoding/json has %q", b, key, v, got)
		}
	})
}
