package readable

import (
	"encoding/json"
	"fmt"
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

// objectMembers is the search of decodeFound without the decoding: where
// the object values of rec's top-level members named key start; ok false
// when the search cannot tell.
func objectMembers(rec []byte, key string, dst []int) (starts []int, ok bool) {
	if i := skipWS(rec, 0); i >= len(rec) || rec[i] != '{' {
		return dst, false
	}
	vs, found := firstKey(rec, key)
	if !found {
		return dst, vs == -1 // -1: key is nowhere in rec
	}
	if rec[vs] != '{' {
		return dst, false // a null (or other) custom_fields: the walk decides
	}
	ve, ok := skipValue(rec, vs)
	if !ok {
		return dst, false
	}
	return restOfObject(rec, ve, key, append(dst, vs))
}

// slowCF finds custom_fields by walking the record from the start: the
// starts of the object values of its top-level members of that name.
func slowCF(rec []byte) ([]int, bool) {
	var at []int
	_, err := walk(rec, skipWS(rec, 0), func(k []byte, vs int) int {
		ve, ok := skipValue(rec, vs)
		if !ok {
			return -1
		}
		if string(k) == "custom_fields" && rec[vs] == '{' {
			at = append(at, vs)
		}
		return ve
	})
	return at, err == nil
}

func TestObjectMembers(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool // found by the search
	}{
		{`{"id":1,"custom_fields":{"a":{"value":1}}}`, true},
		{`{"custom_fields":{}}`, true},
		{` {"id":1 , "custom_fields" : { "a" : "}\"{" } } `, true},
		{`{"id":1,"custom_fields":{"a":"x\\"}}`, true},
		{`{"custom_fields":{"a":1},"id":2}`, true},
		{`{"id":0,"custom_fields":{"a":1},"products_count":2,"s":"a\"b","o":{"x":[1,"]"]},"t":true,"n":null,"f":-1.5e3}`, true},
		{`{"id":1}`, true},
		{`{}`, true},
		{`{"title":"custom_fields","custom_fields":{"a":1}}`, true},
		{`{"my_custom_fields":{"b":2},"custom_fields_x":1,"custom_fields":{"a":1}}`, true},
		{`{"k\"custom_fields":{"b":2},"custom_fields":{"a":1}}`, true},
		{`{"k\\":"custom_fields","custom_fields":{"a":1}}`, true},
		{`{"custom_fields":{"a":1},"custom_fields":{"b":2}}`, true},
		{`{"custom_fields":{"a":1},"x":{"custom_fields":{"b":2}}}`, true},
		{`{"custom_fields":{"a":1},"custom_fields":null}`, true},
		{`{"custom_fields":null,"custom_fields":{"a":1}}`, false},
		{`{"x":{"custom_fields":{"a":1}}}`, false},
		{`{"x":[{"custom_fields":{"a":1}}],"custom_fields":{"b":1}}`, false},
		{`{"note":"\",\"custom_fields\":{}","custom_fields":null}`, false},
		{`{"note":"a\"custom_fields\":{\"b\":1}"}`, true},
	} {
		got, ok := objectMembers([]byte(tc.in), "custom_fields", nil)
		want, wok := slowCF([]byte(tc.in))
		if !wok {
			t.Fatalf("%s: not valid", tc.in)
		}
		if ok != tc.ok || ok && fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: objectMembers %v %v, walk %v, want ok %v", tc.in, got, ok, want, tc.ok)
		}
	}
}

// FuzzLastMember (the name kept for its corpus): on valid JSON objects
// the search for custom_fields finds exactly the members the forward walk
// finds, or says it cannot tell; it never panics on anything.
func FuzzLastMember(f *testing.F) {
	f.Add([]byte(`{"id":1,"custom_fields":{"a":"}\\\""}}`))
	f.Add([]byte(`{"n":"\"custom_fields\":{}","custom_fields":{"b":[1,{"c":"]"}]}}`))
	f.Add([]byte(`{"custom_fields":{"a":1},"products_count":2,"x":[true,null,"\\"]}`))
	f.Add([]byte(`{"k\"custom_fields":{"b":2},"x":{"custom_fields":{}},"custom_fields":{"a":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := objectMembers(b, "custom_fields", nil)
		if !ok || !json.Valid(b) {
			return
		}
		want, wok := slowCF(b)
		if !wok || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: objectMembers %v, walk %v %v", b, got, want, wok)
		}
	})
}
