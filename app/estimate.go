package app

import (
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/state"
)

// Estimate is one planned stream's estimated token cost, before any
// request: its pages (or a request per parent) at last run's record counts.
type Estimate struct {
	Stream string
	Mode   engine.Mode
	Tokens int64
	// Known: the counts it rests on (the stream's, or its parents') are from
	// a previous run; otherwise an unknown count is one page.
	Known bool
	// PerParent is a child's token cost per request (0 for a list).
	PerParent int
}

// EstimatePlan estimates each stream of pl from counts (last run's record
// counts per stream; nil: none). It reads in full: an incremental run with
// saved state spends less.
func EstimatePlan(pl Plan, counts map[string]int64) []Estimate {
	var out []Estimate
	for _, cs := range pl.Streams {
		st, _ := streams.Lookup(cs.Name)
		e := Estimate{Stream: cs.Name, Mode: cs.Mode, Tokens: engine.EstimateTokens([]engine.ConfiguredStream{cs}, counts)}
		if st.Parent != nil && !st.Parent.FixedOnly() {
			e.PerParent = st.TokenCost
			e.Known = true
			for _, p := range st.Parent.Streams() {
				if _, ok := counts[p]; !ok {
					e.Known = false
				}
			}
		} else {
			_, e.Known = counts[cs.Name]
		}
		out = append(out, e)
	}
	return out
}

// LastCounts are the record counts of the last run of profile name into
// the plan's destination (nil when none ran there). It only reads.
func LastCounts(ss *state.Store, name string, pl Plan) (map[string]int64, error) {
	d, ok, err := DestinationOf(pl)
	if err != nil || !ok {
		return nil, err
	}
	p, err := ss.LoadDest(name, d)
	if err != nil {
		return nil, err
	}
	return p.Run().Counts, nil
}
