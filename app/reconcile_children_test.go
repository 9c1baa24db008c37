package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/store/sqlite"
)

// simDealProducts maps each deal id to its product line ids in the
// simulator now.
func simDealProducts(t *testing.T, s *pipedrivetest.Server) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range s.Records("deal_products") {
		var f struct {
			ID     json.Number `json:"id"`
			DealID json.Number `json:"deal_id"`
		}
		if err := json.Unmarshal(r, &f); err != nil {
			t.Fatal(err)
		}
		out[f.DealID.String()] = append(out[f.DealID.String()], f.ID.String())
	}
	return out
}

// tombstoneCounts reads the destination's deal_products: tombstones per id,
// and, per id, whether its last row is a tombstone (SQLite keeps one row
// per id: a count of 1 for each tombstoned row).
// checkTombstones fails the test unless got and want give each id the same
// number of tombstones; the message lists both sorted ("12×1 14×2").
func checkTombstones(t *testing.T, prefix string, got, want map[string]int) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	render := func(m map[string]int) []string {
		var out []string
		for id, n := range m {
			out = append(out, fmt.Sprintf("%s×%d", id, n))
		}
		sort.Strings(out)
		return out
	}
	t.Errorf("%stombstones %v, want %v", prefix, render(got), render(want))
}

func tombstoneCounts(t *testing.T, format, dir string) (tombs map[string]int, deleted map[string]bool) {
	t.Helper()
	tombs, deleted = map[string]int{}, map[string]bool{}
	switch format {
	case "jsonl":
		for _, l := range lines(t, filepath.Join(dir, "deal_products.jsonl")) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			id := keyString(m["id"])
			_, dead := m[DeletedAt]
			if dead {
				if len(m) != 2 {
					t.Errorf("tombstone %s has more than the key and %s", l, DeletedAt)
				}
				var at string
				if json.Unmarshal(m[DeletedAt], &at) != nil {
					t.Errorf("tombstone %s: %s is not a string", l, DeletedAt)
				} else if _, err := time.Parse(time.RFC3339, at); err != nil {
					t.Errorf("tombstone %s: %v", l, err)
				}
				tombs[id]++
			}
			deleted[id] = dead
		}
	case "csv":
		rows := readCSVRows(t, filepath.Join(dir, "deal_products.csv"))
		col := slices.Index(rows[0], DeletedAt)
		if col < 0 {
			t.Fatalf("deal_products.csv has no %s column: %v", DeletedAt, rows[0])
		}
		for _, r := range rows[1:] {
			dead := r[col] != ""
			if dead {
				tombs[r[0]]++
				for i, c := range r {
					if i != 0 && i != col && c != "" {
						t.Errorf("tombstone row %v has %q in %s", r, c, rows[0][i])
					}
				}
			}
			deleted[r[0]] = dead
		}
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(fmt.Sprintf(`SELECT CAST(id AS TEXT), %q IS NOT NULL FROM deal_products`, DeletedAt))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var dead bool
			if err := rows.Scan(&id, &dead); err != nil {
				t.Fatal(err)
			}
			if dead {
				tombs[id]++
			}
			deleted[id] = dead
		}
	}
	return tombs, deleted
}

