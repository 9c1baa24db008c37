package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/idset"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/store/state"
)

// reconciledStreams are the streams the reconciliation tests sync.
var reconciledStreams = []string{"deals", "deals_archived", "deal_products", "persons", "organizations", "activities", "products", "files", "notes", "leads", "leads_archived", "call_logs"}

// recordsOf reads a JSONL stream file into key → records (a tombstone is a
// record with _pdx_deleted_at).
func recordsOf(t *testing.T, dir, stream string) (ids []string, tombs map[string]int, raw []map[string]json.RawMessage) {
	t.Helper()
	tombs = map[string]int{}
	for _, l := range lines(t, filepath.Join(dir, stream+".jsonl")) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		id := keyString(m["id"])
		if _, ok := m[DeletedAt]; ok {
			if len(m) != 2 {
				t.Errorf("%s: tombstone %s has more than the key and %s", stream, l, DeletedAt)
			}
			var at string
			if json.Unmarshal(m[DeletedAt], &at) != nil {
				t.Errorf("%s: tombstone %s: %s is not a string", stream, l, DeletedAt)
			} else if _, err := time.Parse(time.RFC3339, at); err != nil {
				t.Errorf("%s: tombstone %s: %v", stream, l, err)
			}
			tombs[id]++
			continue
		}
		ids = append(ids, id)
		raw = append(raw, m)
	}
	return ids, tombs, raw
}

func keyString(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// planState is p's plan and its destination's state (saved: the profile
// as saved).
func (e *env) planState(t *testing.T, saved, p profile.Profile) (Plan, *state.Profile) {
	t.Helper()
	pl, err := PlanSync(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := DestState(e.states, "test", saved, pl)
	if err != nil {
		t.Fatal(err)
	}
	return pl, st
}

func (e *env) reconcileRun(t *testing.T, p profile.Profile, reconcile bool) (Summary, error) {
	t.Helper()
	pl, st := e.planState(t, p, p)
	return Run(context.Background(), Options{ProfileName: "test", Profile: p, Plan: &pl, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st, ReconcileDeletes: reconcile})
}

// TestReconcileDeletes: after records are purged (and deal products
// removed), a reconciliation tombstones exactly the delivered ids that are
// gone, once each, across two more reconciliations and a kill between the
// tombstones and the state; archived, never-delivered and live records get
// none; ids delivered by incremental runs count.
func TestReconcileDeletes(t *testing.T) {
	for _, kill := range []bool{false, true} {
		t.Run(fmt.Sprint("kill=", kill), func(t *testing.T) {
			e := newEnv(t, pipedrivetest.Options{Seed: 7, Scale: 300})
			s := e.srv
			p := e.prof
			p.Format, p.OutDir, p.Streams = "jsonl", e.out, reconciledStreams
			if sum, err := e.reconcileRun(t, p, false); err != nil || !sum.OK() {
				t.Fatalf("first sync: %v %+v", err, sum.Streams)
			}
			// A deal delivered by an incremental run, purged later.
			s.Advance(time.Hour)
			late := s.Insert("deals")
			if sum, err := e.reconcileRun(t, p, false); err != nil || !sum.OK() {
				t.Fatalf("incremental sync: %v", err)
			}
			want := map[string][]string{}
			first := func(stream string, n int) []string {
				ids, _, _ := recordsOf(t, e.out, stream)
				return ids[:n]
			}
			purge := func(entity, stream string, ids ...string) {
				for _, id := range ids {
					if err := s.Purge(entity, id); err != nil {
						t.Fatalf("purge %s %s: %v", entity, id, err)
					}
					want[stream] = append(want[stream], id)
				}
			}
			s.Advance(time.Hour)
			for _, ent := range []string{"persons", "organizations", "activities", "products", "files", "notes", "leads"} {
				purge(ent, ent, first(ent, 3)...)
			}
			deals := first("deals", 4)
			purge("deals", "deals", deals[0], deals[1], late)
			arch := first("deals_archived", 1)
			purge("deals", "deals_archived", arch...)
			purge("leads", "leads_archived", first("leads_archived", 1)...)
			// Call logs: the simulator's ids are "call-N", its entity callLogs.
			for _, id := range first("call_logs", 2) {
				if err := s.Purge("callLogs", strings.TrimPrefix(id, "call-")); err != nil {
					t.Fatalf("purge call log %s: %v", id, err)
				}
				want["call_logs"] = append(want["call_logs"], id)
			}
			// Archived, not deleted: it left /deals for /deals/archived.
			if err := s.Archive("deals", deals[2]); err != nil {
				t.Fatal(err)
			}
			// Never delivered here: no tombstone.
			s.Purge("deals", s.Insert("deals"))
			// The products of purged deals are gone with them; a deal whose
			// products were removed loses its lines.
			_, _, dps := recordsOf(t, e.out, "deal_products")
			emptied := ""
			for _, dp := range dps {
				deal := string(dp["deal_id"])
				if deal != deals[0] && deal != deals[1] && deal != arch[0] && deal != deals[2] && emptied == "" {
					emptied = deal
				}
			}
			if err := s.SetDealProducts(emptied, 0); err != nil {
				t.Fatal(err)
			}
			for _, dp := range dps {
				switch string(dp["deal_id"]) {
				case deals[0], deals[1], arch[0], late, emptied:
					// once each: a boundary deal's products are delivered
					// again by the next incremental run
					if id := keyString(dp["id"]); !slices.Contains(want["deal_products"], id) {
						want["deal_products"] = append(want["deal_products"], id)
					}
				}
			}
			if len(want["deal_products"]) == 0 {
				t.Fatal("the purged deals have no products: the test checks nothing there")
			}

			if kill {
				// Killed once deals' tombstones are durable, before its state
				// is saved: the next run cuts them away with the unsaved
				// bytes and writes them again, once.
				testHookSealed = func(stream string) error {
					if stream == "deals" {
						return errors.New("killed")
					}
					return nil
				}
				_, err := e.reconcileRun(t, p, true)
				testHookSealed = nil
				if err == nil {
					t.Fatal("the killed reconciliation reported no error")
				}
			}
			var sum Summary
			for run := range 3 {
				var err error
				if sum, err = e.reconcileRun(t, p, run < 2); err != nil || !sum.OK() {
					t.Fatalf("reconcile run %d: %v %+v", run, err, sum.Streams)
				}
				if run == 0 {
					// After the kill, only deals is left to do (the other
					// streams' passes were committed).
					gone, wantGone := 0, total(want)
					if kill {
						wantGone = len(want["deals"])
					}
					for _, rc := range sum.Reconciled {
						gone += rc.Gone
					}
					// The emptied deal's products: tombstoned by the sync's
					// child diff (it re-read the deal), before the pass.
					for _, rc := range sum.Removed {
						gone += rc.Gone
					}
					if gone != wantGone {
						t.Errorf("the reconciliation says %d gone, want %d", gone, wantGone)
					}
				}
				if run > 0 {
					for _, rc := range sum.Reconciled {
						if rc.Gone != 0 {
							t.Errorf("run %d: %s: %d gone again", run, rc.Stream, rc.Gone)
						}
					}
				}
			}
			for _, stream := range reconciledStreams {
				_, tombs, _ := recordsOf(t, e.out, stream)
				var got []string
				for id, n := range tombs {
					if n != 1 {
						t.Errorf("%s %s: %d tombstones, want 1", stream, id, n)
					}
					got = append(got, id)
				}
				sort.Strings(got)
				w := slices.Clone(want[stream])
				sort.Strings(w)
				if !slices.Equal(got, w) {
					t.Errorf("%s: tombstones for %v, want %v", stream, got, w)
				}
			}
		})
	}
}

// TestReconcileTokens measures what the listing costs per 1,000 ids.
func TestReconcileTokens(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 3, Scale: 2000})
	p := e.prof
	p.Format, p.OutDir, p.Streams = "jsonl", e.out, []string{"deals", "deals_archived", "persons", "notes"}
	if _, err := e.reconcileRun(t, p, false); err != nil {
		t.Fatal(err)
	}
	sum, err := e.reconcileRun(t, p, true)
	if err != nil {
		t.Fatal(err)
	}
	ids := 0
	for _, rc := range sum.Reconciled {
		ids += rc.Kept + rc.Gone
	}
	if ids == 0 || sum.ReconcileTokens == 0 {
		t.Fatalf("reconciled %d ids for %d tokens", ids, sum.ReconcileTokens)
	}
	per := float64(sum.ReconcileTokens) * 1000 / float64(ids)
	t.Logf("reconciliation: %d ids checked for %d tokens: %s tokens per 1,000 ids", ids, sum.ReconcileTokens, strconv.FormatFloat(per, 'f', 1, 64))
	// 500 records a page at 10-20 tokens a page: well under 100.
	if per > 100 {
		t.Errorf("%.1f tokens per 1,000 ids: the listing does not read full pages", per)
	}
}

