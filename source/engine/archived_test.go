package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// TestArchivedDealsWithDeleted (issue 12, item 3): /deals/archived without
// status leaves the deleted archived deals out ("If omitted, all not
// deleted deals are returned"); deals_archived has them, with
// is_deleted:true, in a full and an incremental read.
func TestArchivedDealsWithDeleted(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 32, Scale: 300})
	c := newClient(t, sim, nil)
	sim.Advance(time.Hour)
	for _, step := range []func() error{
		func() error { return sim.Archive("deals", "21") },
		func() error { return sim.Delete("deals", "21") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	for _, mode := range []engine.Mode{engine.FullRefresh, engine.Incremental} {
		res, col := run(t, c, runCfg{streams: []engine.ConfiguredStream{{Name: "deals_archived", Mode: mode}}})
		mustComplete(t, res)
		found := false
		for _, r := range col.records["deals_archived"] {
			if idOf(t, "deals_archived", r) == "21" {
				found = strings.Contains(string(r), `"is_deleted":true`)
			}
		}
		if !found {
			t.Errorf("%s: the deleted archived deal 21 is missing (or not is_deleted:true)", mode)
		}
	}
}

// TestArchivedSinceTheState (issue 12, item 5): a record archived after the
// state whose update_time did not change (Pipedrive documents neither way;
// the simulator's ArchiveKeepsUpdateTime) comes with the next incremental
// sync of an archived stream that scans its whole list every run (neither
// sort nor time filter: projects_archived): exactly the boundary and the
// newly archived record, and the state moves to the archive time.
// deals_archived and leads_archived read only their changes between daily
// sweeps: TestArchivedSweep.
func TestArchivedSinceTheState(t *testing.T) {
	const stream, entity = "projects_archived", "projects"
	sim := newSim(t, pipedrivetest.Options{Seed: 34, Scale: 600, ArchiveKeepsUpdateTime: true})
	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: incr(stream)})
	mustComplete(t, res)
	if diff := sameRecords(sim, stream, col.records[stream]); diff != "" {
		t.Fatalf("first sync: %s", diff)
	}
	state := col.lastState(stream)
	boundary := boundaryIDs(t, stream, col.records[stream], state)

	sim.Advance(24 * time.Hour)
	id := archiveOld(t, sim, c, entity, stream, state)
	res, col = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state)})
	mustComplete(t, res)
	got := col.ids(stream)
	if want := uniqSorted(append(boundary, id)); !slices.Equal(got, want) {
		t.Errorf("second sync %v, want the boundary and the archived record %v (update_time unchanged)", got, want)
	}
	if st := stateTime(col.lastState(stream)); !st.Equal(sim.Now()) {
		t.Errorf("state %s, want the archive time %s", col.lastState(stream), engine.FormatState(sim.Now()))
	}
}

// archiveOld archives a record of entity updated long before state (its
// update_time kept: the sim's ArchiveKeepsUpdateTime) and returns its id.
func archiveOld(t *testing.T, sim *pipedrivetest.Server, c *client.Client, entity, stream string, state json.RawMessage) string {
	t.Helper()
	id := someID(t, c, entity)
	if err := sim.Archive(entity, id); err != nil {
		t.Fatal(err)
	}
	for _, r := range sim.Records(stream) {
		if idOf(t, stream, r) == id && !stateTime(state).After(maxCursor(t, "update_time", []json.RawMessage{r})) {
			t.Fatalf("precondition: the archived record %s was updated after the state %s", r, state)
		}
	}
	return id
}

// someID is the id of a record a quarter into the first page of entity's
// listing (rendering every page of a large simulator, sim.Records, to pick
// one took most of TestArchivedSweep's time).
func someID(t *testing.T, c *client.Client, entity string) string {
	t.Helper()
	st, ok := streams.Lookup(entity)
	if !ok {
		t.Fatalf("no stream %s", entity)
	}
	var id string
	errFirst := errors.New("first page read")
	err := c.Pages(context.Background(), st.Request(nil), func(p client.Page) error {
		if len(p.Records) > 0 {
			id = idOf(t, entity, p.Records[len(p.Records)/4])
		}
		return errFirst
	})
	if !errors.Is(err, errFirst) || id == "" {
		t.Fatalf("listing %s for an id: %v (id %q)", entity, err, id)
	}
	return id
}

