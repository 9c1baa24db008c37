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
// with their own clock, which only moves forward by waiting. A request is
// counted from when it is admitted; a refused one is not counted.
type burst struct {
	times    []time.Time // accepted requests inside the window, oldest first
	rejected int         // 429s since the window last had room

	// Another client of the same token (Options.OtherClient): one request
	// every otherEvery, due next at otherNext, judged by the same window.
	otherEvery            time.Duration
	otherNext             time.Time
	otherSent, otherRefus int
}

// newBurst is the window of a token first seen at now.
func newBurst(now time.Time, limit int, share float64) *burst {
	b := &burst{}
	if share > 0 && limit > 0 {
		// The other client was already running: its last window's requests
		// are in the window when the token is first seen here.
		b.otherEvery = time.Duration(float64(burstWindow) / (share * float64(limit)))
		t := now
		for t.After(now.Add(-burstWindow + b.otherEvery)) {
			t = t.Add(-b.otherEvery)
		}
		for ; t.Before(now); t = t.Add(b.otherEvery) {
			b.times = append(b.times, t)
		}
		b.otherNext = t
	}
	return b
}

// admit counts a request at now when the window has room.
func (b *burst) admit(now time.Time, limit int) bool {
	cut := now.Add(-burstWindow)
	i := 0
	for i < len(b.times) && !b.times[i].After(cut) {
		i++
	}
	b.times = b.times[i:]
	if len(b.times) >= limit {
		return false
	}
	b.times = append(b.times, now)
	return true
}

// take records a request at now; it reports whether it is allowed, what is
// left, and the whole seconds until the oldest request leaves the window.
// The other client's requests due by now go first, each at its own time.
func (b *burst) take(now time.Time, limit int) (ok bool, remaining int, reset int) {
	for b.otherEvery > 0 && !b.otherNext.After(now) {
		b.otherSent++
		if !b.admit(b.otherNext, limit) {
			b.otherRefus++
		}
		b.otherNext = b.otherNext.Add(b.otherEvery)
	}
	if !b.admit(now, limit) {
		b.rejected++
		wait := b.times[0].Add(burstWindow).Sub(now)
		return false, 0, ceilSeconds(wait)
	}
	b.rejected = 0
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
