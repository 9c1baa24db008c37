package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// export is what a JSONL export of the same runs holds: per stream, the
// last record seen of every primary key, and the states to resume from.
type export struct {
	mu     sync.Mutex
	last   map[string]map[string]json.RawMessage
	states map[string]json.RawMessage
	full   map[string]bool
}

func (e *export) Emit(_ context.Context, ev engine.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch ev.Kind {
	case engine.StreamStarted:
		if e.full[ev.Stream] {
			e.last[ev.Stream] = map[string]json.RawMessage{} // a full refresh replaces
		}
	case engine.Records:
		st, _ := streams.Lookup(ev.Stream)
		m := e.last[ev.Stream]
		if m == nil {
			m = map[string]json.RawMessage{}
			e.last[ev.Stream] = m
		}
		for _, r := range ev.Records {
			var v map[string]json.RawMessage
			if err := json.Unmarshal(r, &v); err != nil {
				return err
			}
			m[string(v[st.PrimaryKey[0]])] = append(json.RawMessage(nil), r...)
		}
	case engine.Checkpoint:
		if len(ev.State) > 0 {
			e.states[ev.Stream] = append(json.RawMessage(nil), ev.State...)
		}
	}
	return nil
}

func TestSimulatorRuns(t *testing.T) {
	srv := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 7, Scale: 300, Plan: pipedrivetest.PlanUltimate, BurstLimit: 100000})
	t.Cleanup(srv.Close)
	cl, err := client.New(client.Options{BaseURL: srv.URL(), Auth: client.TokenAuth(srv.Token()), UserAgent: "pdx-test"})
	if err != nil {
		t.Fatal(err)
	}
	incremental := []string{"deals", "persons", "organizations", "leads", "products", "activities", "notes"}
	full := []string{"pipelines", "stages", "deal_fields", "lead_sources"}
	var plan []engine.ConfiguredStream
	modes := map[string]engine.Mode{}
	ex := &export{last: map[string]map[string]json.RawMessage{}, states: map[string]json.RawMessage{}, full: map[string]bool{}}
	for _, n := range incremental {
		plan = append(plan, engine.ConfiguredStream{Name: n, Mode: engine.Incremental})
		modes[n] = engine.Incremental
	}
	for _, n := range full {
		plan = append(plan, engine.ConfiguredStream{Name: n, Mode: engine.FullRefresh})
		modes[n] = engine.FullRefresh
		ex.full[n] = true
	}
	dir := t.TempDir()
	sync := func(at time.Time) {
		t.Helper()
		s, err := Open(ctx, Options{Dir: dir, Modes: modes, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		state := map[string]json.RawMessage{}
		for k, v := range ex.states {
			if modes[k] == engine.Incremental {
				state[k] = v
			}
		}
		res, err := engine.Run(ctx, engine.Options{Client: cl, Streams: plan, State: state, Sink: engine.MultiSink(s, ex), Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(res.Err()); err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			t.Fatalf("run: %v", res.Err())
		}
	}
	sync(t0)
	check(t, dir, ex, append(incremental, full...))
	before := one(t, dir, "SELECT count(*) FROM deals_history")

	// Mutations between the runs: one deal edited, one deleted, one
	// archived; a person added; a stage edited.
	srv.Advance(time.Hour)
	ids := sortedKeys(ex.last["deals"])
	for _, m := range []struct {
		fn func(string, string) error
		id string
	}{{srv.Update, ids[0]}, {srv.Delete, ids[1]}, {srv.Archive, ids[2]}} {
		if err := m.fn("deals", m.id); err != nil {
			t.Fatal(err)
		}
	}
	srv.Insert("persons")
	if err := srv.Update("stages", sortedKeys(ex.last["stages"])[0]); err != nil {
		t.Fatal(err)
	}
	sync(t0.Add(time.Hour))
	check(t, dir, ex, append(incremental, full...))

	// History: the edited and the deleted deal got a second version; the
	// archived one left the deals listing, so its row is unchanged (a
	// tombstone from reconciliation will mark it).
	after := one(t, dir, "SELECT count(*) FROM deals_history")
	b, _ := strconv.Atoi(before)
	a, _ := strconv.Atoi(after)
	if a != b+2 {
		t.Fatalf("deals_history: %d versions after the second run, want %d + 2", a, b)
	}
	for _, c := range []struct{ id, want string }{{ids[0], "2|0"}, {ids[1], "2|1"}, {ids[2], "1|0"}} {
		equal(t, "versions of deal "+c.id, query(t, dir, "SELECT count(*), max(is_deleted) FROM deals_history WHERE id = ? AND (_pdx_valid_to IS NULL OR is_deleted = 0)", c.id), []string{c.want})
	}
	equal(t, "stages history-less", query(t, dir, "SELECT count(*) FROM sqlite_schema WHERE name = 'stages_history'"), []string{"0"})
	equal(t, "integrity", query(t, dir, "PRAGMA integrity_check"), []string{"ok"})
	for _, n := range append(incremental, full...) {
		t.Logf("%s: %s rows", n, one(t, dir, fmt.Sprintf("SELECT count(*) FROM %q", n)))
	}
}

// check: every table holds exactly the distinct primary keys of the export,
// each row as the last record seen (its update time; for tables without one
// the row count is the check).
func check(t *testing.T, dir string, ex *export, names []string) {
	t.Helper()
	for _, n := range names {
		st, _ := streams.Lookup(n)
		want := ex.last[n]
		if got := one(t, dir, fmt.Sprintf("SELECT count(*) FROM %q", n)); got != strconv.Itoa(len(want)) {
			t.Fatalf("%s: %s rows, want %d (distinct %s in the export)", n, got, len(want), st.PrimaryKey[0])
		}
		if n == "deals" && len(want) < 100 {
			t.Fatalf("deals: only %d records: the simulator's scale is off", len(want))
		}
		if st.Cursor != "update_time" {
			continue
		}
		rows := query(t, dir, fmt.Sprintf("SELECT json_quote(%q) || '|' || coalesce(update_time, 'NULL') FROM %q", st.PrimaryKey[0], n))
		got := map[string]bool{}
		for _, r := range rows {
			got[r] = true
		}
		for pk, rec := range want {
			var v struct {
				UpdateTime *string `json:"update_time"`
			}
			json.Unmarshal(rec, &v)
			ut := "NULL"
			if v.UpdateTime != nil {
				ut = *v.UpdateTime
			}
			if !got[pk+"|"+ut] {
				t.Fatalf("%s %s: the row is not the last record seen (update_time %s)", n, pk, ut)
			}
		}
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i])
		b, _ := strconv.Atoi(out[j])
		return a < b
	})
	return out
}
