package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// The child fan-out (readChildren) is pinned on deal_products, today's one
// child stream: TestDealProductsFollowDeals (changed parents only, 100 per
// call), TestResumeFromEveryState (every state is a resume point) and the
// tests below.

// dealsOnlyProducts is deal_products as it was with one parent listing
// (/deals without the deleted deals): the fan-out's per-listing semantics
// are pinned on it, since listedDeals is that listing. Several listings are
// pinned by TestDealProductsOfEveryDeal.
var dealsOnlyProducts = func() streams.Stream {
	s, _ := streams.Lookup("deal_products")
	rel := *s.Parent
	rel.Parents = []streams.ParentSource{{Stream: "deals", Params: url.Values{"status": {"open,won,lost"}}}}
	s.Parent = &rel
	return s
}()

// listedDeals maps the id of every deal /deals lists (without the deleted
// ones, which the fan-out leaves out) to its update time.
func listedDeals(t *testing.T, sim *pipedrivetest.Server) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, r := range sim.Records("deals") {
		var f struct {
			ID         json.Number `json:"id"`
			UpdateTime string      `json:"update_time"`
		}
		if err := json.Unmarshal(r, &f); err != nil {
			t.Fatal(err)
		}
		ut, err := engine.ParseTime(f.UpdateTime)
		if err != nil {
			t.Fatalf("deal %s: update_time %q: %v", f.ID, f.UpdateTime, err)
		}
		out[f.ID.String()] = ut
	}
	return out
}

// productsOfListed is how many deal products the deals of listedDeals have.
func productsOfListed(t *testing.T, sim *pipedrivetest.Server) int {
	t.Helper()
	deals := listedDeals(t, sim)
	n := 0
	for _, r := range sim.Records("deal_products") {
		var f struct {
			DealID json.Number `json:"deal_id"`
		}
		if err := json.Unmarshal(r, &f); err != nil {
			t.Fatal(err)
		}
		if _, ok := deals[f.DealID.String()]; ok {
			n++
		}
	}
	return n
}

// batches are the deal_ids of every /deals/products request the simulator
// has answered, in order (a page after the first of a batch repeats it).
func batches(t *testing.T, sim *pipedrivetest.Server) [][]string {
	t.Helper()
	var out [][]string
	for _, r := range sim.Requests() {
		if r.Path != "/api/v2/deals/products" {
			continue
		}
		q, err := url.ParseQuery(r.Query)
		if err != nil {
			t.Fatal(err)
		}
		if q.Get("cursor") != "" {
			continue
		}
		out = append(out, strings.Split(q.Get("deal_ids"), ","))
	}
	return out
}

// TestChildStateIsParentsDone: the fan-out's state semantics. At every
// Checkpoint the state is the max update time of the parents whose children
// were requested so far, and every parent updated before it has been
// requested; the batches hold at most 100 parents, none twice, and together
// exactly the parents changed since the incoming state (all of them for a
// full refresh or a first sync).
func TestChildStateIsParentsDone(t *testing.T) {
	tests := []struct {
		name      string
		mode      engine.Mode
		fromMid   bool // start from the update time of the median deal
		minCkpts  int
		wantCkpts int // 0: at least minCkpts
	}{
		{"full refresh", engine.FullRefresh, false, 1, 1},
		{"first incremental", engine.Incremental, false, 3, 0},
		{"incremental from a state", engine.Incremental, true, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine.WithStreams(t, dealsOnlyProducts)
			sim := newSim(t, pipedrivetest.Options{Seed: 21, Scale: 1300})
			c := newClient(t, sim, nil)
			deals := listedDeals(t, sim)
			var state map[string]json.RawMessage
			var from time.Time
			if tt.fromMid {
				times := make([]time.Time, 0, len(deals))
				for _, ut := range deals {
					times = append(times, ut)
				}
				slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
				from = times[len(times)/2]
				state = stateOf("deal_products", json.RawMessage(`{"update_time":"`+engine.FormatState(from)+`"}`))
			}
			col := newCollector(t)
			var checked int
			sink := engine.SinkFunc(func(ctx context.Context, ev engine.Event) error {
				if ev.Kind == engine.Checkpoint && ev.Stream == "deal_products" {
					checked++
					st := stateTime(ev.State)
					var max time.Time
					done := map[string]bool{}
					for _, b := range batches(t, sim) {
						for _, id := range b {
							done[id] = true
							if deals[id].After(max) {
								max = deals[id]
							}
						}
					}
					if tt.fromMid && max.Before(from) {
						max = from // nothing read yet keeps the incoming state
					}
					if !st.Equal(max) {
						t.Errorf("checkpoint %d: state %s, the newest parent done is %s", checked, ev.State, engine.FormatState(max))
					}
					for id, ut := range deals {
						if ut.Before(st) && !ut.Before(from) && !done[id] {
							t.Errorf("checkpoint %d: state %s, but deal %s (updated %s) was not read", checked, ev.State, id, engine.FormatState(ut))
						}
					}
				}
				return col.Emit(ctx, ev)
			})
			res, err := engine.Run(context.Background(), engine.Options{Client: c, Sink: sink, State: state,
				Streams: []engine.ConfiguredStream{{Name: "deal_products", Mode: tt.mode}}})
			if err != nil {
				t.Fatal(err)
			}
			mustComplete(t, res)
			if checked < tt.minCkpts || tt.wantCkpts > 0 && checked != tt.wantCkpts {
				t.Errorf("%d checkpoints, want %d (at least %d)", checked, tt.wantCkpts, tt.minCkpts)
			}
			var want, got []string
			for id, ut := range deals {
				if !ut.Before(from) {
					want = append(want, id)
				}
			}
			for _, b := range batches(t, sim) {
				if len(b) > 100 {
					t.Errorf("%d deal ids in one call", len(b))
				}
				got = append(got, b...)
			}
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("the batches hold %d deals (%d distinct), want the %d changed since %s", len(got), len(slices.Compact(slices.Clone(got))), len(want), engine.FormatState(from))
			}
		})
	}
}

