package app

import (
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/state"
)

// Estimate is one planned stream's estimated cost, before any request: its
// pages (or a request per parent) at last run's record counts.
type Estimate struct {
	Stream string
	Mode   engine.Mode
	// Calls are the requests the read sends, Tokens what they cost.
	Calls, Tokens int64
	// Known: the counts it rests on (the stream's, or its parents') are from
	// a previous run; otherwise an unknown count is one page.
	Known bool
	// PerParent is a child's token cost per request (0 for a list or a
	// fixed fan-out such as goals).
	PerParent int
	// Sources are a fixed fan-out's calls (goals: one /goals/find per
	// assignee type and activity), each read in full; 0 for others.
	Sources int
	// ScansAll: even an incremental run reads every page (or every parent):
	// the estimate is the stream's full cost whatever changed, and Scan says
	// why (streams.Stream.ScansAll).
	ScansAll bool
	Scan     string
}

// EstimatePlan estimates each stream of pl from counts (last run's record
// counts per stream; nil: none). It reads in full: an incremental run with
// saved state spends less, except on streams that scan all (ScansAll).
func EstimatePlan(pl Plan, counts map[string]int64) []Estimate {
	return EstimateStreams(pl.Streams, counts)
}

// EstimateStreams is EstimatePlan of a list of streams.
func EstimateStreams(list []engine.ConfiguredStream, counts map[string]int64) []Estimate {
	var out []Estimate
	for _, cs := range list {
		st, ok := streams.Lookup(cs.Name)
		if !ok {
			continue
		}
		e := Estimate{Stream: cs.Name, Mode: cs.Mode}
		e.Calls, e.Known = calls(st, counts)
		e.Tokens = e.Calls * int64(st.TokenCost)
		if st.Parent != nil && st.Parent.FixedOnly() {
			e.Sources = len(st.Parent.Parents)
		}
		if st.Parent != nil && !st.Parent.FixedOnly() {
			e.PerParent = st.TokenCost
			e.Tokens = 0
			for _, p := range st.Parent.Streams() {
				ps, _ := streams.Lookup(p)
				n, _ := calls(ps, counts)
				e.Tokens += n * int64(ps.TokenCost)
			}
			e.Tokens += childCalls(st, counts) * int64(st.TokenCost)
		}
		// A full refresh of a stream that could go on from a state reads
		// everything by choice; the note is for the others.
		if st.ScansAll() && (cs.Mode == engine.Incremental || !st.SupportsIncremental()) {
			e.ScansAll, e.Scan = true, scanReason(st)
		}
		out = append(out, e)
	}
	return out
}

// TotalTokens sums the estimates.
func TotalTokens(es []Estimate) int64 {
	var n int64
	for _, e := range es {
		n += e.Tokens
	}
	return n
}

// calls are the requests a read of st sends: its pages at its last count;
// a fixed fan-out (goals: one /goals/find per assignee type and activity)
// reads each source's pages, at least a call each; a child lists its
// parents and then calls once per batch of them. known: no count it rests
// on was missing.
func calls(st streams.Stream, counts map[string]int64) (int64, bool) {
	n, known := counts[st.Name]
	rel := st.Parent
	switch {
	case rel == nil:
		return st.Pages(n), known
	case rel.FixedOnly():
		// The records spread over the sources, each at least one call:
		// pages(n)+k-1 bounds the sum of each source's pages from above.
		return st.Pages(n) + int64(len(rel.Parents)) - 1, known
	}
	known = true
	var total int64
	for _, p := range rel.Streams() {
		ps, _ := streams.Lookup(p)
		c, k := calls(ps, counts)
		total += c
		known = known && k
	}
	return total + childCalls(st, counts), known
}

// childCalls are a child's own requests: one per batch of each parent
// stream's records (several listings of one stream, as mail's per folder,
// split its records between them), at least one.
func childCalls(st streams.Stream, counts map[string]int64) int64 {
	batch := int64(max(st.Parent.Batch, 1))
	var n int64
	for _, p := range st.Parent.Streams() {
		n += max((counts[p]+batch-1)/batch, 1)
	}
	return n
}

// scanReason says why an incremental read of st still reads all of it.
func scanReason(st streams.Stream) string {
	switch {
	case st.Parent != nil && !st.Parent.FixedOnly():
		return "reads every parent: the API cannot list just the changed ones"
	case st.Unordered || len(st.SortParams) == 0:
		return "reads every page: the API has no sort or filter"
	}
	return "reads every page: the API has no time filter"
}

// Seen is what earlier runs left that an estimate rests on.
type Seen struct {
	// Counts are the last run's record counts into the plan's destination
	// (nil when none ran there); Saved names the streams with a saved
	// state there (an incremental run goes on from it).
	Counts map[string]int64
	Saved  map[string]bool
	// Budget is the profile's last budget reading (one company, whatever
	// the destination; zero: none).
	Budget state.BudgetMemo
}

// LastSeen reads what the last runs of profile name left for planning pl.
// It only reads; a missing state is nothing seen.
func LastSeen(ss *state.Store, name string, pl Plan) (Seen, error) {
	var out Seen
	if p, err := ss.Load(name); err == nil {
		out.Budget = p.BudgetMemo()
	}
	d, ok, err := DestinationOf(pl)
	if err != nil || !ok {
		return out, err
	}
	p, err := ss.LoadDest(name, d)
	if err != nil {
		return out, err
	}
	out.Counts = p.Run().Counts
	out.Saved = map[string]bool{}
	for n := range p.Streams() {
		out.Saved[n] = true
	}
	return out, nil
}
