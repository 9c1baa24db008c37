package wire

import (
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/tui"
)

// BenchmarkEstimate: what the Streams step spends per frame on estimates,
// the selection's (the default streams; what a frame cost before) and
// every stream's (the list's cost column, since).
func BenchmarkEstimate(b *testing.B) {
	be, _, _ := newTestBackend(b)
	var defaults, every []tui.Choice
	for _, n := range streams.Defaults() {
		defaults = append(defaults, tui.Choice{Stream: n, Mode: engine.Incremental})
	}
	for _, n := range streams.Names() {
		every = append(every, tui.Choice{Stream: n, Mode: engine.Incremental})
	}
	for _, bb := range []struct {
		name string
		ch   []tui.Choice
	}{{"selection", defaults}, {"every", every}} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				be.Estimate(bb.ch, tui.Budget{Known: true, Limit: 30000, Remaining: 30000})
			}
		})
	}
}
