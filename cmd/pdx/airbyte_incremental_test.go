package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestAirbyteReadIncrementalChanges: after a first sync, the simulator's
// clock moves on and records change; the second read, from the first one's
// final states, returns exactly the changed records (plus, at most, records
// sitting on the inclusive cursor boundary), deletes included.
func TestAirbyteReadIncrementalChanges(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 14, Scale: 40})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, cs := discover(t, v, cfg)
	streams := []string{"deals", "persons", "notes"}
	cat := writeJSON(t, "catalog.json", catalogOf(cs, "incremental", streams...))
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
	if r.code != 0 {
		t.Fatalf("first read: exit %d: %s", r.code, r.stderr)
	}
	first := airbytetest.CheckRead(t, r.msgs, streams, schemas, true)

	// The state file the platform would keep: the last STATE of each stream.
	last := map[string]string{}
	for _, m := range only(r.msgs, "STATE") {
		last[m.State.Stream.StreamDescriptor.Name] = m.Line
	}
	var states []string
	for _, n := range streams {
		var msg struct {
			State json.RawMessage `json:"state"`
		}
		if err := json.Unmarshal([]byte(last[n]), &msg); err != nil {
			t.Fatal(err)
		}
		states = append(states, string(msg.State))
	}
	stateFile := writeJSON(t, "state.json", "["+strings.Join(states, ",")+"]")

	// Change records the first read returned (ids taken from it, so the
	// test does not depend on which seeded deals are archived or deleted).
	pick := func(stream string, i int) string {
		ids := recordIDs(first.Records[stream])
		if len(ids) <= i {
			t.Fatalf("%s: only %d records", stream, len(ids))
		}
		return strings.Trim(ids[i], `"`)
	}
	updDeal, delDeal, updPerson, updNote := pick("deals", 2), pick("deals", 4), pick("persons", 1), pick("notes", 6)
	s.Advance(time.Hour)
	for _, step := range []struct{ entity, id string }{{"deals", updDeal}, {"persons", updPerson}, {"notes", updNote}} {
		if err := s.Update(step.entity, step.id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete("deals", delDeal); err != nil {
		t.Fatal(err)
	}
	newPerson := s.Insert("persons")
	want := map[string][]string{"deals": {updDeal, delDeal}, "persons": {updPerson, newPerson}, "notes": {updNote}}

	r = pdx(t, v, "read", "--config", cfg, "--catalog", cat, "--state", stateFile)
	if r.code != 0 {
		t.Fatalf("second read: exit %d: %s", r.code, r.stderr)
	}
	second := airbytetest.CheckRead(t, r.msgs, streams, schemas, true)
	for _, n := range streams {
		cursor := stateCursor(t, first.States[n][len(first.States[n])-1])
		got := map[string]json.RawMessage{}
		for _, rec := range second.Records[n] {
			var x struct {
				ID         json.RawMessage `json:"id"`
				UpdateTime string          `json:"update_time"`
			}
			_ = json.Unmarshal(rec, &x)
			id := strings.Trim(string(x.ID), `"`)
			got[id] = rec
			if !contains(toAny(want[n]), id) && !sameInstant(x.UpdateTime, cursor) {
				t.Errorf("%s: record %s (update_time %s) unchanged since the state (%s) came again", n, id, x.UpdateTime, cursor)
			}
		}
		for _, id := range want[n] {
			if got[id] == nil {
				t.Errorf("%s: changed record %s missing from the second read", n, id)
			}
		}
	}
	deleted := false
	for _, rec := range second.Records["deals"] {
		var x struct {
			ID        json.Number `json:"id"`
			IsDeleted bool        `json:"is_deleted"`
		}
		_ = json.Unmarshal(rec, &x)
		deleted = deleted || (x.ID.String() == delDeal && x.IsDeleted)
	}
	if !deleted {
		t.Errorf("deleted deal %s did not come back with is_deleted: true", delDeal)
	}
}

// stateCursor is the cursor value of a stream_state ({"update_time": ...}).
func stateCursor(t *testing.T, st json.RawMessage) string {
	var m map[string]any
	if err := json.Unmarshal(st, &m); err != nil {
		t.Fatal(err)
	}
	for _, v := range m {
		if s, ok := v.(string); ok {
			return s
		}
	}
	t.Fatalf("no cursor in state %s", st)
	return ""
}

// sameInstant compares an RFC 3339 or v1 "YYYY-MM-DD HH:MM:SS" time.
func sameInstant(a, b string) bool {
	parse := func(s string) time.Time {
		for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05"} {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC()
			}
		}
		return time.Time{}
	}
	ta, tb := parse(a), parse(b)
	return !ta.IsZero() && ta.Equal(tb)
}
