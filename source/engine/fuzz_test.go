package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/streams"
)

// FuzzParseTime: any accepted cursor is UTC (zone-less values are UTC),
// and what the state writes back (FormatState, RFC 3339) reads as the same
// instant to the second; RFC 3339 with fractions reads back exactly.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-01-02T03:04:05Z", "2024-01-02 03:04:05", "2024-01-02T03:04:05.123Z", "2024-01-02 03:04:05.123456",
		"2024-01-02T03:04:05+02:00", "2024-01-02 03:04:05+0200", "2024-01-02", " 2024-01-02T03:04:05 ", "2217-06-26 21:20:07", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil {
			if !tm.IsZero() {
				t.Fatalf("error %v with %v", err, tm)
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("%q -> %v: not UTC", s, tm)
		}
		back, err := ParseTime(FormatState(tm))
		if err != nil || !back.Equal(tm.Truncate(time.Second)) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, tm, FormatState(tm), back, err)
		}
		exact, err := ParseTime(tm.Format(time.RFC3339Nano))
		if err != nil || !exact.Equal(tm) {
			t.Fatalf("%q -> %v -> %v, %v", s, tm, exact, err)
		}
	})
}

// FuzzParseStreamState: a saved stream_state either gives an error and no
// cursor, or a cursor that, written back by encodeState, reads the same.
func FuzzParseStreamState(f *testing.F) {
	for _, s := range []string{`{"update_time":"2024-01-02T03:04:05Z"}`, `{"update_time":"2017-06-01 10:10:10"}`, `{"modified":"2024-01-02"}`,
		`{}`, `null`, ``, `{"update_time":null}`, `{"update_time":""}`, `{"update_time":5}`, `"x"`, `{"update_time":"garbage"}`} {
		f.Add("deals", []byte(s))
		f.Add("files", []byte(s))
	}
	f.Fuzz(func(t *testing.T, stream string, raw []byte) {
		cur, err := ParseStreamState(stream, raw)
		if err != nil {
			if !cur.IsZero() {
				t.Fatalf("error %v with cursor %v", err, cur)
			}
			return
		}
		if cur.IsZero() {
			return
		}
		st, _ := streams.Lookup(stream)
		back, err := ParseStreamState(stream, encodeState(st, cur))
		if err != nil || !back.Equal(cur.Truncate(time.Second)) {
			t.Fatalf("%s: %q -> %v -> %s -> %v, %v", stream, raw, cur, encodeState(st, cur), back, err)
		}
		if !json.Valid(encodeState(st, cur)) {
			t.Fatal("encodeState wrote invalid JSON")
		}
	})
}
