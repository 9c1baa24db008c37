package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// simEntity maps a stream to the simulator's entity name for Count/Records
// ("" when the simulator has no list helper for it).
func simEntity(stream string) string {
	switch stream {
	case "deals", "deals_archived", "persons", "organizations", "activities", "products", "pipelines", "stages",
		"notes", "files", "leads", "leads_archived", "deal_products", "projects", "tasks",
		"call_logs", "lead_fields", "note_fields", "projects_archived":
		return stream
	}
	return ""
}

// sameRecords reports how got differs from the simulator's listing of the
// stream ("" when they hold the same records, byte for byte). The deals
// stream also lists deleted deals, which the simulator's listing omits.
func sameRecords(sim *pipedrivetest.Server, stream string, got []json.RawMessage) string {
	want := rawSet(sim.Records(simEntity(stream)))
	g := rawSet(got)
	if stream == "deals" {
		g = slices.DeleteFunc(g, func(r string) bool { return strings.Contains(r, `"is_deleted":true`) })
	}
	if slices.Equal(g, want) {
		return ""
	}
	missing, extra := 0, 0
	for _, r := range want {
		if _, ok := slices.BinarySearch(g, r); !ok {
			missing++
		}
	}
	for _, r := range g {
		if _, ok := slices.BinarySearch(want, r); !ok {
			extra++
		}
	}
	return fmt.Sprintf("%d records, the simulator lists %d (%d missing, %d not listed)", len(g), len(want), missing, extra)
}

// TestFullRefreshEveryStream: every stream of the table reads completely
// against the simulator, with exactly one Checkpoint whose Count is the
// number of records, and returns what the simulator lists; a second full
// refresh (with another concurrency) gives the same records. The paged
// streams read at a scale of several pages (deals, call_logs); the
// per-record children (a request per parent: nearly all of the requests at
// that scale) at a small one, their fan-out over parents of several pages
// being TestChildStateIsParentsDone's and TestParentsCovered's.
func TestFullRefreshEveryStream(t *testing.T) {
	perRecord := func(s streams.Stream) bool {
		return s.Parent != nil && !s.Parent.FixedOnly() && s.Parent.Batch == 1
	}
	tests := []struct {
		name    string
		scale   int
		paged   bool // asserts the several pages of deals and call_logs
		streams []streams.Stream
	}{
		{"paged streams", 700, true, slices.DeleteFunc(streams.All(), perRecord)},
		{"per-record children", 40, false, slices.DeleteFunc(streams.All(), func(s streams.Stream) bool { return !perRecord(s) })},
	}
	if n := len(tests[0].streams) + len(tests[1].streams); n != len(streams.All()) || len(tests[1].streams) < 10 {
		t.Fatalf("the cases split %d streams into %d and %d", len(streams.All()), len(tests[0].streams), len(tests[1].streams))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 1, Scale: tt.scale, DailyBudget: 10_000_000})
			var all []engine.ConfiguredStream
			for _, s := range tt.streams {
				all = append(all, engine.ConfiguredStream{Name: s.Name, Mode: engine.FullRefresh})
			}
			c := newClient(t, sim, nil)
			res, col := run(t, c, runCfg{streams: all})
			mustComplete(t, res)
			for _, s := range tt.streams {
				n := len(col.records[s.Name])
				if got := col.counts[s.Name]; len(got) != 1 || got[0] != int64(n) {
					t.Errorf("%s: checkpoints %v, want one with Count %d", s.Name, got, n)
				}
				if simEntity(s.Name) != "" {
					if diff := sameRecords(sim, s.Name, col.records[s.Name]); diff != "" {
						t.Errorf("%s: %s", s.Name, diff)
					}
				}
				if n == 0 {
					t.Errorf("%s: no records", s.Name)
				}
				kinds := col.kinds[s.Name]
				if kinds[0] != engine.StreamQueued || kinds[1] != engine.StreamStarted || kinds[len(kinds)-1] != engine.StreamComplete {
					t.Errorf("%s: event order %v", s.Name, kinds)
				}
			}
			if tt.paged {
				if n := len(col.records["deals"]); n <= 500 {
					t.Errorf("deals: %d records, want the whole scale (several pages)", n)
				}
				if !strings.Contains(fmt.Sprint(rawSet(col.records["deals"])), `"is_deleted":true`) {
					t.Error("deals: no deleted deal listed")
				}
				// call_logs pages by 50 (the spec's maximum): this scale takes several.
				for _, s := range res.Streams {
					if s.Name == "call_logs" && s.Stats.Pages < 2 {
						t.Errorf("call_logs: %d records in %d pages, want pages of 50", s.Stats.Records, s.Stats.Pages)
					}
				}
			}
			// The stats add up to what the simulator saw, and no request is wasted:
			// a paged stream costs exactly one request per page.
			var tokens, requests int64
			for _, s := range res.Streams {
				tokens += s.Stats.Tokens
				requests += s.Stats.Requests
				st, _ := streams.Lookup(s.Name)
				if s.Stats.Bytes == 0 || s.Stats.Pages == 0 {
					t.Errorf("%s: stats %+v", s.Name, s.Stats)
				}
				if st.Parent == nil && s.Stats.Tokens != st.Pages(s.Stats.Records)*int64(st.TokenCost) {
					t.Errorf("%s: %d tokens for %d records, want %d", s.Name, s.Stats.Tokens, s.Stats.Records, st.Pages(s.Stats.Records)*int64(st.TokenCost))
				}
			}
			var simTokens int64
			for _, r := range sim.Requests() {
				simTokens += int64(r.Cost)
			}
			if requests != int64(len(sim.Requests())) || tokens != simTokens {
				t.Errorf("stats say %d requests / %d tokens, the simulator saw %d / %d", requests, tokens, len(sim.Requests()), simTokens)
			}
			// Same records again, with a different concurrency.
			res2, col2 := run(t, c, runCfg{streams: all, concurrency: 1})
			mustComplete(t, res2)
			for _, s := range tt.streams {
				a, b := col.records[s.Name], col2.records[s.Name]
				if len(a) != len(b) {
					t.Errorf("%s: second full refresh %d records, first %d", s.Name, len(b), len(a))
					continue
				}
				as, bs := rawSet(a), rawSet(b)
				if !slices.Equal(as, bs) {
					t.Errorf("%s: the two full refreshes differ", s.Name)
				}
			}
			// Every request authenticated by header, never by query.
			for _, r := range sim.Requests() {
				if r.Auth != "token" {
					t.Fatalf("request %s %s authenticated by %q", r.Method, r.Path, r.Auth)
				}
			}
		})
	}
}

