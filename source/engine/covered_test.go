package engine_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// productsByDeal maps a deal id to the ids of its products in the simulator.
func productsByDeal(t *testing.T, sim *pipedrivetest.Server) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range sim.Records("deal_products") {
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

// coverage checks the ParentsCovered events of deal_products in col: each
// covered deal's products emitted before it are exactly the simulator's
// (want), and a Checkpoint follows it. It returns the covered deals.
func coverage(t *testing.T, col *collector, want map[string][]string) map[string]bool {
	t.Helper()
	emitted := map[string][]string{}
	covered := map[string]bool{}
	open := false // a ParentsCovered not yet followed by a Checkpoint
	for _, ev := range col.ev {
		if ev.Stream != "deal_products" {
			continue
		}
		switch ev.Kind {
		case engine.Records:
			for _, r := range ev.Records {
				var f struct {
					ID     json.Number `json:"id"`
					DealID json.Number `json:"deal_id"`
				}
				_ = json.Unmarshal(r, &f)
				emitted[f.DealID.String()] = append(emitted[f.DealID.String()], f.ID.String())
			}
		case engine.ParentsCovered:
			open = true
			for _, id := range ev.Parents {
				got, w := slices.Clone(emitted[id]), slices.Clone(want[id])
				sort.Strings(got)
				sort.Strings(w)
				if !slices.Equal(got, w) {
					t.Errorf("deal %s covered with products %v emitted, the simulator has %v", id, got, w)
				}
				covered[id] = true
			}
		case engine.Checkpoint:
			open = false
		}
	}
	if open {
		t.Error("a ParentsCovered event has no Checkpoint after it")
	}
	return covered
}

// TestParentsCovered: every batch read whole is reported, after its
// records and before the Checkpoint covering it, with exactly its parents;
// a full read covers every listed deal (those without products too); a
// batch that failed mid-way covers nothing, and its resume covers it.
func TestParentsCovered(t *testing.T) {
	engine.WithStreams(t, dealsOnlyProducts)
	sim := newSim(t, pipedrivetest.Options{Seed: 22, Scale: 1300})
	deals := listedDeals(t, sim)
	ids := make([]string, 0, len(deals))
	for id := range deals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	sim.Advance(time.Hour)
	// As in TestChildFailureMidBatch: the newest batch has two pages.
	heavy := ids[:len(ids)%100+100]
	for _, id := range heavy {
		if err := sim.SetDealProducts(id, 8); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.SetDealProducts(ids[len(ids)-1], 0); err != nil {
		t.Fatal(err)
	}
	want := productsByDeal(t, sim)

	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: full("deal_products")})
	mustComplete(t, res)
	covered := coverage(t, col, want)
	if len(covered) != len(deals) {
		t.Errorf("a full read covered %d deals, %d are listed", len(covered), len(deals))
	}
	if !covered[ids[len(ids)-1]] {
		t.Error("the deal without products is not covered")
	}

	ft := &failingPages{}
	ft.armed.Store(true)
	c = newClient(t, sim, func(o *client.Options) { o.HTTPClient = &http.Client{Transport: ft} })
	sim.ResetRequests()
	res, col = run(t, c, runCfg{streams: incr("deal_products")})
	if res.Streams[0].Complete {
		t.Fatal("precondition: the run with failing pages completed")
	}
	failed := failedBatch(t, sim, batches(t, sim)) // not the last asked for: batches are in flight
	covered = coverage(t, col, want)
	for _, id := range failed {
		if covered[id] {
			t.Errorf("deal %s of the failed batch is covered", id)
		}
	}
	if len(covered) != len(deals)-len(heavy) {
		t.Errorf("%d deals covered before the failure, want %d (all but the failed batch)", len(covered), len(deals)-len(heavy))
	}
	ft.armed.Store(false)
	res, col = run(t, c, runCfg{streams: incr("deal_products"), state: stateOf("deal_products", col.lastState("deal_products"))})
	mustComplete(t, res)
	covered = coverage(t, col, want)
	for _, id := range failed {
		if !covered[id] {
			t.Errorf("resume: deal %s of the failed batch is not covered", id)
		}
	}
}

// TestParentsCoveredUnderTokenCap: a read stopped by the token cap covers
// exactly the batches it read whole, and runs resumed from its state cover
// the rest: together every listed deal.
func TestParentsCoveredUnderTokenCap(t *testing.T) {
	engine.WithStreams(t, dealsOnlyProducts)
	sim := newSim(t, pipedrivetest.Options{Seed: 24, Scale: 1300, DailyBudget: 10_000_000})
	deals := listedDeals(t, sim)
	want := productsByDeal(t, sim)
	c := newClient(t, sim, nil)
	res, _ := run(t, c, runCfg{streams: full("deal_products")})
	mustComplete(t, res)
	capTokens := res.Streams[0].Stats.Tokens / 3
	covered := map[string]bool{}
	var state map[string]json.RawMessage
	for runs := 0; ; runs++ {
		if runs == 10 {
			t.Fatal("not complete after 10 capped runs")
		}
		col := newCollector(t)
		res, err := engine.Run(t.Context(), engine.Options{Client: c, Streams: incr("deal_products"), State: state, Sink: col, MaxTokens: capTokens})
		if err != nil {
			t.Fatal(err)
		}
		for id := range coverage(t, col, want) {
			covered[id] = true
		}
		if res.Streams[0].Complete {
			if runs == 0 {
				t.Fatal("precondition: the first capped run completed")
			}
			break
		}
		state = stateOf("deal_products", col.lastState("deal_products"))
	}
	if len(covered) != len(deals) {
		t.Errorf("the capped runs covered %d deals, %d are listed", len(covered), len(deals))
	}
}
