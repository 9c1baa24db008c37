package app

import (
	"path/filepath"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// BenchmarkSyncDealsJSONL is one in-process `pdx sync --format jsonl` of
// 5000 deals from the simulator per op, raw and --readable (issue 13: the
// readable run at least 0.8x of the raw one's records/s).
func BenchmarkSyncDealsJSONL(b *testing.B) {
	for _, rd := range []bool{false, true} {
		name := "raw"
		if rd {
			name = "readable"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(&testing.T{}, pipedrivetest.Options{Seed: 7, Scale: 5000, BurstLimit: 1 << 30, DailyBudget: 1 << 40})
			p := e.prof
			p.Format, p.Mode, p.Streams, p.Readable = "jsonl", engine.FullRefresh, []string{"deals"}, rd
			n := int64(0)
			for i := 0; i < b.N; i++ {
				p.OutDir = filepath.Join(b.TempDir(), "out")
				sum := e.run(&testing.T{}, p, nil)
				n += sum.Records()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