func rawSet(recs []json.RawMessage) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r)
	}
	slices.Sort(out)
	return out
}

// TestIncrementalServerSide: after a first sync, the simulator's clock moves,
// records change, and the second sync returns exactly the boundary record(s)
// (updated_since is inclusive) plus what changed.
func TestIncrementalServerSide(t *testing.T) {
	// (deals_archived scans its list: TestArchivedSinceTheState)
	for _, stream := range []string{"deals", "persons", "organizations", "activities", "products", "notes", "leads"} {
		t.Run(stream, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 2, Scale: 400})
			c := newClient(t, sim, nil)
			res, col := run(t, c, runCfg{streams: incr(stream)})
			mustComplete(t, res)
			first := col.ids(stream)
			if want := sim.Count(stream); len(first) != want {
				t.Fatalf("first sync: %d records, simulator has %d", len(first), want)
			}
			if len(col.states[stream]) < 1 {
				t.Fatal("no checkpoint")
			}
			state := col.lastState(stream)
			boundary := boundaryIDs(t, stream, col.records[stream], state)

			sim.Advance(time.Hour)
			recs := sim.Records(stream)
			updated := idOf(t, stream, recs[len(recs)/3])
			if err := sim.Update(stream, updated); err != nil {
				t.Fatal(err)
			}
			inserted := sim.Insert(stream)
			want := append(append([]string{}, boundary...), updated, inserted)
			if stream == "deals" {
				// a deleted deal comes back with is_deleted:true
				deleted := idOf(t, stream, recs[len(recs)/2])
				if err := sim.Delete(stream, deleted); err != nil {
					t.Fatal(err)
				}
				want = append(want, deleted)
				defer func() {
					for _, r := range col.records[stream] {
						if idOf(t, stream, r) == deleted && !strings.Contains(string(r), `"is_deleted":true`) {
							t.Errorf("deleted deal without is_deleted:true: %s", r)
						}
					}
				}()
			}
			res, col = run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state)})
			mustComplete(t, res)
			if got := col.ids(stream); !slices.Equal(got, uniqSorted(want)) {
				t.Errorf("second sync returned %v, want %v (boundary %v)", got, uniqSorted(want), boundary)
			}
			if s2 := col.lastState(stream); string(s2) <= string(state) {
				t.Errorf("state did not advance: %s -> %s", state, s2)
			}
		})
	}
}

func uniqSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func idOf(t testing.TB, stream string, rec json.RawMessage) string {
	t.Helper()
	ids := idsOf(stream, []json.RawMessage{rec})
	return ids[0]
}

