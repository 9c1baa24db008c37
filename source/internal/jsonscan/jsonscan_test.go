package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1: incomplete
	}{
		{`1`, 1},
		{`-12.5e3,`, 7},
		{`true]`, 4},
		{`null}`, 4},
		{`"a"`, 3},
		{`"a\"b" x`, 6},
		{`"a\\" x`, 5},
		{`"a\\\"" x`, 7},
		{`{"a":[1,{"b":"}"}]} tail`, 19},
		{`[[],[[]]],`, 9},
		{`{"a":"]"`, -1},
		{`[1,2`, -1},
		{`"open`, -1},
		{``, -1},
		// grammar (issue 11: these passed as records)
		{`{"id":535,,"title":"x"}`, -1},
		{`{"id":1,}`, -1},
		{`{"id":tru}`, -1},
		{`{"additional_data":}`, -1},
		{`{"a" 1}`, -1},
		{`{"a":1 "b":2}`, -1},
		{`{1:2}`, -1},
		{`[1,]`, -1},
		{`[,1]`, -1},
		{`[1 2]`, -1},
		{`nul`, -1},
		{`trueish`, 4}, // the literal ends; what follows is the caller's
		{`01`, 1},
		{`-`, -1},
		{`1.`, -1},
		{`1.e5`, -1},
		{`1e`, -1},
		{`1e+`, -1},
		{`+1`, -1},
		{`.5`, -1},
		{`-0.5E-7]`, 7},
		{`"tab\there"`, 11},
		{"\"raw\ttab\"", -1},
		{"\"new\nline\"", -1},
		{`"\x"`, -1},
		{`"\u12g4"`, -1},
		{`"\u00e9"`, 8},
		{`"\u00e"`, -1},
		{`"abcdefghijklmnop\"qrstuvwxyz0123456789"`, 40},
		{`{"a" : [ true , false , null ] }`, 32},
		{strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), 2 * MaxDepth},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), -1},
	}
	for _, tt := range tests {
		if got := SkipValue([]byte(tt.in), 0); got != tt.want {
			t.Errorf("SkipValue(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSkipSpace(t *testing.T) {
	if got := SkipSpace([]byte(" \t\r\n x"), 0); got != 5 {
		t.Errorf("SkipSpace = %d, want 5", got)
	}
	if got := SkipSpace([]byte("  "), 1); got != 2 {
		t.Errorf("SkipSpace at the end = %d, want 2", got)
	}
}

func TestSplitArray(t *testing.T) {
	tests := []struct {
		in   string
		want []string // nil with end -1: incomplete
		end  int
	}{
		{`[]`, nil, 2},
		{`[ ] x`, nil, 3},
		{`[1, "a,b" ,{"c":[2]}]`, []string{`1`, `"a,b"`, `{"c":[2]}`}, 21},
		{`[{"id":1},{"id":2}]`, []string{`{"id":1}`, `{"id":2}`}, 19},
		{`[{"id":1},{"id":2`, nil, -1},
		{`[1,`, nil, -1},
		{`[1 2]`, nil, -1},
		{`[`, nil, -1},
	}
	for _, tt := range tests {
		got, end := SplitArray([]byte(tt.in), 0)
		if end != tt.end {
			t.Errorf("SplitArray(%s) end = %d, want %d", tt.in, end, tt.end)
			continue
		}
		var s []string
		for _, e := range got {
			s = append(s, string(e))
		}
		if strings.Join(s, "|") != strings.Join(tt.want, "|") {
			t.Errorf("SplitArray(%s) = %q, want %q", tt.in, s, tt.want)
		}
	}
	// Elements are clipped: appending to one does not overwrite the next.
	elems, _ := SplitArray([]byte(`[1,2]`), 0)
	_ = append(elems[0], '9')
	if string(elems[1]) != "2" {
		t.Errorf("append to an element overwrote the next: %q", elems[1])
	}
}

func TestField(t *testing.T) {
	rec := []byte(` { "a" : {"id":9}, "id":42, "s":"x\"y", "n":null }`)
	tests := []struct {
		key  string
		want string // "" means nil
	}{
		{"id", `42`},
		{"a", `{"id":9}`},
		{"s", `"x\"y"`},
		{"n", `null`},
		{"missing", ""},
	}
	for _, tt := range tests {
		got := Field(rec, tt.key)
		if string(got) != tt.want || (tt.want == "" && got != nil) {
			t.Errorf("Field(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	for _, bad := range []string{``, `[1]`, `{"id"`, `{"a":1 "id":2}`, `{"a":"`, `{id:1}`} {
		if got := Field([]byte(bad), "id"); got != nil {
			t.Errorf("Field(%s) = %q, want nil", bad, got)
		}
	}
	// What Field returns is the value as written: it decodes as JSON.
	var v int
	if err := json.Unmarshal(Field(rec, "id"), &v); err != nil || v != 42 {
		t.Errorf("decoded %d, %v", v, err)
	}
}