// TestReconcileCSV: tombstones are CSV rows with the key and the
// _pdx_deleted_at column (declared from the first run on), nothing else.
func TestReconcileCSV(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 9, Scale: 200})
	p := e.prof
	p.Format, p.OutDir, p.Streams = "csv", e.out, []string{"persons", "notes"}
	if _, err := e.reconcileRun(t, p, false); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"4", "9"} {
		if err := e.srv.Purge("persons", id); err != nil {
			t.Fatal(err)
		}
	}
	if sum, err := e.reconcileRun(t, p, true); err != nil || !sum.OK() {
		t.Fatalf("reconcile: %v", err)
	}
	rows := readCSVRows(t, filepath.Join(e.out, "persons.csv"))
	col := slices.Index(rows[0], DeletedAt)
	if col < 0 {
		t.Fatalf("persons.csv has no %s column: %v", DeletedAt, rows[0])
	}
	var got []string
	for _, r := range rows[1:] {
		if r[col] == "" {
			continue
		}
		got = append(got, r[0])
		for i, c := range r {
			if i != 0 && i != col && c != "" {
				t.Errorf("tombstone row %v has %q in %s", r, c, rows[0][i])
			}
		}
	}
	if !slices.Equal(got, []string{"4", "9"}) {
		t.Errorf("tombstone rows for %v, want [4 9]", got)
	}
}

func TestReconcileDue(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		flag bool
		days int
		last time.Duration // since the last pass; 0: never
		ids  bool
		want bool
	}{
		{"flag", true, 0, 0, true, true},
		{"no setting", false, 0, 0, true, false},
		{"never reconciled", false, 7, 0, true, true},
		{"one day ago", false, 7, 24 * time.Hour, true, false},
		{"eight days ago", false, 7, 8 * 24 * time.Hour, true, true},
		{"no destination", false, 7, 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ids *idset.Store
			if tc.ids {
				var err error
				if ids, err = idset.Open(t.TempDir(), func(string, string, int64) bool { return true }); err != nil {
					t.Fatal(err)
				}
				if tc.last > 0 {
					if err := ids.MarkPass(now.Add(-tc.last)); err != nil {
						t.Fatal(err)
					}
				}
			}
			o := Options{ReconcileDeletes: tc.flag, Profile: profile.Profile{ReconcileDeletesDays: tc.days}}
			if got := reconcileDue(o, ids, now); got != tc.want {
				t.Errorf("due %v, want %v", got, tc.want)
			}
		})
	}
}