// boundaryIDs are the records whose cursor (to the second) equals the state.
func boundaryIDs(t testing.TB, stream string, recs []json.RawMessage, state json.RawMessage) []string {
	t.Helper()
	st, _ := streams.Lookup(stream)
	var m map[string]any // (an archived list's also has tail_start, a number)
	if err := json.Unmarshal(state, &m); err != nil {
		t.Fatal(err)
	}
	cur, _ := m[st.Cursor].(string)
	at, err := engine.ParseTime(cur)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		var f map[string]any
		_ = json.Unmarshal(r, &f)
		s, _ := f[st.Cursor].(string)
		if ts, err := engine.ParseTime(s); err == nil && ts.Truncate(time.Second).Equal(at) {
			out = append(out, idOf(t, stream, r))
		}
	}
	return out
}

// TestResumeFromEveryState: for each intermediate state of a multi-page
// incremental sync, a sync resumed from it returns every record emitted after
// it (nothing lost), and only records at or after its cursor.
func TestResumeFromEveryState(t *testing.T) {
	for _, stream := range []string{"deals", "notes", "deal_products"} {
		t.Run(stream, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 3, Scale: 1300})
			c := newClient(t, sim, nil)
			res, col := run(t, c, runCfg{streams: incr(stream)})
			mustComplete(t, res)
			states := col.states[stream]
			if len(states) < 3 {
				t.Fatalf("%d checkpoints, want a multi-page sync", len(states))
			}
			all := col.records[stream]
			for i, st := range states[:len(states)-1] {
				_, rcol := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, st)})
				got := map[string]bool{}
				for _, id := range rcol.ids(stream) {
					got[id] = true
				}
				rest := idsOf(stream, all[col.at[stream][i]:])
				if len(rest) == 0 {
					t.Fatalf("checkpoint %d is not intermediate", i)
				}
				for _, id := range rest {
					if !got[id] {
						t.Fatalf("resume from checkpoint %d (%s) lost record %s", i, st, id)
					}
				}
				// and it re-reads no more than the boundary of that state
				// (for deal_products: the products of the boundary deals)
				extra := len(got) - len(rest)
				if stream == "deal_products" {
					continue
				}
				if extra < 0 || extra > len(boundaryIDs(t, stream, all[:col.at[stream][i]], st)) {
					t.Errorf("resume from %s: %d records, %d expected after it", st, len(got), len(rest))
				}
			}
		})
	}
}

// TestFutureState: a state in the future gives zero records and exactly one
// Checkpoint, for every incremental stream; the old connector's state format
// is accepted.
func TestFutureState(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 4, Scale: 100})
	c := newClient(t, sim, nil)
	var list []engine.ConfiguredStream
	state := map[string]json.RawMessage{}
	for _, s := range streams.All() {
		if s.SupportsIncremental() && s.Strategy != streams.TailWatermark { // a position, not a time: TestCallLogsTail
			list = append(list, engine.ConfiguredStream{Name: s.Name, Mode: engine.Incremental})
			state[s.Name] = json.RawMessage(fmt.Sprintf(`{%q:"2217-06-26 21:20:07"}`, s.Cursor))
			if s.Parent != nil {
				// A state of one cursor covers the first parent listing only
				// (TestDealProductsOfEveryDeal); this one covers all of them.
				ps := map[string]string{}
				for _, p := range s.Parent.Parents {
					ps[p.Key()] = "2217-06-26 21:20:07"
				}
				b, _ := json.Marshal(map[string]any{"parents": ps})
				state[s.Name] = b
			}
		}
	}
	res, col := run(t, c, runCfg{streams: list, state: state})
	mustComplete(t, res)
	for _, cs := range list {
		n := len(col.records[cs.Name])
		if st, _ := streams.Lookup(cs.Name); st.ArchiveTime != "" {
			// archived records without an archive time cannot be placed
			// after a state: they come every time (TestArchivedSinceTheState)
			n = len(slices.DeleteFunc(slices.Clone(col.records[cs.Name]), func(r json.RawMessage) bool { return !strings.Contains(string(r), `"`+st.ArchiveTime+`":"`) }))
		}
		if n != 0 {
			t.Errorf("%s: %d records from a future state", cs.Name, n)
		}
		if n := len(col.states[cs.Name]); n != 1 {
			t.Errorf("%s: %d checkpoints, want 1", cs.Name, n)
		}
	}
}

