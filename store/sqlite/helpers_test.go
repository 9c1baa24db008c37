package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
)

var ctx = context.Background()

// clock is a test clock: every run starts at a given time.
var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func open(t testing.TB, dir string, modes map[string]engine.Mode, at time.Time) *Sink {
	t.Helper()
	s, err := Open(ctx, Options{Dir: dir, Modes: modes, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func emit(t testing.TB, s *Sink, evs ...engine.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := s.Emit(ctx, ev); err != nil {
			t.Fatalf("Emit %s %s: %v", ev.Kind, ev.Stream, err)
		}
	}
}

func page(stream string, recs ...string) engine.Event {
	ev := engine.Event{Kind: engine.Records, Stream: stream}
	for _, r := range recs {
		ev.Records = append(ev.Records, json.RawMessage(r))
	}
	return ev
}

func ckpt(stream string) engine.Event {
	return engine.Event{Kind: engine.Checkpoint, Stream: stream, State: json.RawMessage(`{}`)}
}
func done(stream string) engine.Event {
	return engine.Event{Kind: engine.StreamComplete, Stream: stream}
}

// run writes one run of one stream: its pages, a checkpoint after each, and
// the end of the stream.
func run(t testing.TB, dir, stream string, mode engine.Mode, at time.Time, pages ...[]string) {
	t.Helper()
	s := open(t, dir, map[string]engine.Mode{stream: mode}, at)
	emit(t, s, engine.Event{Kind: engine.StreamStarted, Stream: stream})
	for _, p := range pages {
		emit(t, s, page(stream, p...), ckpt(stream))
	}
	emit(t, s, done(stream))
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
}

// deal is a v2 deal record.
func deal(id int, title string, ut string, extra ...string) string {
	r := fmt.Sprintf(`{"id":%d,"title":%q,"value":12.5,"is_deleted":false,"label_ids":[1,2],"custom_fields":{"abc":{"value":1,"currency":"EUR"}},"update_time":%q`, id, title, ut)
	for _, e := range extra {
		r += "," + e
	}
	return r + "}"
}

func db(t testing.TB, dir string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// query returns every row of q as strings ("NULL" for null), one string per
// row with values joined by "|".
func query(t testing.TB, dir, q string, args ...any) []string {
	t.Helper()
	rows, err := db(t, dir).Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(x)
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func one(t testing.TB, dir, q string, args ...any) string {
	t.Helper()
	r := query(t, dir, q, args...)
	if len(r) != 1 {
		t.Fatalf("%s: %d rows, want 1: %v", q, len(r), r)
	}
	return r[0]
}

func equal(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}
