package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// The streams of issue 14 that are rows of the one fan-out: each is read
// against the contract-checking simulator (newSim validates every request),
// full and incremental.

// parentOf is one parent record as the child request takes it.
type parentOf struct {
	id string
	ut time.Time
}

// listParents lists every parent of a child stream, per listing, as the
// fan-out does.
func listParents(t *testing.T, c *client.Client, st streams.Stream) map[string][]parentOf {
	t.Helper()
	out := map[string][]parentOf{}
	for _, src := range st.Parent.Parents {
		ps, _ := streams.Lookup(src.Stream)
		err := c.Pages(context.Background(), ps.Request(src.Params), func(p client.Page) error {
			for _, r := range p.Records {
				var f struct {
					ID         json.RawMessage `json:"id"`
					UpdateTime string          `json:"update_time"`
				}
				if err := json.Unmarshal(r, &f); err != nil {
					return err
				}
				po := parentOf{id: strings.Trim(string(f.ID), `"`)}
				if f.UpdateTime != "" {
					po.ut, _ = engine.ParseTime(f.UpdateTime)
				}
				out[src.Stream] = append(out[src.Stream], po)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// childrenOf is what the simulator answers for one parent, read directly.
func childrenOf(t *testing.T, c *client.Client, st streams.Stream, id string) int {
	t.Helper()
	req, err := st.ChildRequest([]string{id})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := c.Pages(context.Background(), req, func(p client.Page) error { n += len(p.Records); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// pkOf is a record's primary key, joined.
func pkOf(t *testing.T, st streams.Stream, rec json.RawMessage) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(rec, &m); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, k := range st.PrimaryKey {
		if m[k] == nil {
			t.Fatalf("%s: record without its primary key %q: %s", st.Name, k, rec)
		}
		parts = append(parts, string(m[k]))
	}
	return strings.Join(parts, "|")
}

// TestPerParentStreams: each per-record child stream reads, in a full
// refresh, exactly what the simulator lists for every parent of every
// listing (one request per parent), with unique primary keys (the parent
// id added where the API leaves it out) and the tokens childTokens
// counts; incrementally, a sync with no change reads only the boundary
// parents, and one after a parent changed reads that parent's children.
func TestPerParentStreams(t *testing.T) {
	for _, name := range []string{"deal_changelog", "deal_flow", "deal_followers", "deal_participants", "organization_changelog",
		"organization_followers", "person_changelog", "person_followers", "product_followers", "product_variations",
		"permission_set_assignments", "role_assignments", "phases"} {
		t.Run(name, func(t *testing.T) {
			st, ok := streams.Lookup(name)
			if !ok || st.Parent == nil {
				t.Fatalf("%s is not a child stream of the table", name)
			}
			sim := newSim(t, pipedrivetest.Options{Seed: 31, Scale: 40})
			c := newClient(t, sim, nil)
			parents := listParents(t, c, st)
			want, counts := 0, map[string]int64{}
			for src, ps := range parents {
				counts[src] = int64(len(ps))
				for _, p := range ps {
					want += childrenOf(t, c, st, p.id)
				}
			}
			res, col := run(t, c, runCfg{streams: full(name)})
			mustComplete(t, res)
			recs := col.records[name]
			if len(recs) != want || want == 0 {
				t.Fatalf("full refresh: %d records, the simulator lists %d", len(recs), want)
			}
			seen := map[string]bool{}
			for _, r := range recs {
				k := pkOf(t, st, r)
				if seen[k] {
					t.Errorf("primary key %s twice", k)
				}
				seen[k] = true
			}
			if est := childTokens(t, st, counts); res.Streams[0].Stats.Tokens != est {
				t.Errorf("%d tokens, estimated %d", res.Streams[0].Stats.Tokens, est)
			}
			if !st.SupportsIncremental() {
				return
			}
			res, col = run(t, c, runCfg{streams: incr(name)})
			mustComplete(t, res)
			state := col.lastState(name)
			if len(col.records[name]) != want {
				t.Errorf("first incremental: %d records, want %d", len(col.records[name]), want)
			}
			// No change: only the parents at each listing's newest update
			// time (updated_since is inclusive) are read again.
			boundary := 0
			for _, ps := range parents {
				var newest time.Time
				for _, p := range ps {
					if p.ut.After(newest) {
						newest = p.ut
					}
				}
				for _, p := range ps {
					if p.ut.Equal(newest) {
						boundary += childrenOf(t, c, st, p.id)
					}
				}
			}
			res, col = run(t, c, runCfg{streams: incr(name), state: stateOf(name, state)})
			mustComplete(t, res)
			if got := len(col.records[name]); got != boundary {
				t.Errorf("no-change incremental: %d records, want the %d of the boundary parents", got, boundary)
			}
			// A changed parent: its children come again (with the boundary's).
			src := st.Parent.Parents[0].Stream
			changed := parents[src][len(parents[src])/2]
			sim.Advance(time.Hour)
			if err := sim.Update(src, changed.id); err != nil {
				t.Fatal(err)
			}
			n := childrenOf(t, c, st, changed.id)
			res, col = run(t, c, runCfg{streams: incr(name), state: stateOf(name, col.lastState(name))})
			mustComplete(t, res)
			if got := len(col.records[name]); got != n+boundary || n == 0 {
				t.Errorf("after %s %s changed: %d records, want its %d and the boundary's %d", src, changed.id, got, n, boundary)
			}
		})
	}
}

// TestInstallmentsNotOnPlan: deal_installments is Growth and above; a plan
// without it answers 402 or 403, which ends the stream with a warning and
// no state (not a failed run); on a plan with it, the installments of every
// deal come in batches of 100 repeated deal_ids.
func TestInstallmentsNotOnPlan(t *testing.T) {
	for _, status := range []int{http.StatusPaymentRequired, http.StatusForbidden} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 32, Scale: 40})
			sim.Fault(pipedrivetest.Fault{Path: "/api/v2/deals/installments", Status: status, Times: 1})
			c := newClient(t, sim, nil)
			res, col := run(t, c, runCfg{streams: incr("deal_installments", "deals")})
			mustComplete(t, res)
			if n := len(col.records["deal_installments"]); n != 0 {
				t.Errorf("%d installments from a refused plan", n)
			}
			if st := col.lastState("deal_installments"); st != nil {
				t.Errorf("state %s saved for a stream the plan refused", st)
			}
			warned := false
			for _, ev := range col.events(engine.Log) {
				if ev.Stream == "deal_installments" && strings.Contains(ev.Message, "not available on this plan") {
					warned = true
				}
			}
			if !warned {
				t.Error("no warning that the stream is not on the plan")
			}
			if len(col.records["deals"]) == 0 {
				t.Error("the other stream of the run read nothing")
			}
		})
	}
	sim := newSim(t, pipedrivetest.Options{Seed: 32, Scale: 40})
	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: full("deal_installments")})
	mustComplete(t, res)
	st, _ := streams.Lookup("deal_installments")
	want := 0
	var ids []string
	for _, ps := range listParents(t, c, st) {
		for _, p := range ps {
			ids = append(ids, p.id)
		}
	}
	for i := 0; i < len(ids); i += 100 {
		req, err := st.ChildRequest(ids[i:min(i+100, len(ids))])
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Pages(context.Background(), req, func(p client.Page) error { want += len(p.Records); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(col.records["deal_installments"]); got != want || want == 0 {
		t.Errorf("%d installments, the simulator lists %d", got, want)
	}
}

// requestsTo are the queries of the simulator's requests whose path
// matches match.
func requestsTo(sim *pipedrivetest.Server, match func(path string) bool) []url.Values {
	var out []url.Values
	for _, r := range sim.Requests() {
		if match(r.Path) {
			q, _ := url.ParseQuery(r.Query)
			out = append(out, q)
		}
	}
	return out
}

// TestGoals: goals come from /goals/find once per is_active and assignee
// type (without them only the caller's active goals come), each goal once,
// inactive and non-company ones included; goal_results asks each goal's
// progress over the goal's own period, an open end being today.
func TestGoals(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 33, Scale: 20})
	c := newClient(t, sim, nil)
	before := time.Now().UTC().Format(time.DateOnly)
	res, col := run(t, c, runCfg{streams: full("goals", "goal_results")})
	mustComplete(t, res)
	after := time.Now().UTC().Format(time.DateOnly)
	finds := requestsTo(sim, func(p string) bool { return p == "/v1/goals/find" })
	if len(finds) != 12 {
		t.Errorf("%d calls of /goals/find, want 6 for each stream (2 activity states x 3 assignee types)", len(finds))
	}
	goals := map[string]json.RawMessage{}
	kinds := map[string]bool{}
	for _, r := range col.records["goals"] {
		var g struct {
			ID       string `json:"id"`
			IsActive bool   `json:"is_active"`
			Assignee struct {
				Type string `json:"type"`
			} `json:"assignee"`
		}
		if err := json.Unmarshal(r, &g); err != nil || g.ID == "" {
			t.Fatalf("goal %s: %v", r, err)
		}
		if goals[g.ID] != nil {
			t.Errorf("goal %s twice", g.ID)
		}
		goals[g.ID] = r
		kinds[fmt.Sprint(g.Assignee.Type, g.IsActive)] = true
	}
	if len(goals) < 4 || !kinds["teamfalse"] || !kinds["persontrue"] {
		t.Errorf("%d goals of kinds %v, want every simulated goal (a team's inactive one, a person's)", len(goals), kinds)
	}
	results := requestsTo(sim, func(p string) bool { return strings.HasPrefix(p, "/v1/goals/") && strings.HasSuffix(p, "/results") })
	if len(results) != len(goals) || len(col.records["goal_results"]) != len(goals) {
		t.Errorf("%d results requests, %d records, want one per goal (%d)", len(results), len(col.records["goal_results"]), len(goals))
	}
	for _, r := range col.records["goal_results"] {
		var gr struct {
			GoalID string `json:"goal_id"`
		}
		_ = json.Unmarshal(r, &gr)
		var g struct {
			Duration struct{ Start, End string }
		}
		if err := json.Unmarshal(goals[gr.GoalID], &g); err != nil {
			t.Fatalf("result %s names no goal read: %v", r, err)
		}
		found := false
		for _, today := range []string{before, after} { // the run may cross midnight
			wantEnd := g.Duration.End
			if wantEnd == "" || wantEnd > today {
				wantEnd = today
			}
			for _, q := range results {
				found = found || q.Get("period.start") == g.Duration.Start && q.Get("period.end") == wantEnd
			}
		}
		if !found {
			t.Errorf("goal %s: no results request over its period from %s (today %s)", gr.GoalID, g.Duration.Start, after)
		}
	}
}

// TestMail: mail_threads lists every folder, a thread in several (inbox
// and sent) once; mail reads each thread's messages once, and
// incrementally only those of threads changed since the state of their
// folder's listing.
func TestMail(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 34, Scale: 60})
	c := newClient(t, sim, nil)
	threads := map[string]bool{}
	th, _ := streams.Lookup("mail_threads")
	for _, f := range []string{"inbox", "drafts", "sent", "archive"} {
		if err := c.Pages(context.Background(), th.Request(url.Values{"folder": {f}}), func(p client.Page) error {
			for _, id := range idsOf("mail_threads", p.Records) {
				threads[id] = true
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	mail, _ := streams.Lookup("mail")
	want := 0
	for id := range threads {
		want += childrenOf(t, c, mail, id)
	}
	sim.ResetRequests()
	res, col := run(t, c, runCfg{streams: append(full("mail_threads"), incr("mail")...)})
	mustComplete(t, res)
	if got := col.ids("mail_threads"); len(got) != len(threads) || len(slices.Compact(got)) != len(got) {
		t.Errorf("%d mail threads (%d distinct), the folders list %d", len(got), len(slices.Compact(got)), len(threads))
	}
	called := requestsTo(sim, func(p string) bool { return strings.HasSuffix(p, "/mailMessages") })
	if len(called) != len(threads) || len(col.records["mail"]) != want || want == 0 {
		t.Errorf("%d message requests for %d threads, %d messages of %d", len(called), len(threads), len(col.records["mail"]), want)
	}
	state := col.lastState("mail")

	// Nothing changed: only the threads at a listing's newest update time
	// (the boundary, inclusive) are read again.
	sim.ResetRequests()
	res, col = run(t, c, runCfg{streams: incr("mail"), state: stateOf("mail", state)})
	mustComplete(t, res)
	base := len(requestsTo(sim, func(p string) bool { return strings.HasSuffix(p, "/mailMessages") }))
	if base > 2 {
		t.Errorf("no change: %d threads' messages read again, want only the boundary's", base)
	}
	state = col.lastState("mail")
	sim.Advance(time.Hour)
	var some string
	for id := range threads {
		some = id
		break
	}
	if err := sim.Update("mailThreads", some); err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	res, _ = run(t, c, runCfg{streams: incr("mail"), state: stateOf("mail", state)})
	mustComplete(t, res)
	got := requestsTo(sim, func(p string) bool { return strings.HasSuffix(p, "/"+some+"/mailMessages") })
	all := requestsTo(sim, func(p string) bool { return strings.HasSuffix(p, "/mailMessages") })
	if len(got) != 1 || len(all) > 1+base {
		t.Errorf("after thread %s changed: %d requests for it, %d in all (boundary %d)", some, len(got), len(all), base)
	}
}
