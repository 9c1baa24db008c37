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
