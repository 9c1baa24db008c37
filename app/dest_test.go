package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/store/state"
)

// runDest runs p with the state of its destination (DestState), saved
// being the profile as saved.
func (e *env) runDest(t *testing.T, saved, p profile.Profile) Summary {
	t.Helper()
	pl, st := e.planState(t, saved, p)
	sum, err := Run(context.Background(), Options{ProfileName: "test", Profile: p, Plan: &pl, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !sum.OK() {
		t.Fatalf("run not ok: %+v", sum.Streams)
	}
	return sum
}

// pkSet reads the primary keys of every stream in dir written as format.
func pkSet(t *testing.T, format, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, name := range streams.Defaults() { // what a sync without --streams writes
		s, _ := streams.Lookup(name)
		path := filepath.Join(dir, s.Name+"."+format)
		var keys []string
		switch format {
		case "jsonl":
			for _, l := range lines(t, path) {
				var m map[string]json.RawMessage
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				var parts []string
				for _, k := range s.PrimaryKey {
					var str string
					if json.Unmarshal(m[k], &str) != nil {
						str = string(m[k])
					}
					parts = append(parts, str)
				}
				keys = append(keys, strings.Join(parts, "|"))
			}
		case "csv":
			rows := readCSVRows(t, path)
			if len(rows) == 0 {
				t.Fatalf("%s: no header", path)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			for _, r := range rows[1:] {
				var parts []string
				for _, k := range s.PrimaryKey {
					i, ok := col[k]
					if !ok {
						t.Fatalf("%s: no %s column", path, k)
					}
					parts = append(parts, r[i])
				}
				keys = append(keys, strings.Join(parts, "|"))
			}
		}
		sort.Strings(keys)
		keys = compactStrings(keys) // an incremental append repeats its boundary
		out[s.Name] = keys
	}
	return out
}

func compactStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func total(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// TestFreshDestinationGetsEverything is issue 12 item 1: after a full JSONL
// sync, a CSV sync into a fresh directory exports every record (the same
// primary keys), a second CSV run is incremental, and the JSONL
// destination's state is not touched by either.
func TestFreshDestinationGetsEverything(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 12, Scale: 300})
	jsonlDir, csvDir := filepath.Join(e.out, "jsonl"), filepath.Join(e.out, "fresh")
	saved := e.prof
	saved.Format, saved.OutDir = "jsonl", jsonlDir

	first := e.runDest(t, saved, saved)
	want := pkSet(t, "jsonl", jsonlDir)
	jl, err := e.states.LoadDest("test", state.Dest{Format: "jsonl", Dir: jsonlDir})
	if err != nil {
		t.Fatal(err)
	}
	jsonlState := jl.Messages()
	if len(jl.Streams()) == 0 {
		t.Fatal("the JSONL run saved no state")
	}

	csvP := saved
	csvP.Format, csvP.OutDir = "csv", csvDir
	fresh := e.runDest(t, saved, csvP)
	got := pkSet(t, "csv", csvDir)
	for _, s := range streams.All() {
		if strings.Join(got[s.Name], ",") != strings.Join(want[s.Name], ",") {
			t.Errorf("%s: fresh CSV has %d keys, the first full JSONL sync %d", s.Name, len(got[s.Name]), len(want[s.Name]))
		}
	}
	if fresh.Records() != first.Records() {
		t.Errorf("fresh CSV wrote %d records, the first JSONL sync %d", fresh.Records(), first.Records())
	}

	second := e.runDest(t, saved, csvP)
	for _, ss := range second.Streams {
		st, _ := streams.Lookup(ss.Name)
		if ss.Mode == engine.Incremental && st.SupportsIncremental() && ss.Records >= int64(len(want[ss.Name])) && len(want[ss.Name]) > 20 {
			t.Errorf("%s: the second CSV run read %d records of %d: not incremental", ss.Name, ss.Records, len(want[ss.Name]))
		}
	}
	if second.Records()*4 > first.Records() {
		t.Errorf("the second CSV run wrote %d records of %d: not incremental", second.Records(), first.Records())
	}
	if again := pkSet(t, "csv", csvDir); total(again) != total(want) {
		t.Errorf("after the second CSV run: %d keys, want %d", total(again), total(want))
	}
	jl2, err := e.states.LoadDest("test", state.Dest{Format: "jsonl", Dir: jsonlDir})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jl2.Messages(), jsonlState) {
		t.Error("the CSV runs changed the JSONL destination's state")
	}
	t.Logf("first JSONL %d records, fresh CSV %d (keys %d = %d), second CSV %d", first.Records(), fresh.Records(), total(got), total(want), second.Records())
}

// TestLegacyStateStaysWithItsDestination: the per-profile state of before
// destinations is adopted by the directory run.json recorded, so that
// destination stays incremental, and another directory gets everything.
func TestLegacyStateStaysWithItsDestination(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 13, Scale: 200})
	dir := filepath.Join(e.out, "old")
	p := e.prof
	p.Streams, p.Format, p.OutDir = []string{"deals", "persons"}, "jsonl", dir
	full := e.run(t, p, nil) // the legacy <profile>/state.json
	if _, err := os.Stat(filepath.Join(e.states.Dir(), "test", "state.json")); err != nil {
		t.Fatal(err)
	}
	savedProfile := p
	savedProfile.OutDir = "somewhere-else" // run.json's outputs win over the profile
	again := e.runDest(t, savedProfile, p)
	if again.Records() >= full.Records() {
		t.Errorf("the legacy destination re-read %d of %d records: its state was lost", again.Records(), full.Records())
	}
	other := p
	other.OutDir = filepath.Join(e.out, "new")
	if n := e.runDest(t, savedProfile, other).Records(); n != full.Records() {
		t.Errorf("a new directory got %d records, want all %d", n, full.Records())
	}
	if _, err := os.Stat(filepath.Join(e.states.Dir(), "test", "state.json")); !os.IsNotExist(err) {
		t.Errorf("legacy state.json still in place: %v", err)
	}
}

