package readable

import (
	"encoding/json"
	"testing"
)

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // key=value
		bad  bool
	}{
		{`{}`, nil, false},
		{` { "a" : 1 , "b":"x\"}y\\","c":{"d":[1,{"e":"]"}]},"f":null} `, []string{`a=1`, `b="x\"}y\\"`, `c={"d":[1,{"e":"]"}]}`, `f=null`}, false},
		{`{"a":"\\\\"}`, []string{`a="\\\\"`}, false},
		{`{"a":1`, nil, true},
		{`[1]`, nil, true},
		{`{"a" 1}`, nil, true},
		{`{"a":"unterminated}`, nil, true},
	} {
		var got []string
		err := members([]byte(tc.in), func(k, v []byte) { got = append(got, string(k)+"="+string(v)) })
		if (err != nil) != tc.bad {
			t.Errorf("%s: err %v", tc.in, err)
			continue
		}
		if !tc.bad && len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range tc.want {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}

// FuzzMembers: on valid JSON objects the scanner finds the members
// encoding/json finds, and it never panics on anything.
func FuzzMembers(f *testing.F) {
	f.Add([]byte(`{"a":"x\\\"y","b":[{"c":"}"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		err := members(b, func(k, v []byte) { n++ })
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil && m != nil {
			if err != nil {
				t.Fatalf("valid object %q: %v", b, err)
			}
			if n < len(m) {
				t.Fatalf("%q: %d members, encoding/json %d", b, n, len(m))
			}
		}
	})
}

func TestUnescapeMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{`"plain"`, `"a\"b\\c\/d\n\r\t\b\f"`, `"\u00e9\u20ac"`, `"\ud83d\ude00 smile"`, `"\ud83d alone"`, `"tail\\"`} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		got, ok := text([]byte(in))
		if !ok || got != want {
			t.Errorf("text(%s) = %q %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := text([]byte(`"bad \x"`)); ok {
		t.Error("a bad escape was accepted")
	}
}

// slowCF finds custom_fields by walking the record from the start.
func slowCF(rec []byte) (int, bool) {
	at, found := -1, false
	_, err := walk(rec, skipWS(rec, 0), func(k []byte, vs int) int {
		ve, ok := skipValue(rec, vs)
		if !ok {
			return -1
		}
		if string(k) == "custom_fields" && rec[vs] == '{' {
			at, found = vs, true
		} else {
			found = false // not the last member
		}
		return ve
	})
	return at, found && err == nil
}

func TestLastMember(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"id":1,"custom_fields":{"a":{"value":1}}}`, true},
		{`{"custom_fields":{}}`, true},
		{` {"id":1 , "custom_fields" : { "a" : "}\"{" } } `, true},
		{`{"id":1,"custom_fields":{"a":"x\\"}}`, true},
		{`{"custom_fields":{"a":1},"id":2}`, false},
		{`{"x":{"custom_fields":{"a":1}}}`, false},
		{`{"note":"\",\"custom_fields\":{}","custom_fields":null}`, false},
		{`{"note":"a\"custom_fields\":{\"b\":1}"}`, false},
		{`{"id":1,"xcustom_fields":{}}`, false},
	} {
		got, ok := lastMember([]byte(tc.in), "custom_fields")
		want, wok := slowCF([]byte(tc.in))
		if ok != tc.ok || ok != wok || ok && got != want {
			t.Errorf("%s: lastMember %d %v, walk %d %v, want ok %v", tc.in, got, ok, want, wok, tc.ok)
		}
	}
}

// FuzzLastMember: on valid JSON objects reading back from the end finds
// custom_fields exactly where the forward walk does (when it is last).
func FuzzLastMember(f *testing.F) {
	f.Add([]byte(`{"id":1,"custom_fields":{"a":"}\\\""}}`))
	f.Add([]byte(`{"n":"\"custom_fields\":{}","custom_fields":{"b":[1,{"c":"]"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		got, ok := lastMember(b, "custom_fields")
		if !ok {
			return
		}
		want, wok := slowCF(b)
		if !wok || got != want {
			t.Fatalf("%q: lastMember %d, walk %d %v", b, got, want, wok)
		}
	})
}