// TestClientSideCursor: streams without a server filter read everything and
// emit only records whose cursor is >= the state; the state is the max.
func TestClientSideCursor(t *testing.T) {
	// (leads_archived has no archive_time to place records after a state:
	// TestArchivedSinceTheState)
	for _, stream := range []string{"pipelines", "stages", "files", "users", "activity_types", "filters", "lead_labels", "projects", "projects_archived", "tasks"} {
		t.Run(stream, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 5, Scale: 300})
			c := newClient(t, sim, nil)
			res, col := run(t, c, runCfg{streams: incr(stream)})
			mustComplete(t, res)
			n := len(col.records[stream])
			if n == 0 {
				t.Fatal("no records")
			}
			if simEntity(stream) != "" {
				if diff := sameRecords(sim, stream, col.records[stream]); diff != "" {
					t.Errorf("first sync: %s", diff)
				}
			}
			if len(col.states[stream]) != 1 {
				t.Fatalf("%d checkpoints, want 1", len(col.states[stream]))
			}
			state := col.lastState(stream)
			st, _ := streams.Lookup(stream)
			maxT := maxCursor(t, st.Cursor, col.records[stream])
			if maxT.IsZero() {
				// No record carries the cursor (the simulator's users have
				// modified:null): nothing to place a state on.
				if string(state) != `{}` {
					t.Errorf("state %s without any cursor value, want {}", state)
				}
				_, col2 := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, json.RawMessage(`{"modified":"2020-01-01T00:00:00Z"}`))})
				warned := false
				for _, e := range col2.events(engine.Log) {
					warned = warned || e.Level == engine.LevelWarn && strings.Contains(e.Message, "no "+st.Cursor)
				}
				if len(col2.records[stream]) != 0 || !warned {
					t.Errorf("records without a cursor after a state: %d records, warned %v", len(col2.records[stream]), warned)
				}
				return
			}
			var keys map[string]any
			if err := json.Unmarshal(state, &keys); err != nil {
				t.Fatal(err)
			}
			if st.ArchiveTime != "" {
				// a whole read of an archived list is a sweep: TestArchivedSweep
				delete(keys, "swept_at")
				delete(keys, "sweep_from")
			}
			if want := map[string]any{st.Cursor: engine.FormatState(maxT)}; !maps.Equal(keys, want) {
				t.Errorf("state %s, want %v", state, want)
			}
			want := boundaryIDs(t, stream, col.records[stream], state)
			if simEntity(stream) != "" && stream != "leads_archived" {
				sim.Advance(time.Hour)
				recs := sim.Records(stream)
				updated := idOf(t, stream, recs[len(recs)/3])
				if err := sim.Update(stream, updated); err != nil {
					t.Fatal(err)
				}
				want = append(want, updated, sim.Insert(stream))
			}
			res, col2 := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state)})
			mustComplete(t, res)
			if got := col2.ids(stream); !slices.Equal(got, uniqSorted(want)) {
				t.Errorf("second sync %v, want %v", got, uniqSorted(want))
			}
		})
	}
}

func maxCursor(t testing.TB, cursor string, recs []json.RawMessage) time.Time {
	var m time.Time
	for _, r := range recs {
		var f map[string]any
		_ = json.Unmarshal(r, &f)
		s, _ := f[cursor].(string)
		if ts, err := engine.ParseTime(s); err == nil && ts.After(m) {
			m = ts
		}
	}
	return m
}

// TestStartDate: the start date is a floor for server-side streams (sent as
// updated_since) and a filter for client-side ones.
func TestStartDate(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 6, Scale: 400})
	c := newClient(t, sim, nil)
	start := sim.Now().AddDate(0, -6, 0)
	res, col := run(t, c, runCfg{streams: incr("deals", "notes", "stages", "files"), start: start})
	mustComplete(t, res)
	for _, stream := range []string{"deals", "notes", "stages", "files"} {
		st, _ := streams.Lookup(stream)
		want := 0
		for _, r := range sim.Records(stream) {
			var f map[string]any
			_ = json.Unmarshal(r, &f)
			s, _ := f[st.Cursor].(string)
			if ts, err := engine.ParseTime(s); err != nil || !ts.Before(start) {
				want++
			}
		}
		if got := len(col.records[stream]); got != want || got == 0 && stream == "deals" {
			t.Errorf("%s: %d records since the start date, want %d", stream, got, want)
		}
	}
}