// TestChildDiffTombstones (issue 12.7): products removed from deals (the
// deals' update_time bumped) get exactly one tombstone each from the next
// incremental sync, in every file format; nothing else does: not the
// first sync, not a product removed and re-added before the sync, not a
// sync without changes; a product re-added after its tombstone is live
// again (its record follows the tombstone) and is tombstoned again only if
// removed again.
func TestChildDiffTombstones(t *testing.T) {
	for _, format := range []string{"jsonl", "csv", "sqlite"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, pipedrivetest.Options{Seed: 5, Scale: 300})
			s := e.srv
			p := e.prof
			p.Format, p.OutDir, p.Streams = format, e.out, []string{"deals", "deal_products"}
			sync := func(what string) Summary {
				t.Helper()
				sum, err := e.reconcileRun(t, p, false)
				if err != nil || !sum.OK() {
					t.Fatalf("%s: %v %+v", what, err, sum.Streams)
				}
				return sum
			}
			check := func(what string, want map[string]int, dead []string) {
				t.Helper()
				tombs, deleted := tombstoneCounts(t, format, e.out)
				if format == "sqlite" {
					// One row per id: its tombstone is the _pdx_deleted_at.
					want = map[string]int{}
					for _, id := range dead {
						want[id] = 1
					}
				}
				checkTombstones(t, what+": ", tombs, want)
				var gotDead []string
				for id, d := range deleted {
					if d {
						gotDead = append(gotDead, id)
					}
				}
				sort.Strings(gotDead)
				dead = slices.Sorted(slices.Values(dead))
				if !slices.Equal(gotDead, dead) {
					t.Errorf("%s: deleted now %v, want %v", what, gotDead, dead)
				}
			}
			sync("first sync")
			check("first sync", nil, nil)

			// Deals with three or more products that can change (not deleted).
			before := simDealProducts(t, s)
			s.Advance(time.Hour)
			var picked []string
			for _, d := range slices.Sorted(maps.Keys(before)) {
				if len(before[d]) >= 3 && s.SetDealProducts(d, len(before[d])) == nil {
					picked = append(picked, d)
				}
				if len(picked) == 4 {
					break
				}
			}
			if len(picked) < 4 {
				t.Fatalf("precondition: %d deals with 3+ products", len(picked))
			}
			shrunk, emptied, flapped, kept := picked[0], picked[1], picked[2], picked[3]
			s.Advance(time.Minute)
			must(t, s.SetDealProducts(shrunk, 1))
			must(t, s.SetDealProducts(emptied, 0))
			must(t, s.SetDealProducts(flapped, 1))
			s.Advance(time.Minute)
			must(t, s.SetDealProducts(flapped, len(before[flapped]))) // re-added before the sync: nothing to tombstone
			_ = kept                                                  // touched above, unchanged: its deal is re-read, nothing removed
			want := map[string]int{}
			var dead []string
			for _, id := range before[shrunk][1:] {
				want[id] = 1
				dead = append(dead, id)
			}
			for _, id := range before[emptied] {
				want[id] = 1
				dead = append(dead, id)
			}
			sum := sync("incremental sync after the removals")
			check("after the removals", want, dead)
			if len(sum.Removed) != 1 || sum.Removed[0].Gone != len(dead) {
				t.Errorf("summary: %+v, want %d gone", sum.Removed, len(dead))
			}
			sync("a sync without changes")
			check("a sync without changes", want, dead)

			// Re-added after their tombstones: live again, no new tombstone;
			// removed once more: a second tombstone.
			s.Advance(time.Hour)
			must(t, s.SetDealProducts(shrunk, len(before[shrunk])))
			sync("after the re-add")
			var stillDead []string
			for _, id := range before[emptied] {
				stillDead = append(stillDead, id)
			}
			check("after the re-add", want, stillDead)
			s.Advance(time.Hour)
			must(t, s.SetDealProducts(shrunk, 2))
			again := before[shrunk][2:]
			for _, id := range again {
				want[id]++
			}
			sync("removed again")
			check("removed again", want, append(stillDead, again...))
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestChildDiffKilled: a run killed after its tombstones are durable but
// before their state is saved, or one interrupted once deal_products has
// completed (its state past the re-read deals, the diff not run), leaves
// the next sync to write each tombstone exactly once.
func TestChildDiffKilled(t *testing.T) {
	for _, how := range []string{"sealed", "before the diff"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t, pipedrivetest.Options{Seed: 6, Scale: 200})
			s := e.srv
			p := e.prof
			p.Format, p.OutDir, p.Streams = "jsonl", e.out, []string{"deals", "deal_products"}
			if sum, err := e.reconcileRun(t, p, false); err != nil || !sum.OK() {
				t.Fatalf("first sync: %v", err)
			}
			before := simDealProducts(t, s)
			s.Advance(time.Hour)
			want := map[string]int{}
			n := 0
			for _, d := range slices.Sorted(maps.Keys(before)) {
				if len(before[d]) >= 2 && s.SetDealProducts(d, 1) == nil {
					for _, id := range before[d][1:] {
						want[id] = 1
					}
					if n++; n == 5 {
						break
					}
				}
			}
			switch how {
			case "sealed":
				testHookSealed = func(stream string) error {
					if stream == "deal_products" {
						return errors.New("killed")
					}
					return nil
				}
				_, err := e.reconcileRun(t, p, false)
				testHookSealed = nil
				if err == nil {
					t.Fatal("the killed run reported no error")
				}
			case "before the diff":
				pl, st := e.planState(t, p, p)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				stop := engine.SinkFunc(func(_ context.Context, ev engine.Event) error {
					if ev.Stream == "deal_products" && ev.Kind == engine.StreamComplete {
						cancel()
					}
					return nil
				})
				sum, _ := Run(ctx, Options{ProfileName: "test", Profile: p, Plan: &pl, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st, Observers: []engine.Sink{stop}})
				if !sum.Interrupted || sum.Removed != nil {
					t.Fatalf("precondition: interrupted %v, removed %+v", sum.Interrupted, sum.Removed)
				}
				if tombs, _ := tombstoneCounts(t, "jsonl", e.out); len(tombs) != 0 {
					t.Fatalf("precondition: the interrupted run wrote %d tombstones", len(tombs))
				}
			}
			for run := range 2 {
				if sum, err := e.reconcileRun(t, p, false); err != nil || !sum.OK() {
					t.Fatalf("run %d: %v %+v", run, err, sum.Streams)
				}
			}
			tombs, _ := tombstoneCounts(t, "jsonl", e.out)
			checkTombstones(t, "", tombs, want)
		})
	}
}

