package pipedrivetest

import (
	"time"
)

var planMultiplier = map[Plan]int64{PlanLite: 1, PlanGrowth: 2, PlanPremium: 5, PlanUltimate: 7}

var burstToken = map[Plan]int{PlanLite: 20, PlanGrowth: 40, PlanPremium: 100, PlanUltimate: 120}
var burstOAuth = map[Plan]int{PlanLite: 80, PlanGrowth: 160, PlanPremium: 400, PlanUltimate: 480}

const burstWindow = 2 * time.Second

// burst is a rolling 2 s window of one token's requests on Options.Clock
// (real time by default), not the simulated clock: clients pace against it
// with their own clock, which only moves forward by waiting.
type burst struct {
	times    []time.Time // accepted requests inside the window, oldest first
	rejected int         // 429s since the window last had room
}

// take records a request at now; it reports whether it is allowed, what is
// left, and the whole seconds until the oldest request leaves the window.
func (b *burst) take(now time.Time, limit int) (ok bool, remaining int, reset int) {
	cut := now.Add(-burstWindow)
	i := 0
	for i < len(b.times) && !b.times[i].After(cut) {
		i++
	}
	b.times = b.times[i:]
	if len(b.times) >= limit {
		b.rejected++
		wait := b.times[0].Add(burstWindow).Sub(now)
		return false, 0, ceilSeconds(wait)
	}
	b.rejected = 0
	b.times = append(b.times, now)
	reset = ceilSeconds(b.times[0].Add(burstWindow).Sub(now))
	return true, limit - len(b.times), reset
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// budget is the company's daily token budget on the simulated clock.
type budget struct {
	limit     int64
	remaining int64
	day       time.Time
}

// roll restores the budget when the simulated clock passed midnight.
func (b *budget) roll(now time.Time) {
	if d := dayOf(now); d.After(b.day) {
		b.day = d
		b.remaining = b.limit
	}
}