// TestStdoutHasNoLocalState: a sync to "-" gets an ephemeral state (the
// pipe's reader keeps what it received), so it is always a full export.
func TestStdoutHasNoLocalState(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 14, Scale: 50})
	p := e.prof
	p.Format, p.OutDir = "airbyte", "-"
	if _, ok := output.Lookup("airbyte"); !ok {
		t.Skip("no airbyte format")
	}
	pl, err := PlanSync(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := DestState(e.states, "test", p, pl)
	if err != nil || !st.IsEphemeral() {
		t.Fatalf("stdout state: ephemeral %v, %v", st != nil && st.IsEphemeral(), err)
	}
}

// TestRunRefusesAnotherDestinationsState: a state bound to one directory
// cannot drive a run into another.
func TestRunRefusesAnotherDestinationsState(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 15, Scale: 20})
	st, err := e.states.LoadDest("test", state.Dest{Format: "jsonl", Dir: filepath.Join(e.out, "a")})
	if err != nil {
		t.Fatal(err)
	}
	p := e.prof
	p.Format, p.OutDir = "jsonl", filepath.Join(e.out, "b")
	_, err = Run(context.Background(), Options{ProfileName: "test", Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st})
	if err == nil || !strings.Contains(err.Error(), "not of this run's destination") {
		t.Fatalf("err = %v", err)
	}
}

func TestDestStreams(t *testing.T) {
	ss := state.OpenDir(t.TempDir())
	st, err := ss.LoadDest("acme", state.Dest{Format: "csv", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Checkpoint("deals", json.RawMessage(`{"update_time":"2026-11-30T10:00:00Z"}`), nil); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(mustTime(t, "2026-12-01T00:00:00Z"), map[string]int64{"deals": 7}); err != nil {
		t.Fatal(err)
	}
	for _, ds := range DestStreams(st) {
		switch ds.Name {
		case "deals":
			if !ds.Has || ds.Cursor != "2026-11-30T10:00:00Z" || ds.Records != 7 || ds.Synced.IsZero() {
				t.Errorf("deals: %+v", ds)
			}
		default:
			if ds.Has || ds.Records != -1 {
				t.Errorf("%s: %+v", ds.Name, ds)
			}
		}
	}
	ds, err := ss.Dests("acme")
	if err != nil || len(ds) != 1 || ds[0].Format != "csv" {
		t.Errorf("Dests = %v, %v", ds, err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The table `pdx state show` prints: a per-parent stream's cursor is its
// own update_time, not the JSON of its parents' positions, and only a
// stream that can go on from a cursor is read incrementally.
func TestDestStreamCursorAndMode(t *testing.T) {
	tests := []struct {
		name, state, cursor string
		incremental         bool
	}{
		{"deals", `{"update_time":"2026-11-30T10:00:00Z"}`, "2026-11-30T10:00:00Z", true},
		{"deal_products", `{"parents":{"deals":"2026-11-24T08:05:18Z"},"update_time":"2026-04-21T14:41:32Z"}`, "2026-04-21T14:41:32Z", true},
		{"deal_fields", `{}`, "", false},
		{"users", `{"modified":"2026-03-02T12:00:00Z"}`, "2026-03-02T12:00:00Z", true},
		{"call_logs", `{"offset":2000,"last_id":"call-2000"}`, "record 2000 (id call-2000)", true},
		{"call_logs", `{}`, "", false},
		{"deals_archived", `{"swept_at":"2026-12-01T08:00:00Z","sweep_from":"2026-11-27T11:00:00Z","update_time":"2026-11-27T12:00:00Z"}`, "2026-11-27T12:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := DestStream{Name: tt.name, Has: true, Cursor: cursorOf(json.RawMessage(tt.state))}
			if ds.Cursor != tt.cursor || ds.Incremental() != tt.incremental {
				t.Errorf("cursor %q incremental %v, want %q %v", ds.Cursor, ds.Incremental(), tt.cursor, tt.incremental)
			}
		})
	}
	if (DestStream{Name: "deals"}).Incremental() {
		t.Error("a stream without state reads incrementally")
	}
}