// TestChildDiffAndReconcile: the two ways a removed deal product is found
// never tombstone it twice. Deal B's products are removed and B is then
// updated: the sync's child diff tombstones them, and the reconciliation
// after it (they are gone from its listing too) does not again. Deal A's
// products are removed without its update_time moving (the simulator told
// so; Pipedrive does not document either way): no sync sees it, the
// reconciliation's full deal_products pass tombstones them, and a later
// sync re-reading A (updated at last) does not again.
func TestChildDiffAndReconcile(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 8, Scale: 200, DealProductsKeepUpdateTime: true})
	s := e.srv
	p := e.prof
	p.Format, p.OutDir, p.Streams = "jsonl", e.out, []string{"deals", "deals_archived", "deal_products"}
	sync := func(what string, reconcile bool) Summary {
		t.Helper()
		sum, err := e.reconcileRun(t, p, reconcile)
		if err != nil || !sum.OK() {
			t.Fatalf("%s: %v %+v", what, err, sum.Streams)
		}
		return sum
	}
	sync("first sync", false)
	before := simDealProducts(t, s)
	s.Advance(time.Hour)
	var picked []string
	for _, d := range slices.Sorted(maps.Keys(before)) {
		if len(before[d]) >= 2 && s.SetDealProducts(d, 1) == nil {
			picked = append(picked, d)
		}
		if len(picked) == 2 {
			break
		}
	}
	if len(picked) < 2 {
		t.Fatal("precondition: two deals with 2+ products")
	}
	a, b := picked[0], picked[1]
	must(t, s.Update("deals", b))
	want := map[string]int{}
	for _, d := range picked {
		for _, id := range before[d][1:] {
			want[id] = 1
		}
	}
	if sum := sync("sync after the removals", false); len(sum.Removed) != 1 || sum.Removed[0].Gone != len(before[b])-1 {
		t.Errorf("the child diff found %+v, want deal %s's %d", sum.Removed, b, len(before[b])-1)
	}
	sum := sync("reconciliation", true)
	gone := 0
	for _, rc := range sum.Reconciled {
		if rc.Stream == "deal_products" {
			gone = rc.Gone
		}
	}
	if gone != len(before[a])-1 {
		t.Errorf("the reconciliation found %d deal products gone, want deal %s's %d", gone, a, len(before[a])-1)
	}
	s.Advance(time.Hour)
	must(t, s.Update("deals", a))
	sync("sync re-reading deal A", false)
	sync("reconciliation again", true)
	tombs, _ := tombstoneCounts(t, "jsonl", e.out)
	checkTombstones(t, "", tombs, want)
}

