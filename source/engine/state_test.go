package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/streams"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2021, 6, 1, 10, 10, 10, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"2021-06-01 10:10:10", want, false},       // v1, and the old connector's state
		{"2021-06-01T10:10:10Z", want, false},      // v2
		{"2021-06-01T12:10:10+02:00", want, false}, // offsets
		{"2021-06-01 10:10:10Z", want, false},      // old connector start date
		{"2021-06-01T10:10:10.000Z", want, false},  // leads, milliseconds
		{"2021-06-01T10:10:10", want, false},       // no zone: UTC
		{"2021-06-01", want.Truncate(24 * time.Hour), false},
		{" 2021-06-01T10:10:10Z ", want, false},
		{"June 1st", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (err %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseAndEncodeState(t *testing.T) {
	deals, _ := streams.Lookup("deals")
	users, _ := streams.Lookup("users")
	at := time.Date(2021, 6, 1, 10, 10, 10, 0, time.UTC)
	tests := []struct {
		st   streams.Stream
		in   string
		want time.Time
		err  bool
	}{
		{deals, ``, time.Time{}, false},
		{deals, `null`, time.Time{}, false},
		{deals, `{}`, time.Time{}, false},
		{deals, `{"update_time":"2021-06-01 10:10:10"}`, at, false}, // old connector
		{deals, `{"update_time":"2021-06-01T12:10:10+02:00"}`, at, false},
		{deals, `{"update_time":""}`, time.Time{}, false},
		{users, `{"modified":"2021-06-01 10:10:10"}`, at, false},
		{users, `{"update_time":"2021-06-01T10:10:10Z"}`, at, false},
		{deals, `{"update_time":12}`, time.Time{}, true},
		{deals, `{"update_time":"soon"}`, time.Time{}, true},
		{deals, `[1]`, time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseState(tt.st, json.RawMessage(tt.in))
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseState(%s, %s) = %v, %v", tt.st.Name, tt.in, got, err)
		}
	}
	if got := string(encodeState(deals, at.Add(500*time.Millisecond))); got != `{"update_time":"2021-06-01T10:10:10Z"}` {
		t.Errorf("encodeState(deals) = %s", got)
	}
	if got := string(encodeState(users, at)); got != `{"modified":"2021-06-01T10:10:10Z"}` {
		t.Errorf("encodeState(users) = %s", got)
	}
	if got := string(encodeState(deals, time.Time{})); got != `{}` {
		t.Errorf("encodeState(zero) = %s", got)
	}
}

func TestTopLevelFields(t *testing.T) {
	rec := []byte(`{"nested":{"update_time":"1999-01-01 00:00:00","id":7},"s":"a\",\"update_time\":\"x","id": 42 ,"update_time":"2024-01-02T03:04:05Z","x":[{"id":1}]}`)
	if id, ok := intField(rec, "id"); !ok || id != 42 {
		t.Errorf("id = %d, %v", id, ok)
	}
	if ts, ok := cursorTime(rec, "update_time"); !ok || !ts.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("update_time = %v, %v", ts, ok)
	}
	for _, bad := range []string{`{"update_time":null}`, `{}`, `[]`, `{"update_time":"nope"}`, `{"a":1`} {
		if _, ok := cursorTime([]byte(bad), "update_time"); ok {
			t.Errorf("cursorTime(%s) ok", bad)
		}
	}
	if _, ok := intField([]byte(`{"id":"abc"}`), "id"); ok {
		t.Error("string id parsed as int")
	}
}
