package engine_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// TestBackfillWithinTokenCap: a per-parent stream costing more than the
// run's token cap is read over several runs (simulated days): each run
// stays within the cap, stops with ErrTokenCap and its state saved at the
// last complete batch, and the next goes on from there, until the stream
// completes with every record of the full read; a record comes twice only
// when its parent sits on a stopping point's update time (updated_since is
// inclusive: the boundary second is re-read rather than risk a hole).
func TestBackfillWithinTokenCap(t *testing.T) {
	const name = "deal_changelog"
	st, _ := streams.Lookup(name)
	// Several pages of deals: the cap falls within a page, with the next
	// page prefetched.
	sim := newSim(t, pipedrivetest.Options{Seed: 41, Scale: 1200, DailyBudget: 10_000_000})
	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: full(name)})
	mustComplete(t, res)
	want := map[string]bool{}
	for _, r := range col.records[name] {
		want[pkOf(t, st, r)] = true
	}
	fullCost := res.Streams[0].Stats.Tokens
	capTokens := fullCost / 3

	parents := listParents(t, c, st)
	byTime := map[time.Time][]string{} // update time -> deal ids
	for _, ps := range parents {
		for _, p := range ps {
			byTime[p.ut] = append(byTime[p.ut], p.id)
		}
	}
	got := map[string]int{}
	boundary := map[string]bool{} // deals on a stopping point's update time
	var state map[string]json.RawMessage
	runs := 0
	for ; runs < 10; runs++ {
		col := newCollector(t)
		res, err := engine.Run(t.Context(), engine.Options{Client: c, Streams: incr(name), State: state, Sink: col, MaxTokens: capTokens})
		if err != nil {
			t.Fatal(err)
		}
		s := res.Streams[0]
		if s.Stats.Tokens > capTokens {
			t.Errorf("run %d spent %d tokens, the cap is %d", runs+1, s.Stats.Tokens, capTokens)
		}
		for _, r := range col.records[name] {
			got[pkOf(t, st, r)]++
		}
		last := col.lastState(name)
		if s.Complete {
			runs++
			break
		}
		if !errors.Is(s.Err, engine.ErrTokenCap) || !strings.Contains(s.Err.Error(), "next run goes on") {
			t.Fatalf("run %d ended with %v, want the token cap", runs+1, s.Err)
		}
		if last == nil {
			t.Fatalf("run %d saved no state at the cap", runs+1)
		}
		var cur struct{ Parents map[string]string }
		if err := json.Unmarshal(last, &cur); err != nil {
			t.Fatal(err)
		}
		for _, v := range cur.Parents { // each listing's stopping point
			at, err := engine.ParseTime(v)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range byTime[at] {
				boundary[id] = true
			}
		}
		state = stateOf(name, last)
		sim.Advance(24 * time.Hour) // the next day
	}
	if runs < 3 {
		t.Errorf("completed in %d runs with a cap of a third of the cost (%d of %d tokens)", runs, capTokens, fullCost)
	}
	for k := range want {
		if got[k] == 0 {
			t.Errorf("record %s never read", k)
		}
	}
	for k, n := range got {
		if !want[k] {
			t.Errorf("record %s is not in the full read", k)
		}
		if deal := strings.SplitN(k, "|", 2)[0]; n > 1 && !boundary[deal] {
			t.Errorf("record %s read %d times, its deal is on no stopping point", k, n)
		}
	}
}