// TestChildDiffStreams: every diffed stream's first sync maps each
// delivered child to its parent (the parent field and the child key are
// found in its records), and a sync without changes tombstones nothing.
func TestChildDiffStreams(t *testing.T) {
	diffedStreams := []string{"deal_products", "deal_installments", "deal_participants", "deal_followers"}
	for _, n := range diffedStreams {
		st, _ := streams.Lookup(n)
		if _, _, ok := diffKeys(st); !ok {
			t.Errorf("%s is not diffed", n)
		}
	}
	e := newEnv(t, pipedrivetest.Options{Seed: 4, Scale: 150})
	p := e.prof
	p.Format, p.OutDir, p.Streams = "jsonl", e.out, diffedStreams
	for run := range 2 {
		sum, err := e.reconcileRun(t, p, false)
		if err != nil || !sum.OK() {
			t.Fatalf("run %d: %v %+v", run, err, sum.Streams)
		}
		for _, rc := range sum.Removed {
			if rc.Gone != 0 {
				t.Errorf("run %d: %s: %d tombstones without a change", run, rc.Stream, rc.Gone)
			}
		}
	}
	_, st := e.planState(t, p, p)
	ids, err := openIDs(st)
	if err != nil {
		t.Fatal(err)
	}
	defer ids.Close()
	for _, n := range diffedStreams {
		keys := map[string]bool{}
		s, _ := streams.Lookup(n)
		for _, l := range lines(t, filepath.Join(e.out, n+".jsonl")) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			var k []string
			for _, f := range s.PrimaryKey {
				k = append(k, string(m[f]))
			}
			keys[fmt.Sprint(k)] = true
		}
		got, err := ids.Children(n)
		if err != nil {
			t.Fatal(err)
		}
		if got != len(keys) || got == 0 {
			t.Errorf("%s: %d children mapped, %d delivered", n, got, len(keys))
		}
	}
}

// TestChildDiffCSVColumns: every diffed stream's CSV declares the
// tombstones' _pdx_deleted_at column from the first sync on (a tombstone
// appended later fits under the header).
func TestChildDiffCSVColumns(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 4, Scale: 100})
	p := e.prof
	names := []string{"deal_products", "deal_installments", "deal_participants", "deal_followers"}
	p.Format, p.OutDir, p.Streams = "csv", e.out, names
	if sum, err := e.reconcileRun(t, p, false); err != nil || !sum.OK() {
		t.Fatalf("sync: %v %+v", err, sum.Streams)
	}
	for _, n := range names {
		rows := readCSVRows(t, filepath.Join(e.out, n+".csv"))
		if !slices.Contains(rows[0], DeletedAt) {
			t.Errorf("%s.csv has no %s column: %v", n, DeletedAt, rows[0])
		}
	}
}

// TestChildTombstone: a child's tombstone is its primary key (the parent's
// id where the key holds it) and _pdx_deleted_at.
func TestChildTombstone(t *testing.T) {
	for _, tc := range []struct{ stream, want string }{
		{"deal_products", `{"id":7,"_pdx_deleted_at":"T"}`},
		{"deal_installments", `{"id":7,"_pdx_deleted_at":"T"}`},
		{"deal_participants", `{"id":7,"_pdx_deleted_at":"T"}`},
		{"deal_followers", `{"deal_id":3,"user_id":7,"_pdx_deleted_at":"T"}`},
	} {
		st, _ := streams.Lookup(tc.stream)
		if got := string(childTombstone(st, []byte("3"), []byte("7"), "T")); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.stream, got, tc.want)
		}
	}
}
