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

// FuzzParseTailState: a call_logs state either gives an error and no
// watermark, or one that encode writes back as the same watermark (an
// unusable one, without an id, as {}: a whole read).
func FuzzParseTailState(f *testing.F) {
	for _, s := range []string{`{"offset":120,"last_id":"call-120"}`, `{"offset":0}`, `{"offset":5}`, `{"last_id":"x"}`, `{}`, `null`, ``,
		`{"offset":-1,"last_id":"a"}`, `{"offset":"7","last_id":"a"}`, `{"offset":1.5,"last_id":"a"}`, `{"offset":3,"last_id":7}`,
		`{"update_time":"2024-01-02T03:04:05Z"}`, `[1]`, `{"offset":1e30,"last_id":"a"}`, `{"offset":2,"last_id":"\u00e9\n"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		w, err := parseTailState(raw)
		if err != nil {
			if w != (tailState{}) {
				t.Fatalf("error %v with %+v", err, w)
			}
			return
		}
		if w.Offset < 0 || (w.Offset > 0 && w.LastID == "") {
			t.Fatalf("%q -> %+v: a watermark without an id", raw, w)
		}
		enc := w.encode()
		if !json.Valid(enc) {
			t.Fatalf("encode wrote invalid JSON %q", enc)
		}
		want := w
		if w.Offset == 0 {
			want = tailState{} // no position: from the start
		}
		if back, err := parseTailState(enc); err != nil || back != want {
			t.Fatalf("%q -> %+v -> %s -> %+v, %v", raw, w, enc, back, err)
		}
	})
}

// FuzzParseSweepState: an archived stream's sweep keys either give an
// error and nothing, or times that encodeArchivedState writes back the
// same to the second, beside the cursor.
func FuzzParseSweepState(f *testing.F) {
	for _, s := range []string{`{"update_time":"2026-11-27T12:00:00Z","swept_at":"2026-12-01T08:00:00Z","sweep_from":"2026-11-27T11:00:00Z"}`,
		`{"update_time":"2026-11-27T12:00:00Z"}`, `{"swept_at":""}`, `{"tail_start":499}`, `{"tail_start":-1}`, `{"tail_start":1.5}`, `{"tail_start":"3"}`, `{"tail_start":1e300}`, `{"swept_at":null}`, `{"swept_at":5}`, `{"sweep_from":"garbage"}`, `{}`, `null`, ``, `"x"`} {
		f.Add([]byte(s))
	}
	st, _ := streams.Lookup("deals_archived")
	f.Fuzz(func(t *testing.T, raw []byte) {
		sw, err := parseSweepState(raw)
		if err != nil {
			if sw != (sweepState{}) {
				t.Fatalf("error %v with %+v", err, sw)
			}
			return
		}
		cur, _ := parseState(st, raw)
		enc := encodeArchivedState(st, cur, sw)
		if !json.Valid(enc) {
			t.Fatalf("invalid JSON %q", enc)
		}
		back, err := parseSweepState(enc)
		if err != nil || !back.At.Equal(sw.At.Truncate(time.Second)) || (!sw.At.IsZero() && !back.From.Equal(sw.From.Truncate(time.Second))) || back.TailStart != sw.TailStart {
			t.Fatalf("%q -> %+v -> %s -> %+v, %v", raw, sw, enc, back, err)
		}
		if c2, err := parseState(st, enc); err != nil || !c2.Equal(cur.Truncate(time.Second)) {
			t.Fatalf("%q: cursor %v -> %s -> %v, %v", raw, cur, enc, c2, err)
		}
	})
}
