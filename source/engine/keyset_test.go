package engine_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestKeysetChecksTheOrder (issue 12, item 6): the v1 keyset read of /leads
// relies on the update_time order it asks for, whose direction the spec does
// not document. When a page comes in another order, the read does not
// follow it (that would skip records silently) but reads the stream whole,
// with a warning: every lead arrives, and the state is the newest seen.
func TestKeysetChecksTheOrder(t *testing.T) {
	tests := []struct {
		name  string
		mode  engine.Mode
		times int // requests the fault hits (0: every one)
		state bool
	}{
		{"full refresh, first page reversed", engine.FullRefresh, 1, false},
		{"incremental, every page reversed", engine.Incremental, 0, true},
		{"incremental, first page reversed", engine.Incremental, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 33, Scale: 2600}) // 650 leads: two pages
			c := newClient(t, sim, nil)
			cfg := runCfg{streams: []engine.ConfiguredStream{{Name: "leads", Mode: tt.mode}}}
			want := rawSet(sim.Records("leads"))
			if tt.state {
				// a state in the middle: records before it come from the
				// full read too
				res, col := run(t, c, runCfg{streams: incr("leads")})
				mustComplete(t, res)
				cfg.state = stateOf("leads", col.states["leads"][0])
				sim.Advance(time.Hour)
				if err := sim.Update("leads", idOf(t, "leads", sim.Records("leads")[3])); err != nil {
					t.Fatal(err)
				}
				want = rawSet(sim.Records("leads"))
			}
			sim.Fault(pipedrivetest.Fault{Path: "/v1/leads", Kind: pipedrivetest.FaultReverseSort, Times: tt.times})
			res, col := run(t, c, cfg)
			mustComplete(t, res)
			if got := slices.Compact(rawSet(col.records["leads"])); !slices.Equal(got, want) {
				t.Errorf("%d distinct leads delivered, the simulator has %d", len(got), len(want))
			}
			warned := false
			for _, ev := range col.events(engine.Log) {
				if ev.Stream == "leads" && ev.Level == engine.LevelWarn && strings.Contains(ev.Message, "out of the order") {
					warned = true
				}
			}
			if !warned {
				t.Error("no warning that the order was not the one asked for")
			}
			if st, newest := stateTime(col.lastState("leads")), maxCursor(t, "update_time", sim.Records("leads")); !st.Equal(newest.Truncate(time.Second)) {
				t.Errorf("state %s, want the newest lead's %s", col.lastState("leads"), engine.FormatState(newest))
			}
		})
	}
}