// TestDealProductsFollowDeals pins the team's assumption with the simulator:
// changing a deal's products bumps the deal, so an incremental deal_products
// sync finds exactly the products of the deals changed since its state, 100
// deals per /deals/products call.
func TestDealProductsFollowDeals(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 7, Scale: 450})
	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: incr("deal_products")})
	mustComplete(t, res)
	if got, want := len(col.records["deal_products"]), sim.Count("deal_products"); got != want || got == 0 {
		t.Fatalf("first sync %d deal products, simulator has %d", got, want)
	}
	calls := 0
	for _, r := range sim.Requests() {
		if r.Path == "/api/v2/deals/products" {
			calls++
			if n := strings.Count(r.Query, "%2C") + 1; n > 100 {
				t.Errorf("%d deal ids in one call", n)
			}
		}
	}
	// 450 deals: those of /deals (deleted ones included) in batches of 100,
	// then the archived ones.
	if want := batchesFor(t, c, "deals") + batchesFor(t, c, "deals_archived"); calls != want || want < 5 {
		t.Errorf("%d /deals/products calls for 450 deals, want %d", calls, want)
	}
	state := col.lastState("deal_products")

	sim.Advance(time.Hour)
	if err := sim.SetDealProducts("17", 3); err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	res, col = run(t, c, runCfg{streams: incr("deal_products"), state: stateOf("deal_products", state)})
	mustComplete(t, res)
	got := map[string]int{}
	for _, r := range col.records["deal_products"] {
		var f struct {
			DealID json.Number `json:"deal_id"`
		}
		_ = json.Unmarshal(r, &f)
		got[f.DealID.String()]++
	}
	if got["17"] != 3 {
		t.Errorf("deal 17: %d products, want its 3 new ones (got %v)", got["17"], got)
	}
	// Besides deal 17 only the boundary deals of the old state come back.
	var cs struct{ Parents map[string]string }
	if err := json.Unmarshal(state, &cs); err != nil {
		t.Fatal(err)
	}
	boundary := 0
	for _, p := range []string{"deals", "deals_archived"} {
		boundary += len(boundaryIDs(t, p, sim.Records(p), json.RawMessage(`{"update_time":"`+cs.Parents[p]+`"}`)))
	}
	if len(got) > 1+boundary {
		t.Errorf("second sync read products of %d deals: %v", len(got), got)
	}
}

// batchesFor is how many batches of 100 the records of a full read of
// stream make.
func batchesFor(t *testing.T, c *client.Client, stream string) int {
	t.Helper()
	res, col := run(t, c, runCfg{streams: full(stream)})
	mustComplete(t, res)
	return (len(col.records[stream]) + 99) / 100
}

// TestFaultsAreRetried: 5xx, connection resets and truncated bodies are
// retried and the read gives the same records as a clean one.
func TestFaultsAreRetried(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 8, Scale: 1500})
	c := newClient(t, sim, nil)
	_, clean := run(t, c, runCfg{streams: full("deals", "notes")})
	for _, f := range []pipedrivetest.Fault{
		{Path: "/api/v2/deals", Kind: pipedrivetest.FaultStatus, Status: 502, Times: 2},
		{Path: "/api/v2/deals", Kind: pipedrivetest.FaultReset, Times: 1},
		{Path: "/api/v2/deals", Kind: pipedrivetest.FaultTruncate, Times: 1},
		{Path: "/v1/notes", Kind: pipedrivetest.FaultStatus, Status: 503, Rate: 0.3, Seed: 1},
		{Path: "/v1/notes", Kind: pipedrivetest.FaultTruncate, Times: 2},
	} {
		sim.Fault(f)
	}
	res, col := run(t, c, runCfg{streams: full("deals", "notes")})
	mustComplete(t, res)
	for _, s := range []string{"deals", "notes"} {
		if !slices.Equal(rawSet(col.records[s]), rawSet(clean.records[s])) {
			t.Errorf("%s: records differ after faults", s)
		}
	}
	warn := 0
	for _, e := range col.events(engine.Log) {
		if e.Level == engine.LevelWarn {
			warn++
		}
	}
	if warn < 4 {
		t.Errorf("%d retry warnings, want one per injected fault", warn)
	}
}

// TestFailuresAreClassified: each failing answer ends the stream
// StreamIncomplete with the right failure type and a message that helps and
// never contains the token; other streams go on.
func TestFailuresAreClassified(t *testing.T) {
	tests := []struct {
		name    string
		fault   pipedrivetest.Fault
		auth    bool
		failure engine.FailureType
		mention string
	}{
		{"401", pipedrivetest.Fault{}, true, engine.ConfigError, "API token"},
		{"402", pipedrivetest.Fault{Path: "/api/v2/deals", Status: 402}, false, engine.ConfigError, "inactive"},
		{"403 html", pipedrivetest.Fault{Path: "/api/v2/deals", Kind: pipedrivetest.FaultHTML403}, false, engine.ConfigError, "permission"},
		{"persistent 500", pipedrivetest.Fault{Path: "/api/v2/deals", Status: 500}, false, engine.TransientError, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 9, Scale: 60})
			token := sim.Token()
			c := newClient(t, sim, func(o *client.Options) {
				if tt.auth {
					o.Auth = client.TokenAuth(token + "-revoked")
				}
			})
			if !tt.auth {
				sim.Fault(tt.fault)
			}
			res, col := run(t, c, runCfg{streams: full("deals", "stages")})
			var deals engine.StreamResult
			for _, s := range res.Streams {
				if s.Name == "deals" {
					deals = s
				}
				if s.Name != "stages" {
					continue
				}
				switch {
				case tt.name == "402":
					// A 402 refuses the whole account: stages either finished
					// before deals met it, or was stopped with the same config
					// error (which one depends on which stream sent first).
					if !s.Complete && s.Failure != engine.ConfigError {
						t.Errorf("stages stopped with %q after the account was refused, want %q", s.Failure, engine.ConfigError)
					}
				case s.Complete == tt.auth:
					t.Errorf("stages complete=%v", s.Complete)
				}
			}
			if deals.Complete || deals.Failure != tt.failure {
				t.Fatalf("deals: complete=%v failure=%q err=%v", deals.Complete, deals.Failure, deals.Err)
			}
			if !strings.Contains(deals.Err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", deals.Err, tt.mention)
			}
			if len(col.states["deals"]) != 1 {
				t.Errorf("deals: %d checkpoints, want the last good state flushed once", len(col.states["deals"]))
			}
			for _, e := range col.ev {
				s := fmt.Sprint(e.Message, e.Err, string(e.State))
				if strings.Contains(s, token) {
					t.Fatalf("event leaks the token: %s", s)
				}
			}
			if err := res.Err(); err == nil || strings.Contains(err.Error(), token) {
				t.Errorf("Result.Err() = %v", err)
			}
		})
	}
}