// failingPages fails every request for a second or later page of a batch of
// deal products while armed (as a dropped connection would, after the
// client's retries).
type failingPages struct {
	armed atomic.Bool
	hits  atomic.Int64
}

func (f *failingPages) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.armed.Load() && r.URL.Path == "/api/v2/deals/products" && r.URL.Query().Get("cursor") != "" {
		f.hits.Add(1)
		return nil, errors.New("connection reset by the test")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestChildFailureMidBatch: when reading a batch fails after some of its
// children were emitted, the stream ends with the state of before that
// batch (the last parent page fully read), so a resumed sync reads the whole
// batch again and, with the first run, delivers every child.
func TestChildFailureMidBatch(t *testing.T) {
	engine.WithStreams(t, dealsOnlyProducts)
	sim := newSim(t, pipedrivetest.Options{Seed: 22, Scale: 1300})
	deals := listedDeals(t, sim)
	n := len(deals)
	if n <= 1000 {
		t.Fatalf("precondition: %d deals, want three pages of parents", n)
	}
	// Batches start at every 100th deal of the listing (ascending update
	// time). Give the newest r+100 deals 8 products each: the last full
	// batch is then 800 products, two pages, on the third page of parents.
	ids := make([]string, 0, n)
	for id := range deals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	sim.Advance(time.Hour)
	heavy := map[string]bool{}
	for _, id := range ids[:n%100+100] {
		if err := sim.SetDealProducts(id, 8); err != nil {
			t.Fatal(err)
		}
		heavy[id] = true
	}
	ft := &failingPages{}
	ft.armed.Store(true)
	c := newClient(t, sim, func(o *client.Options) { o.HTTPClient = &http.Client{Transport: ft} })
	res, col := run(t, c, runCfg{streams: incr("deal_products")})
	dp := res.Streams[0]
	if dp.Complete || dp.Failure != engine.TransientError || ft.hits.Load() == 0 {
		t.Fatalf("deal_products: complete=%v failure=%q after %d failed pages: %v", dp.Complete, dp.Failure, ft.hits.Load(), dp.Err)
	}
	failed := failedBatch(t, sim, batches(t, sim)) // not the last asked for: batches are in flight
	for _, id := range failed {
		if !heavy[id] {
			t.Fatalf("precondition: the failed batch holds deal %s, which has not 8 products", id)
		}
	}
	emitted := 0
	for _, r := range col.records["deal_products"] {
		var f struct {
			DealID json.Number `json:"deal_id"`
		}
		_ = json.Unmarshal(r, &f)
		if slices.Contains(failed, f.DealID.String()) {
			emitted++
		}
	}
	if emitted == 0 || emitted >= 8*len(failed) {
		t.Fatalf("precondition: %d of the failed batch's %d products emitted, want some (a failure in the middle)", emitted, 8*len(failed))
	}
	// The stream flushes its last good state: that of the last parent page
	// read whole (not {}: the batch is not on the first page), older than
	// every parent of the failed batch, so resuming lists them again.
	states := col.states["deal_products"]
	last := col.lastState("deal_products")
	now := listedDeals(t, sim)
	if len(states) < 2 || string(last) != string(states[len(states)-2]) || stateTime(last).IsZero() {
		t.Fatalf("checkpoints %s, want the last full parent page's state flushed again", states)
	}
	for _, id := range failed {
		if !stateTime(last).Before(now[id]) {
			t.Errorf("state after the failure %s is not before deal %s of the failed batch (updated %s)", last, id, engine.FormatState(now[id]))
		}
	}

	// Resuming from that state reads the failed batch whole and, with what
	// the first run delivered, every deal product.
	ft.armed.Store(false)
	res2, col2 := run(t, c, runCfg{streams: incr("deal_products"), state: stateOf("deal_products", last)})
	mustComplete(t, res2)
	perDeal := map[string]int{}
	all := map[string]bool{}
	for _, recs := range [][]json.RawMessage{col.records["deal_products"], col2.records["deal_products"]} {
		for _, r := range recs {
			all[string(r)] = true
		}
	}
	for _, r := range col2.records["deal_products"] {
		var f struct {
			DealID json.Number `json:"deal_id"`
		}
		_ = json.Unmarshal(r, &f)
		perDeal[f.DealID.String()]++
	}
	for _, id := range failed {
		if perDeal[id] != 8 {
			t.Errorf("resume: deal %s of the failed batch has %d products, want its 8", id, perDeal[id])
		}
	}
	if want := productsOfListed(t, sim); len(all) != want {
		t.Errorf("the two runs delivered %d distinct deal products, the simulator has %d", len(all), want)
	}
}

// pathChild is a child read one parent per call by a path parameter, the
// shape of the per-parent streams to come (changelogs, participants,
// followers): here the deals' changelog the simulator serves.
var pathChild = streams.Stream{Name: "test_deal_changelog", Description: "Field history of deals", Group: streams.Core,
	Version: client.V1, Path: "/deals/{id}/changelog", PrimaryKey: []string{"id"}, Cursor: "update_time",
	Paging: streams.V2Cursor, PageLimit: 500, TokenCost: 20,
	Parent: &streams.Relation{Parents: []streams.ParentSource{{Stream: "deals", Params: url.Values{"status": {"open,won,lost"}}}}, IDParam: "id",
		IDIn: streams.IDInPath, Batch: 1, Changed: streams.ParentUpdatedSince}}

// TestChildByPathParameter: the same fan-out reads a child whose parent id
// is a path parameter: one call per parent, every parent's children
// emitted, the tokens as estimated; incrementally only the parents changed
// since the state (and its boundary) are called again.
func TestChildByPathParameter(t *testing.T) {
	engine.WithStreams(t, pathChild)
	sim := newSim(t, pipedrivetest.Options{Seed: 23, Scale: 150})
	c := newClient(t, sim, nil)
	deals := listedDeals(t, sim)
	// What the simulator lists for each deal, read directly.
	want := 0
	for id := range deals {
		req, err := pathChild.ChildRequest([]string{id})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Pages(context.Background(), req, func(p client.Page) error { want += len(p.Records); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	called := func() []string {
		var out []string
		for _, r := range sim.Requests() {
			if id, ok := strings.CutPrefix(r.Path, "/v1/deals/"); ok && strings.HasSuffix(id, "/changelog") {
				out = append(out, strings.TrimSuffix(id, "/changelog"))
			}
		}
		sort.Strings(out)
		return out
	}
	sim.ResetRequests()
	res, col := run(t, c, runCfg{streams: incr(pathChild.Name)})
	mustComplete(t, res)
	var ids []string
	var newest time.Time
	for id, ut := range deals {
		ids = append(ids, id)
		if ut.After(newest) {
			newest = ut
		}
	}
	sort.Strings(ids)
	if got := called(); !slices.Equal(got, ids) {
		t.Errorf("called the changelog of %d deals (%d distinct), want each of the %d once", len(got), len(slices.Compact(slices.Clone(got))), len(ids))
	}
	if got := len(col.records[pathChild.Name]); got != want || got == 0 {
		t.Errorf("%d changelog entries, the simulator lists %d", got, want)
	}
	if est := childTokens(t, pathChild, map[string]int64{"deals": int64(len(deals))}); res.Streams[0].Stats.Tokens != est {
		t.Errorf("%d tokens, estimated %d", res.Streams[0].Stats.Tokens, est)
	}
	state := col.lastState(pathChild.Name)
	if !stateTime(state).Equal(newest) {
		t.Errorf("state %s, want the newest deal's update time %s", state, engine.FormatState(newest))
	}

	sim.Advance(time.Hour)
	if err := sim.Update("deals", ids[3]); err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	res, _ = run(t, c, runCfg{streams: incr(pathChild.Name), state: stateOf(pathChild.Name, state)})
	mustComplete(t, res)
	wantCalls := []string{ids[3]}
	for id, ut := range deals {
		if ut.Equal(newest) && id != ids[3] {
			wantCalls = append(wantCalls, id) // the boundary: updated_since is inclusive
		}
	}
	sort.Strings(wantCalls)
	if got := called(); !slices.Equal(got, wantCalls) {
		t.Errorf("second sync called the changelog of %v, want %v (the changed deal and the boundary)", got, wantCalls)
	}
}

// everyParentChild: a child of a parent with string ids and no way to find
// changed parents (permission set assignments, paged by offset).
var everyParentChild = streams.Stream{Name: "test_permission_set_assignments", Description: "Who holds each permission set", Group: streams.Settings,
	Version: client.V1, Path: "/permissionSets/{id}/assignments", PrimaryKey: []string{"user_id"},
	Paging: streams.V1Offset, PageLimit: 500, TokenCost: 20,
	Parent: &streams.Relation{Parents: []streams.ParentSource{{Stream: "permission_sets"}}, IDParam: "id", IDIn: streams.IDInPath, Batch: 1, Changed: streams.EveryParent}}

// TestChildOfEveryParent: a child without a way to find changed parents is
// full refresh only, and reads the children of every parent, string ids
// passed as they are.
func TestChildOfEveryParent(t *testing.T) {
	engine.WithStreams(t, everyParentChild)
	sim := newSim(t, pipedrivetest.Options{Seed: 24, Scale: 50})
	c := newClient(t, sim, nil)
	_, err := engine.Run(context.Background(), engine.Options{Client: c, Sink: newCollector(t), Streams: incr(everyParentChild.Name)})
	if err == nil || !strings.Contains(err.Error(), "does not support incremental") {
		t.Fatalf("incremental run: %v, want it refused", err)
	}
	res, col := run(t, c, runCfg{streams: full(everyParentChild.Name)})
	mustComplete(t, res)
	var want, got []string
	ps, _ := streams.Lookup("permission_sets")
	if err := c.Pages(context.Background(), ps.Request(nil), func(p client.Page) error {
		for _, r := range p.Records {
			var f struct{ ID string }
			if err := json.Unmarshal(r, &f); err != nil || f.ID == "" {
				return fmt.Errorf("permission set %s: %v", r, err)
			}
			want = append(want, f.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range col.records[everyParentChild.Name] {
		var f struct {
			ID string `json:"permission_set_id"`
		}
		_ = json.Unmarshal(r, &f)
		got = append(got, f.ID)
	}
	sort.Strings(want)
	sort.Strings(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("assignments of the permission sets %v, want one for each of %v", got, want)
	}
	if n := len(col.states[everyParentChild.Name]); n != 1 {
		t.Errorf("%d checkpoints, want 1 (a full refresh)", n)
	}
}

// dealIDsOf is the set of deal_id of deal product records.
func dealIDsOf(t *testing.T, recs []json.RawMessage) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range recs {
		var f struct {
			DealID json.Number `json:"deal_id"`
		}
		if err := json.Unmarshal(r, &f); err != nil {
			t.Fatal(err)
		}
		out[f.DealID.String()]++
	}
	return out
}

// TestDealProductsOfEveryDeal (issue 12, item 2): deal_products has the
// products of every deal a full export has, archived (only /deals/archived
// lists them) and deleted ones (of both lists) included; a state of one
// cursor (pdx before this, or the old connector) covers /deals only, so the
// archived deals' products are then read whole, never skipped; and an
// incremental read follows the changed parents of each listing from its own
// cursor.
func TestDealProductsOfEveryDeal(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 31, Scale: 900})
	c := newClient(t, sim, nil)
	// One deal of each kind the /deals listing alone misses, with products.
	sim.Advance(time.Hour)
	for _, id := range []string{"11", "12", "13"} {
		if err := sim.SetDealProducts(id, 2); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []func() error{
		func() error { return sim.Archive("deals", "11") }, // archived
		func() error { return sim.Archive("deals", "12") }, // archived, then deleted
		func() error { return sim.Delete("deals", "12") },
		func() error { return sim.Delete("deals", "13") }, // deleted
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	want := rawSet(sim.Records("deal_products"))
	byDeal := dealIDsOf(t, sim.Records("deal_products"))
	archived := dealIDsOf(t, nil)
	for _, r := range sim.Records("deals_archived") {
		archived[idOf(t, "deals_archived", r)] = 1
	}
	if byDeal["11"] != 2 || byDeal["12"] != 2 || byDeal["13"] != 2 || len(archived) < 10 {
		t.Fatalf("precondition: the simulator lists products of deals 11, 12, 13: %d %d %d; %d archived deals", byDeal["11"], byDeal["12"], byDeal["13"], len(archived))
	}

	for _, mode := range []engine.Mode{engine.FullRefresh, engine.Incremental} {
		res, col := run(t, c, runCfg{streams: []engine.ConfiguredStream{{Name: "deal_products", Mode: mode}}})
		mustComplete(t, res)
		if diff := sameRecords(sim, "deal_products", col.records["deal_products"]); diff != "" || len(want) == 0 {
			t.Errorf("%s: %s", mode, diff)
		}
	}

	// An old state of one cursor, later than every deal: /deals is read from
	// it (nothing), /deals/archived whole.
	sim.ResetRequests()
	res, col := run(t, c, runCfg{streams: incr("deal_products"), state: stateOf("deal_products", json.RawMessage(`{"update_time":"2217-01-01T00:00:00Z"}`))})
	mustComplete(t, res)
	got := dealIDsOf(t, col.records["deal_products"])
	for id := range got {
		if archived[id] == 0 {
			t.Errorf("from an old state: products of deal %s, which is not archived", id)
		}
	}
	for id := range archived {
		if byDeal[id] > 0 && got[id] != byDeal[id] {
			t.Errorf("from an old state: archived deal %s has %d products delivered, want its %d", id, got[id], byDeal[id])
		}
	}
	state := col.lastState("deal_products")
	var cs struct {
		UpdateTime string            `json:"update_time"`
		Parents    map[string]string `json:"parents"`
	}
	if err := json.Unmarshal(state, &cs); err != nil || cs.Parents["deals"] != "2217-01-01T00:00:00Z" || cs.Parents["deals_archived"] == "" || cs.UpdateTime != cs.Parents["deals_archived"] {
		t.Fatalf("state after an old one: %s (%v), want both listings' cursors and the earliest as update_time", state, err)
	}

	// Incremental from a state of both listings: the products of a changed
	// archived deal come, each listing read from its own cursor.
	res, col = run(t, c, runCfg{streams: incr("deal_products"), state: stateOf("deal_products", json.RawMessage(`{"parents":{"deals":"2217-01-01T00:00:00Z","deals_archived":"`+cs.Parents["deals_archived"]+`"}}`))})
	mustComplete(t, res)
	boundary := len(dealIDsOf(t, col.records["deal_products"]))
	sim.Advance(time.Hour)
	if err := sim.SetDealProducts("11", 5); err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	res, col = run(t, c, runCfg{streams: incr("deal_products"), state: stateOf("deal_products", state)})
	mustComplete(t, res)
	got = dealIDsOf(t, col.records["deal_products"])
	if got["11"] != 5 || len(got) > 1+boundary {
		t.Errorf("after archived deal 11 changed: products of %v, want deal 11's 5 (and at most %d boundary deals)", got, boundary)
	}
	for _, r := range sim.Requests() {
		if r.Path == "/api/v2/deals" || r.Path == "/api/v2/deals/archived" {
			if q, _ := url.ParseQuery(r.Query); q.Get("updated_since") == "" || !strings.Contains(q.Get("status"), "deleted") {
				t.Errorf("parents listed with %s?%s, want updated_since and the deleted ones", r.Path, r.Query)
			}
		}
	}
}