// TestArchivedSweep (issue 12 item 5, issue 16 point 2): deals_archived
// reads by updated_since and leads_archived the tail of its update_time
// order, so a run with nothing changed is one request, and a record
// archived with an update_time bump comes the next run; one archived
// without a bump (ArchiveKeepsUpdateTime) cannot be seen that way and comes
// with the next whole sweep, due ArchiveSweepEvery after the last (the
// engine's clock), or in a run that asks for it (a delete reconciliation):
// with the boundary and nothing else where records carry archive_time
// (deals), with every archived record and a note where they carry none
// (leads). Fake clock.
func TestArchivedSweep(t *testing.T) {
	for _, tt := range []struct {
		stream, entity string
		exact          bool // records carry archive_time
		bump           bool // archiving bumps update_time
	}{
		{"deals_archived", "deals", true, false}, {"deals_archived", "deals", true, true},
		{"leads_archived", "leads", false, false}, {"leads_archived", "leads", false, true},
	} {
		name := tt.stream + " archived without an update"
		if tt.bump {
			name = tt.stream + " archived with an update"
		}
		t.Run(name, func(t *testing.T) {
			stream := tt.stream
			sim := newSim(t, pipedrivetest.Options{Seed: 36, Scale: 24000, ArchiveKeepsUpdateTime: !tt.bump}) // 2-3 pages of each
			c := newClient(t, sim, nil)
			clock := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
			at := func(d time.Duration) func() time.Time { return func() time.Time { return clock.Add(d) } }
			res, col := run(t, c, runCfg{streams: incr(stream), now: at(0)})
			mustComplete(t, res)
			if diff := sameRecords(sim, stream, col.records[stream]); diff != "" {
				t.Fatalf("first sync: %s", diff)
			}
			pages := int64(sim.Count(stream)/500 + 1)
			if pages < 2 {
				t.Fatalf("%d pages, want several", pages)
			}
			state := col.lastState(stream)
			var keys map[string]any
			if err := json.Unmarshal(state, &keys); err != nil || keys["swept_at"] != engine.FormatState(clock) || keys["sweep_from"] == nil {
				t.Fatalf("first sync state %s: want the sweep's time and bound (%v)", state, err)
			}
			boundary := boundaryIDs(t, stream, col.records[stream], state)

			// Nothing changed: one request (of several pages), only the
			// boundary (the state's second is inclusive).
			res, col = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state), now: at(time.Hour)})
			mustComplete(t, res)
			st, _ := streams.Lookup(stream)
			if got, reqs, toks := col.ids(stream), res.Streams[0].Stats.Requests, res.Streams[0].Stats.Tokens; reqs != 1 || toks != int64(st.TokenCost) || !slices.Equal(got, boundary) {
				t.Errorf("no-change run: %d requests (%d tokens) and %v, want 1 (%d tokens, of %d pages) and the boundary %v", reqs, toks, got, st.TokenCost, pages, boundary)
			}
			if ev := col.events(engine.StreamStarted); len(ev) != 1 || !strings.Contains(ev[0].Message, "swept at least daily") {
				t.Errorf("no-change run's plan %v: want it to say the list is swept daily", ev)
			}
			state = col.lastState(stream)

			sim.Advance(time.Hour)
			var id string
			if tt.bump {
				id = someID(t, c, tt.entity)
				if err := sim.Archive(tt.entity, id); err != nil {
					t.Fatal(err)
				}
			} else {
				id = archiveOld(t, sim, c, tt.entity, stream, state)
			}
			res, col = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state), now: at(2 * time.Hour)})
			mustComplete(t, res)
			if got := col.ids(stream); slices.Contains(got, id) != tt.bump {
				t.Fatalf("the next incremental run (no sweep due) has the archived record %s: %v, want %v (%v)", id, !tt.bump, tt.bump, got)
			}
			if reqs := res.Streams[0].Stats.Requests; reqs != 1 {
				t.Errorf("no sweep due: %d requests, want 1", reqs)
			}
			if tt.bump {
				return
			}
			for _, sweep := range []struct {
				name string
				cfg  runCfg
			}{
				{"a day after the last sweep", runCfg{now: at(24 * time.Hour)}},
				{"asked for (reconciling deletes)", runCfg{now: at(3 * time.Hour), sweep: true}},
			} {
				cfg := sweep.cfg
				cfg.streams, cfg.state = incr(stream), stateOf(stream, col.lastState(stream))
				res, col2 := run(t, c, cfg)
				mustComplete(t, res)
				swept := false
				for _, ev := range col2.events(engine.Log) {
					swept = swept || ev.Stream == stream && strings.Contains(ev.Message, "sweeping the whole list")
				}
				if !swept {
					t.Errorf("%s: no word that the list is swept", sweep.name)
				}
				got := col2.ids(stream)
				if !slices.Contains(got, id) {
					t.Errorf("%s: the sweep missed the record archived without an update (%s)", sweep.name, id)
				}
				if want := uniqSorted(append(slices.Clone(boundary), id)); tt.exact && !slices.Equal(got, want) {
					t.Errorf("%s: sweep emitted %v, want the boundary and the record archived since %v", sweep.name, got, want)
				}
				if !tt.exact {
					if diff := sameRecords(sim, stream, col2.records[stream]); diff != "" {
						t.Errorf("%s: a sweep without archive times: %s, want every archived record", sweep.name, diff)
					}
					noted := false
					for _, ev := range col2.events(engine.Log) {
						noted = noted || ev.Stream == stream && strings.Contains(ev.Message, "no archive_time")
					}
					if !noted {
						t.Errorf("%s: no note that archived records without archive_time come again", sweep.name)
					}
				}
				// The cursor stays the newest update_time (an archive time
				// may be later than updates not yet read), the sweep moves.
				var keys map[string]any
				if err := json.Unmarshal(col2.lastState(stream), &keys); err != nil || keys["update_time"] != engine.FormatState(stateTime(state)) || keys["swept_at"] != engine.FormatState(cfg.now()) {
					t.Errorf("%s: state %s, want the cursor %s and the sweep at %s", sweep.name, col2.lastState(stream), engine.FormatState(stateTime(state)), engine.FormatState(cfg.now()))
				}
				if reqs := res.Streams[0].Stats.Requests; reqs < pages {
					t.Errorf("%s: %d requests, a sweep reads every page (%d)", sweep.name, reqs, pages)
				}
			}
		})
	}
}