// TestAccountRefusalStopsTheRun: once Pipedrive refuses the credentials
// (401) or the account (402), the streams not yet started end incomplete
// with the same config error without sending a request; a 403 (one entity's
// permission) lets the others go on.
func TestAccountRefusalStopsTheRun(t *testing.T) {
	tests := []struct {
		name     string
		revoked  bool
		fault    pipedrivetest.Fault
		wantReqs int // requests of the whole run
		others   bool
	}{
		{"401", true, pipedrivetest.Fault{}, 1, false},
		{"402", false, pipedrivetest.Fault{Path: "/api/v2/deals", Status: 402}, 1, false},
		{"403", false, pipedrivetest.Fault{Path: "/api/v2/deals", Status: 403}, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 9, Scale: 30})
			c := newClient(t, sim, func(o *client.Options) {
				if tt.revoked {
					o.Auth = client.TokenAuth(sim.Token() + "-revoked")
				}
			})
			if !tt.revoked {
				sim.Fault(tt.fault)
			}
			res, _ := run(t, c, runCfg{streams: full("deals", "stages", "pipelines", "currencies"), concurrency: 1})
			if n := len(sim.Requests()); n != tt.wantReqs {
				t.Errorf("%d requests, want %d", n, tt.wantReqs)
			}
			for _, s := range res.Streams {
				if s.Name == "deals" || !tt.others {
					if s.Complete || s.Failure != engine.ConfigError {
						t.Errorf("%s: complete=%v failure=%q err=%v", s.Name, s.Complete, s.Failure, s.Err)
					}
					continue
				}
				if !s.Complete {
					t.Errorf("%s: incomplete after a 403 of deals: %v", s.Name, s.Err)
				}
			}
		})
	}
}

// TestBudgetExhaustion: when the daily budget runs out mid-sync the engine
// stops cleanly (no hammering), every stream ends incomplete with a transient
// failure and a budget error carrying the reset time, the last good state is
// saved, and the next day's sync resumes from it without losing anything.
func TestBudgetExhaustion(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 10, Scale: 3000, DailyBudget: 2 + 45})
	c := newClient(t, sim, nil)
	if _, err := c.Me(context.Background()); err != nil { // learn the budget (2 tokens)
		t.Fatal(err)
	}
	res, col := run(t, c, runCfg{streams: incr("deals", "persons"), concurrency: 1})
	at, ok := res.BudgetExhausted()
	if !ok || at.IsZero() {
		t.Fatalf("BudgetExhausted = %v, %v; results %+v", at, ok, res.Streams)
	}
	var be *client.BudgetError
	if !errors.As(res.Err(), &be) {
		t.Errorf("Result.Err() = %v, want a *client.BudgetError inside", res.Err())
	}
	for _, s := range res.Streams {
		if s.Complete || s.Failure != engine.TransientError || !client.IsBudgetExhausted(s.Err) {
			t.Errorf("%s: complete=%v failure=%s err=%v", s.Name, s.Complete, s.Failure, s.Err)
		}
	}
	refused := 0
	for _, r := range sim.Requests() {
		if r.Status == 429 {
			refused++
		}
	}
	if refused > 1 {
		t.Errorf("%d refused requests: the engine kept hammering", refused)
	}
	if n := len(col.records["deals"]); n != 4*500 {
		t.Errorf("deals: %d records before the budget ran out, want 4 pages", n)
	}
	state := col.lastState("deals")
	if state == nil || len(col.states["persons"]) != 1 {
		t.Fatalf("states: deals %s, persons %d", state, len(col.states["persons"]))
	}
	budgetEvents := col.events(engine.Budget)
	if len(budgetEvents) == 0 || !budgetEvents[len(budgetEvents)-1].Budget.Exhausted {
		t.Errorf("no Budget event saying exhausted: %+v", budgetEvents)
	}

	// Next day: a new client (a new process) resumes from the saved state.
	sim.Advance(24 * time.Hour)
	c2 := newClient(t, sim, nil)
	res2, col2 := run(t, c2, runCfg{streams: incr("deals"), state: stateOf("deals", state)})
	mustComplete(t, res2)
	got := map[string]bool{}
	for _, id := range append(col.ids("deals"), col2.ids("deals")...) {
		got[id] = true
	}
	if len(got) != sim.Count("deals") {
		t.Errorf("after resuming: %d distinct deals, simulator has %d", len(got), sim.Count("deals"))
	}
}

