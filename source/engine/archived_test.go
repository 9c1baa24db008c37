package engine_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
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
// sync of its archived stream. Where the records carry archive_time
// (projects), the sync returns exactly the boundary and the newly archived
// record, and the state moves to the archive time; where they carry none
// (/deals/archived, /leads/archived declare none), every archived record
// comes again, with a note, rather than a hole.
func TestArchivedSinceTheState(t *testing.T) {
	for _, tt := range []struct {
		stream, entity string
		exact          bool // records carry archive_time
	}{
		{"deals_archived", "deals", false},
		{"leads_archived", "leads", false},
		{"projects_archived", "projects", true},
	} {
		t.Run(tt.stream, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 34, Scale: 600, ArchiveKeepsUpdateTime: true})
			c := newClient(t, sim, nil)
			res, col := run(t, c, runCfg{streams: incr(tt.stream)})
			mustComplete(t, res)
			if diff := sameRecords(sim, tt.stream, col.records[tt.stream]); diff != "" {
				t.Fatalf("first sync: %s", diff)
			}
			state := col.lastState(tt.stream)
			boundary := boundaryIDs(t, tt.stream, col.records[tt.stream], state)

			sim.Advance(24 * time.Hour)
			recs := sim.Records(tt.entity)
			old := recs[len(recs)/4] // updated long before the state
			id := idOf(t, tt.entity, old)
			if err := sim.Archive(tt.entity, id); err != nil {
				t.Fatal(err)
			}
			var now json.RawMessage
			for _, r := range sim.Records(tt.stream) {
				if idOf(t, tt.stream, r) == id {
					now = r
				}
			}
			if stateTime(state).Before(maxCursor(t, "update_time", []json.RawMessage{now})) {
				t.Fatalf("precondition: the archived record %s was updated after the state %s", now, state)
			}
			res, col = run(t, c, runCfg{streams: incr(tt.stream), state: stateOf(tt.stream, state)})
			mustComplete(t, res)
			got := col.ids(tt.stream)
			if !slices.Contains(got, id) {
				t.Fatalf("the record archived since the state (%s, update_time unchanged) is missing: %v", id, got)
			}
			if tt.exact {
				if want := uniqSorted(append(boundary, id)); !slices.Equal(got, want) {
					t.Errorf("second sync %v, want the boundary and the archived record %v", got, want)
				}
				if st := stateTime(col.lastState(tt.stream)); !st.Equal(sim.Now()) {
					t.Errorf("state %s, want the archive time %s", col.lastState(tt.stream), engine.FormatState(sim.Now()))
				}
				return
			}
			if diff := sameRecords(sim, tt.stream, col.records[tt.stream]); diff != "" {
				t.Errorf("second sync without archive times: %s, want every archived record", diff)
			}
			noted := false
			for _, ev := range col.events(engine.Log) {
				noted = noted || ev.Stream == tt.stream && strings.Contains(ev.Message, "no archive_time")
			}
			if !noted {
				t.Error("no note that archived records without archive_time come again")
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
