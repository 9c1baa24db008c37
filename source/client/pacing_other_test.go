package client

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestPacingYieldsToAnotherClient: another client of the same token, already
// running when pdx starts, takes a third of every window; pdx reads how full the window is from
// x-ratelimit-remaining and keeps to the rest, so neither side meets 429
// storms (< 0.5% of either's requests refused) and pdx still uses most of
// what is left (>= 90% of the limit less the other's share).
func TestPacingYieldsToAnotherClient(t *testing.T) {
	for _, p := range planLimits {
		t.Run(p.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := runAtLimit(t, p.limit, func(o *pipedrivetest.Options) { o.OtherClient = 1.0 / 3 }, 32*time.Second)
				ours := float64(r.rejected) / float64(r.ok+r.rejected)
				theirs := float64(r.otherRefused) / float64(max(1, r.otherSent))
				left := float64(p.limit) * 2 / 3
				t.Logf("other client %s limit %d: pdx %.1f requests per window of the %.1f left (%.0f%%), pdx 429s %d (%.2f%%), other client refused %d of %d (%.2f%%)",
					p.name, p.limit, r.ownShareLimit, left, 100*r.ownShareLimit/left, r.rejected, 100*ours, r.otherRefused, r.otherSent, 100*theirs)
				if ours >= 0.005 || theirs >= 0.005 {
					t.Errorf("429s: pdx %.2f%%, the other client %.2f%%; want both < 0.5%%", 100*ours, 100*theirs)
				}
				if r.ownShareLimit < 0.9*left {
					t.Errorf("pdx used %.1f requests per window of the %.1f left, want >= 90%%", r.ownShareLimit, left)
				}
			})
		})
	}
}
