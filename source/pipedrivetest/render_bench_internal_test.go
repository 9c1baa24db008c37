package pipedrivetest

import (
	"testing"
	"time"
)

// BenchmarkRenderDeal is the per-record rendering cost without HTTP.
func BenchmarkRenderDeal(b *testing.B) {
	w := newWorld(Options{Seed: 1, Scale: 200000, Now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)})
	e := w.ents["deals"]
	buf := make([]byte, 0, 1<<20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, _ := e.get(int64(i%200000) + 1)
		buf = w.renderDeal(buf[:0], r)
	}
	b.SetBytes(int64(len(buf)))
}