// TestProjectsDeletedAndArchived (issue 12, item 4): deleted projects are
// listed only with status=...,deleted, archived ones only by
// /projects/archived: projects and projects_archived have them all.
func TestProjectsDeletedAndArchived(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 35, Scale: 400}) // 20 projects
	c := newClient(t, sim, nil)
	sim.Advance(time.Hour)
	for _, step := range []func() error{
		func() error { return sim.Delete("projects", "3") },
		func() error { return sim.Archive("projects", "4") },
		func() error { return sim.Archive("projects", "5") },
		func() error { return sim.Delete("projects", "5") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	res, col := run(t, c, runCfg{streams: full("projects", "projects_archived")})
	mustComplete(t, res)
	has := func(stream, id, status string) bool {
		for _, r := range col.records[stream] {
			if idOf(t, stream, r) == id {
				return status == "" || strings.Contains(string(r), `"status":"`+status+`"`)
			}
		}
		return false
	}
	if !has("projects", "3", "deleted") || has("projects", "4", "") || !has("projects", "1", "") {
		t.Errorf("projects: deleted 3 %v, archived 4 %v (want it absent), 1 %v", has("projects", "3", "deleted"), has("projects", "4", ""), has("projects", "1", ""))
	}
	if !has("projects_archived", "4", "") || !has("projects_archived", "5", "deleted") || has("projects_archived", "1", "") {
		t.Errorf("projects_archived: archived 4 %v, archived and deleted 5 %v, 1 %v (want it absent)", has("projects_archived", "4", ""), has("projects_archived", "5", "deleted"), has("projects_archived", "1", ""))
	}
	if n, want := len(col.records["projects"])+len(col.records["projects_archived"]), len(sim.Records("projects"))+len(sim.Records("projects_archived"))+2; n != want {
		t.Errorf("%d projects in both streams, want %d (every project, the 2 deleted ones included)", n, want)
	}
}

// TestSortedTail: leads_archived's tail read when the offsets moved or the
// order is not the one assumed. An old archived lead updated since the
// state moves to the end and shifts the rest down: the read steps back and
// still finds it, with the boundary, in a few requests. Answers out of
// ascending order (the simulator's reverse-sort fault) are noticed, warned
// about, and the whole list is read: nothing at or after the state missed.
func TestSortedTail(t *testing.T) {
	const stream = "leads_archived"
	for _, tt := range []struct {
		name     string
		change   func(t *testing.T, sim *pipedrivetest.Server) string // the id that must come
		maxReqs  int64
		warnings string
	}{
		{"an old one updated", func(t *testing.T, sim *pipedrivetest.Server) string {
			recs := sim.Records(stream)
			id := idOf(t, stream, recs[len(recs)/3])
			if err := sim.Update("leads", id); err != nil {
				t.Fatal(err)
			}
			return id
		}, 3, ""},
		{"answers in reverse order", func(t *testing.T, sim *pipedrivetest.Server) string {
			recs := sim.Records(stream)
			id := idOf(t, stream, recs[len(recs)/3])
			if err := sim.Update("leads", id); err != nil {
				t.Fatal(err)
			}
			sim.Fault(pipedrivetest.Fault{Path: "/v1/leads/archived", Kind: pipedrivetest.FaultReverseSort, Times: 1})
			return id
		}, 0, "out of ascending update_time order"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 37, Scale: 24000})
			c := newClient(t, sim, nil)
			clock := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
			now := func() time.Time { return clock }
			res, col := run(t, c, runCfg{streams: incr(stream), now: now})
			mustComplete(t, res)
			state := col.lastState(stream)
			boundary := boundaryIDs(t, stream, col.records[stream], state)
			sim.Advance(time.Hour)
			id := tt.change(t, sim)
			clock = clock.Add(time.Hour)
			res, col = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state), now: now})
			mustComplete(t, res)
			got := col.ids(stream)
			for _, want := range append(slices.Clone(boundary), id) {
				if !slices.Contains(got, want) {
					t.Errorf("%s missing: %v", want, got)
				}
			}
			reqs := res.Streams[0].Stats.Requests
			if tt.maxReqs > 0 && (reqs > tt.maxReqs || !slices.Equal(got, uniqSorted(append(boundary, id)))) {
				t.Errorf("%d requests for %v, want at most %d for the boundary and %s", reqs, got, tt.maxReqs, id)
			}
			warned := false
			for _, ev := range col.events(engine.Log) {
				warned = warned || ev.Level == engine.LevelWarn && strings.Contains(ev.Message, tt.warnings) && tt.warnings != ""
			}
			if warned != (tt.warnings != "") {
				t.Errorf("warned %v, want a warning %q", warned, tt.warnings)
			}
			// and the run after it is back to one request
			res, _ = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, col.lastState(stream)), now: now})
			mustComplete(t, res)
			if reqs := res.Streams[0].Stats.Requests; reqs != 1 {
				t.Errorf("the run after: %d requests, want 1", reqs)
			}
		})
	}
}