// TestConcurrencyKeepsResults: 1, 3 and 8 workers give the same records and
// states for a mixed catalog.
func TestConcurrencyKeepsResults(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 11, Scale: 600})
	c := newClient(t, sim, nil)
	list := append(incr("deals", "persons", "notes", "stages", "users"), full("deal_fields", "currencies")...)
	var first *collector
	for _, n := range []int{1, 3, 8} {
		res, col := run(t, c, runCfg{streams: list, concurrency: n})
		mustComplete(t, res)
		if first == nil {
			first = col
			continue
		}
		for _, cs := range list {
			if !slices.Equal(rawSet(col.records[cs.Name]), rawSet(first.records[cs.Name])) ||
				string(col.lastState(cs.Name)) != string(first.lastState(cs.Name)) {
				t.Errorf("concurrency %d: %s differs", n, cs.Name)
			}
		}
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 12, Scale: 10})
	c := newClient(t, sim, nil)
	// Errors in the input (catalog, state) are the user's to fix: config
	// errors. Missing options are a caller's bug.
	tests := []struct {
		name string
		opts engine.Options
		want engine.FailureType
	}{
		{"unknown stream", engine.Options{Client: c, Sink: newCollector(t), Streams: full("recents")}, engine.ConfigError},
		{"twice", engine.Options{Client: c, Sink: newCollector(t), Streams: full("deals", "deals")}, engine.ConfigError},
		{"incremental on full-refresh-only", engine.Options{Client: c, Sink: newCollector(t), Streams: incr("currencies")}, engine.ConfigError},
		{"bad mode", engine.Options{Client: c, Sink: newCollector(t), Streams: []engine.ConfiguredStream{{Name: "deals", Mode: "append"}}}, engine.ConfigError},
		{"bad state", engine.Options{Client: c, Sink: newCollector(t), Streams: incr("deals"), State: stateOf("deals", json.RawMessage(`{"update_time":"yesterday"}`))}, engine.ConfigError},
		{"state not a string", engine.Options{Client: c, Sink: newCollector(t), Streams: incr("deals"), State: stateOf("deals", json.RawMessage(`{"update_time":12}`))}, engine.ConfigError},
		{"no client", engine.Options{Sink: newCollector(t), Streams: full("deals")}, engine.SystemError},
		{"no sink", engine.Options{Client: c, Streams: full("deals")}, engine.SystemError},
	}
	for _, tt := range tests {
		_, err := engine.Run(context.Background(), tt.opts)
		if err == nil {
			t.Errorf("%s: Run accepted it", tt.name)
			continue
		}
		got := engine.SystemError
		var fc interface{ FailureType() engine.FailureType }
		if errors.As(err, &fc) {
			got = fc.FailureType()
		}
		if got != tt.want {
			t.Errorf("%s: %v classifies as %s, want %s", tt.name, err, got, tt.want)
		}
	}
	if _, err := engine.Run(context.Background(), engine.Options{Client: c, Sink: newCollector(t), Streams: full("recents")}); !errors.Is(err, engine.ErrUnknownStream) {
		t.Errorf("unknown stream: %v is not ErrUnknownStream", err)
	}
	if len(sim.Requests()) != 0 {
		t.Errorf("%d requests sent for rejected runs", len(sim.Requests()))
	}
}

