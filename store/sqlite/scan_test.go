package sqlite

import (
	"encoding/json"
	"testing"
)

// strEnd finds the closing quote however many backslashes precede quotes.
func TestStrEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1: unterminated
	}{
		{`""`, 2},
		{`"abc",`, 5},
		{`"a\"b"`, 6},
		{`"a\\"x`, 5},
		{`"a\\\"b"`, 8},
		{`"\\\\"`, 6},
		{`"\"`, -1},
		{`"abc`, -1},
		{`"é\u0022"}`, 10},
	}
	for _, tt := range tests {
		if got := strEnd([]byte(tt.in), 0); got != tt.want {
			t.Errorf("strEnd(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// members agrees with encoding/json on the values of escaped strings.
func TestMembersEscapes(t *testing.T) {
	rec := `{"a":"x\\","b":"q\"uote","c":{"d":"\\\"}"},"e":[1,"]"],"f":2}`
	var want map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rec), &want); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	if err := members([]byte(rec), func(k, v []byte) error { got[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("members = %v, want %d members", got, len(want))
	}
	for k, v := range want {
		if got[k] != string(v) {
			t.Errorf("member %s = %s, want %s", k, got[k], v)
		}
	}
}