// TestSortedTailStateRecordsGone: when the records the state points at
// have left leads_archived (deleted), the tail read cannot see the order
// rise after its start, steps back to where it can, and emits nothing
// older than the state; the run after it is one request again.
func TestSortedTailStateRecordsGone(t *testing.T) {
	const stream = "leads_archived"
	sim := newSim(t, pipedrivetest.Options{Seed: 38, Scale: 24000})
	c := newClient(t, sim, nil)
	now := func() time.Time { return time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC) }
	res, col := run(t, c, runCfg{streams: incr(stream), now: now})
	mustComplete(t, res)
	state := col.lastState(stream)
	for _, id := range boundaryIDs(t, stream, col.records[stream], state) {
		if err := sim.Delete("leads", id); err != nil {
			t.Fatal(err)
		}
	}
	res, col = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state), now: now})
	mustComplete(t, res)
	if n, reqs := len(col.records[stream]), res.Streams[0].Stats.Requests; n != 0 || reqs < 2 || reqs > 3 {
		t.Errorf("%d records in %d requests, want none in 2 or 3 (a step back)", n, reqs)
	}
	res, _ = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, col.lastState(stream)), now: now})
	mustComplete(t, res)
	if reqs := res.Streams[0].Stats.Requests; reqs != 1 {
		t.Errorf("the run after: %d requests, want 1", reqs)
	}
}