// TestUpdatesDuringRead: a record already read is updated while the sync is
// still paging (it moves to the end of the update_time order). v1 lists page
// by offset, where that shift would silently skip a record; the keyset
// reading must return every record, for v1 (notes) and v2 (deals).
func TestUpdatesDuringRead(t *testing.T) {
	for _, stream := range []string{"notes", "leads", "deals"} {
		for _, mode := range []engine.Mode{engine.Incremental, engine.FullRefresh} {
			t.Run(stream+"/"+string(mode), func(t *testing.T) {
				scale := 1100
				if stream == "leads" {
					scale = 2400 // a lead per four deals: enough for two pages
				}
				sim := newSim(t, pipedrivetest.Options{Seed: 13, Scale: scale})
				c := newClient(t, sim, nil)
				want := sim.Count(stream)
				col := newCollector(t)
				updates := 0
				sink := engine.SinkFunc(func(ctx context.Context, ev engine.Event) error {
					if ev.Kind == engine.Records && ev.Stream == stream && updates < 3 {
						// Update records this page already delivered.
						sim.Advance(time.Minute)
						if err := sim.Update(stream, idOf(t, stream, ev.Records[updates])); err != nil {
							t.Fatal(err)
						}
						updates++
					}
					return col.Emit(ctx, ev)
				})
				res, err := engine.Run(context.Background(), engine.Options{Client: c, Sink: sink,
					Streams: []engine.ConfiguredStream{{Name: stream, Mode: mode}}})
				if err != nil {
					t.Fatal(err)
				}
				mustComplete(t, res)
				if updates < 2 {
					t.Fatalf("only %d pages: the test needs several", updates)
				}
				if stream == "deals" { // the simulator's list omits status=deleted
					want += strings.Count(fmt.Sprint(rawSet(col.records[stream])), `"is_deleted":true`)
				}
				if got := len(uniqSorted(col.ids(stream))); got != want {
					t.Errorf("%d distinct records, the simulator has %d: records were skipped", got, want)
				}
			})
		}
	}
}

// TestCancelStopsCleanly: cancelling the run (Ctrl-C, SIGTERM) stops every
// stream after its last checkpoint; the stream ends incomplete (transient)
// and its last emitted state is a resume point that loses nothing.
func TestCancelStopsCleanly(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 14, Scale: 2200})
	c := newClient(t, sim, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	col := newCollector(t)
	checkpoints := 0
	var afterCancel []engine.Kind
	var mu sync.Mutex // Budget events may come from the prefetching goroutine
	sink := engine.SinkFunc(func(ctx context.Context, ev engine.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if checkpoints >= 2 {
			afterCancel = append(afterCancel, ev.Kind)
		}
		if err := col.Emit(ctx, ev); err != nil {
			return err
		}
		if ev.Kind == engine.Checkpoint {
			checkpoints++
			if checkpoints == 2 {
				cancel()
			}
		}
		return nil
	})
	res, err := engine.Run(ctx, engine.Options{Client: c, Sink: sink, Streams: incr("deals"), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Streams[0]
	if d.Complete || d.Failure != engine.TransientError || !errors.Is(d.Err, context.Canceled) {
		t.Fatalf("deals: complete=%v failure=%s err=%v", d.Complete, d.Failure, d.Err)
	}
	if slices.Contains(afterCancel, engine.Records) {
		t.Errorf("records emitted after the cancel: %v", afterCancel)
	}
	if afterCancel[len(afterCancel)-1] != engine.StreamIncomplete {
		t.Errorf("events after the cancel: %v", afterCancel)
	}
	if string(d.State) != string(col.lastState("deals")) {
		t.Errorf("result state %s, last emitted %s", d.State, col.lastState("deals"))
	}
	// Resuming from it returns the rest.
	_, rest := run(t, c, runCfg{streams: incr("deals"), state: stateOf("deals", d.State)})
	got := map[string]bool{}
	for _, id := range append(col.ids("deals"), rest.ids("deals")...) {
		got[id] = true
	}
	if want := sim.Count("deals"); len(got) < want {
		t.Errorf("%d distinct deals after resuming, simulator lists %d", len(got), want)
	}
}

// TestSinkErrorFailsStream: a sink that cannot write fails the stream as a
// system error, without a state flushed after the failed write; other
// streams are unaffected.
func TestSinkErrorFailsStream(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 15, Scale: 50})
	c := newClient(t, sim, nil)
	col := newCollector(t)
	diskFull := errors.New("disk full")
	sink := engine.SinkFunc(func(ctx context.Context, ev engine.Event) error {
		if ev.Stream == "deals" && ev.Kind == engine.Records {
			return diskFull
		}
		return col.Emit(ctx, ev)
	})
	res, err := engine.Run(context.Background(), engine.Options{Client: c, Sink: sink, Streams: full("deals", "stages"),
		Estimates: map[string]int64{"deals": 42}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Streams {
		switch s.Name {
		case "deals":
			if s.Complete || s.Failure != engine.SystemError || !errors.Is(s.Err, diskFull) {
				t.Errorf("deals: complete=%v failure=%s err=%v", s.Complete, s.Failure, s.Err)
			}
		case "stages":
			if !s.Complete {
				t.Errorf("stages failed: %v", s.Err)
			}
		}
	}
	if n := len(col.states["deals"]); n != 0 {
		t.Errorf("deals: %d checkpoints after a failed write", n)
	}
	for _, e := range col.events(engine.StreamQueued) {
		want := int64(-1)
		if e.Stream == "deals" {
			want = 42
		}
		if e.Stats.Estimate != want {
			t.Errorf("%s queued with estimate %d, want %d", e.Stream, e.Stats.Estimate, want)
		}
	}
}
