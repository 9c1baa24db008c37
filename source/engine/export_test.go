package engine

import (
	"testing"

	"github.com/pdxhq/pdx/source/streams"
)

// WithStreams makes Run also know defs (streams no row
// of the table declares yet) until the test ends. Tests using it must not
// run in parallel.
func WithStreams(t testing.TB, defs ...streams.Stream) {
	t.Helper()
	prev := lookup
	lookup = func(name string) (streams.Stream, bool) {
		for _, d := range defs {
			if d.Name == name {
				return d, true
			}
		}
		return prev(name)
	}
	t.Cleanup(func() { lookup = prev })
}
