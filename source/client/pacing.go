package client

// Pacing: every caller shares one spacing (x/time/rate, bucket of 1 at our
// share of the window per window) and one mirror of Pipedrive's rolling
// burst window (a log of the requests we sent in the last window), learned
// from x-ratelimit-limit and corrected by x-ratelimit-remaining, and a shared
// pause after 429s. All waits run on Options.Clock.
//
// Why both: a bucket of size 1 at n per window lets 1 + n through a rolling
// window, so alone it must run at (n-1)/n or less (95% at the lowest plan's
// 20; with a margin for skew it ran at 90%). The log admits a request only
// while fewer than n of ours are in the window, the server's own rule, so
// the spacing can run at the full n. The spacing keeps requests even, not a
// burst at the start of each window: another client of the token meets a
// window with room, not one we filled, and the server's count tells us its
// share, which ours then leaves to it.
//
// Callers are served by rank (WithPriority), and a slot is held until the
// server has surely stopped counting it, as its round trip tells
// (releaseLocked): at the lowest plan and a 100-150 ms round trip these two
// took a whole account's export from 1.05-1.12x to 1.01x the ideal
// (source/engine TestWholeAccountAtPlanLimits).

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/pdxhq/pdx/source/clock"
)

// slot is one request in the mirror of the window: it counts from when it
// was sent until release.
type slot struct {
	sent     time.Time
	answered time.Time // zero while in flight
	release  time.Time
}

// crowd is what one answer said about other clients' use of the window (the
// server's count beyond ours), remembered for othersMemory.
type crowd struct {
	at     time.Time
	others int
}

// othersMemory is how long (in windows) another client's observed use keeps
// our share down after it was last seen.
const othersMemory = 2

// margin is how much longer than the window a slot is held while its
// request is in flight. The server counts a request from when it arrives:
// after we sent it, before we had its answer. Once the answer is in, the
// slot's length follows from its round trip (releaseLocked); before that,
// the margin stands in, and an answer always comes before it matters
// (sooner than a window plus the margin).
func (c *Client) margin() time.Duration { return c.window / 50 }

// BurstLimit returns the requests per window the client currently paces to.
func (c *Client) BurstLimit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.burst
}

// awaitLearned lets the first request through as the probe and holds the
// others until it has answered (its headers set the pace).
func (c *Client) awaitLearned(ctx context.Context) (probe bool, err error) {
	select {
	case <-c.learned:
		return false, nil
	default:
	}
	c.mu.Lock()
	if !c.probing {
		c.probing = true
		c.mu.Unlock()
		return true, nil
	}
	c.mu.Unlock()
	select {
	case <-c.learned:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// waiter is a caller of pace waiting for its turn to send.
type waiter struct {
	rank int64  // from WithPriority: lower goes first
	seq  uint64 // arrival order among equal ranks
}

type rankKey struct{}

// WithPriority returns a context whose requests take the next send time
// before those of contexts with a higher rank (and after a lower one);
// equal ranks go in the order they asked. A context without one has rank 0.
// The engine ranks its streams by the order they started: the oldest stream
// is served first when several are ready, so it does not fall behind the
// ones started after it and become a long tail of its own requests alone,
// each waiting for the round trip of the one before, while the window idles
// (see source/engine.Run).
func WithPriority(ctx context.Context, rank int64) context.Context {
	return context.WithValue(ctx, rankKey{}, rank)
}

func rankOf(ctx context.Context) int64 {
	r, _ := ctx.Value(rankKey{}).(int64)
	return r
}

// before orders the queue: rank, then arrival.
func (w *waiter) before(o *waiter) bool {
	return w.rank < o.rank || (w.rank == o.rank && w.seq < o.seq)
}

// enqueueLocked adds w to the callers waiting to send, waking the queue
// when w goes first.
func (c *Client) enqueueLocked(w *waiter) {
	c.waitSeq++
	w.seq = c.waitSeq
	c.waiters = append(c.waiters, w)
	if c.headLocked() == w {
		if c.held != nil && c.clock.Now().Before(c.heldAt) {
			// The caller it displaces gives its reservation back now, before
			// w reserves: the same send time passes to w. (One whose time has
			// come keeps it: it is on its way, and a reservation given back
			// late is not restored, so the send time would be lost.)
			c.held.CancelAt(c.clock.Now())
			c.held = nil
		}
		c.nextTurnLocked()
	}
}

// dequeueLocked removes w, waking the queue when w was first.
func (c *Client) dequeueLocked(w *waiter) {
	head := c.headLocked() == w
	c.waiters = slices.DeleteFunc(c.waiters, func(o *waiter) bool { return o == w })
	if head {
		c.nextTurnLocked()
	}
}

func (c *Client) headLocked() *waiter {
	var h *waiter
	for _, w := range c.waiters {
		if h == nil || w.before(h) {
			h = w
		}
	}
	return h
}

// nextTurnLocked tells the waiting callers that the first in the queue
// changed.
func (c *Client) nextTurnLocked() {
	if c.endTurn != nil {
		c.endTurn()
	}
	c.turn, c.endTurn = context.WithCancel(context.Background())
}

// pace waits out any shared pause (429, a window filled by others), then
// for the caller's turn (WithPriority), then for the next send time of the
// spacing and for room in the window at that time; the slot it returns is
// settled by the answer. Only the first caller in the queue holds a
// reservation of the spacing (Client.held): when a caller of a lower rank
// comes while it waits, the reservation is given back and that one goes
// first. The limiter is given the clock's times (ReserveN/DelayFrom/
// CancelAt), never its own time.Now. A caller's reported waits add up to
// the time it waited, its turn included.
func (c *Client) pace(ctx context.Context, op string) (*slot, error) {
	w := &waiter{rank: rankOf(ctx)}
	c.mu.Lock()
	c.enqueueLocked(w)
	c.mu.Unlock()
	queued := c.clock.Now() // since when the wait is not reported yet
	leave := func() {
		c.mu.Lock()
		c.dequeueLocked(w)
		c.mu.Unlock()
	}
	for {
		now := c.clock.Now()
		c.mu.Lock()
		if until := c.pausedUntil; until.After(now) {
			c.mu.Unlock()
			// The pause may be extended meanwhile: look again after waking.
			if err := clock.SleepUntil(ctx, c.clock, until); err != nil {
				leave()
				return nil, err
			}
			continue
		}
		turn := c.turn
		if c.headLocked() != w || c.held != nil {
			// Not first, or the one displaced is sending at its time.
			c.mu.Unlock()
			select {
			case <-turn.Done():
				continue
			case <-ctx.Done():
				leave()
				return nil, ctx.Err()
			}
		}
		c.slots = slices.DeleteFunc(c.slots, func(s *slot) bool { return !c.keepLocked(s, now) })
		room := c.shareLocked(now)
		if room != c.spacedFor {
			c.spacedFor = room
			c.limiter.SetLimitAt(now, rate.Limit(float64(room)/c.window.Seconds()))
		}
		r := c.limiter.ReserveN(now, 1)
		at := now.Add(r.DelayFrom(now))
		var rel []time.Time // releases of the slots still in the window at
		for _, s := range c.slots {
			if s.release.After(at) {
				rel = append(rel, s.release)
			}
		}
		if len(rel) >= room {
			// The window is full then: room comes when enough of ours leave it.
			r.CancelAt(now)
			slices.SortFunc(rel, func(a, b time.Time) int { return a.Compare(b) })
			next := rel[len(rel)-room]
			c.mu.Unlock()
			c.observeWait(ctx, op, &queued, next)
			if err := c.sleepTurn(ctx, turn, next); err != nil && ctx.Err() != nil {
				leave()
				return nil, err
			}
			continue
		}
		if !at.After(now) {
			s := c.takeLocked(w, at)
			c.mu.Unlock()
			c.observeWait(ctx, op, &queued, now)
			return s, nil
		}
		c.held, c.heldAt = r, at
		c.mu.Unlock()
		c.observeWait(ctx, op, &queued, at)
		err := c.sleepTurn(ctx, turn, at)
		c.mu.Lock()
		if c.held != r {
			// A caller of a lower rank came first and took the reservation.
			c.mu.Unlock()
			if ctx.Err() != nil {
				leave()
				return nil, ctx.Err()
			}
			continue
		}
		c.held = nil
		if err := ctx.Err(); err != nil {
			r.CancelAt(c.clock.Now())
			c.dequeueLocked(w)
			c.nextTurnLocked() // w may have been passed while its time came: the first waits for it
			c.mu.Unlock()
			return nil, err
		}
		if err != nil && c.clock.Now().Before(at) {
			r.CancelAt(c.clock.Now())
			c.nextTurnLocked()
			c.mu.Unlock()
			continue
		}
		s := c.takeLocked(w, at)
		c.mu.Unlock()
		return s, nil
	}
}

// keepLocked reports whether s stays in the log at now: while it holds a
// place in the window (release), and after that while learn may still count
// it as ours when it reads the server's count (a window after its answer),
// so that a place given back early is not taken for another client's.
func (c *Client) keepLocked(s *slot, now time.Time) bool {
	return s.release.After(now) || (!s.answered.IsZero() && s.answered.Add(c.window).After(now))
}

// takeLocked gives w, first in the queue, its send time at: a slot in the
// window's log, and the turn to the next caller.
func (c *Client) takeLocked(w *waiter, at time.Time) *slot {
	s := &slot{sent: at, release: at.Add(c.window + c.margin())}
	c.slots = append(c.slots, s)
	c.dequeueLocked(w)
	// w may have been passed in the queue while its time came (enqueueLocked):
	// the first waits for it.
	c.nextTurnLocked()
	return s
}

// observeWait reports the wait from *since until t, if any, and moves
// *since to t.
func (c *Client) observeWait(ctx context.Context, op string, since *time.Time, t time.Time) {
	if d := t.Sub(*since); d > 0 {
		c.observe(ctx, Observation{Kind: ObsWait, Op: op, Wait: d, Reason: "burst"})
		*since = t
	}
}

// sleepTurn sleeps until t, or until the first in the queue changes (an
// error while ctx is not done).
func (c *Client) sleepTurn(ctx context.Context, turn context.Context, t time.Time) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(turn, cancel)
	defer stop()
	return clock.SleepUntil(sctx, c.clock, t)
}

// shareLocked is how many of our requests the window may hold now: the
// burst limit less the most that other clients of the token were seen using
// recently (at least one, so a crowded token still makes progress).
func (c *Client) shareLocked(now time.Time) int {
	cut := now.Add(-othersMemory * c.window)
	c.crowds = slices.DeleteFunc(c.crowds, func(o crowd) bool { return !o.at.After(cut) })
	return max(1, c.burst-c.othersLocked())
}

func (c *Client) othersLocked() int {
	n := 0
	for _, o := range c.crowds {
		n = max(n, o.others)
	}
	return n
}

// pauseFor holds every caller for d from now (a later pause wins).
func (c *Client) pauseFor(d time.Duration) {
	until := c.clock.Now().Add(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
}

// resetWait reads x-ratelimit-reset: seconds until the window resets
// (relative, not an epoch), capped by MaxWait; 1 s when missing.
func (c *Client) resetWait(h http.Header) time.Duration {
	wait := time.Second
	if s := h.Get("x-ratelimit-reset"); s != "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
			// An epoch would be absurdly long; treat anything beyond the cap
			// as the cap rather than parking the sync.
			wait = time.Duration(f * float64(time.Second))
			if wait < 100*time.Millisecond {
				wait = 100 * time.Millisecond
			}
		}
	}
	if wait > c.opts.MaxWait {
		wait = c.opts.MaxWait
	}
	return wait
}

// releaseLocked is when the server stops counting the request of s, whose
// answer's headers came now (the server took it in before it answered; the
// body, up to a MB, may take a while longer). It arrived between its send and now; the bound that holds
// however late is a window after the answer, but that holds every slot a
// round trip longer than the server does: at 20 per 2 s and a 100 ms round
// trip, one send time in 21 was lost (95% of the window). What varies in
// the way in is bounded by how much this round trip exceeds the fastest
// seen (a link's own delay is in the fastest too, on the way in and out),
// so the slot is held until a window after its send plus that excess and
// a guard (window/200: 10 ms at 2 s, 0.5%), when that comes sooner.
func (c *Client) releaseLocked(s *slot, now time.Time) time.Time {
	rtt := now.Sub(s.sent)
	if !c.rttSeen || rtt < c.minRTT {
		c.minRTT, c.rttSeen = max(rtt, 0), true
	}
	late := now.Add(c.window)
	if early := s.sent.Add(c.window + rtt - c.minRTT + c.window/200); early.Before(late) {
		return early
	}
	return late
}

// learn settles a request's slot with its answer's headers (which came at
// answered): the plan's burst limit (x-ratelimit-limit), the slot's real
// length (releaseLocked), and from x-ratelimit-remaining how much of the
// window other clients of the token use (the server's count beyond ours),
// which our share yields to. A window found full beyond what we knew of the
// others, and a burst 429, pause every caller until x-ratelimit-reset; the
// pause is set here, before the first request's answer releases the callers
// that waited for it. s is nil when the request was not paced.
func (c *Client) learn(s *slot, status int, h http.Header, answered time.Time) {
	now := c.clock.Now()
	limit := 0
	if v := h.Get("x-ratelimit-limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = n
		}
	}
	rejected := status == http.StatusTooManyRequests
	daily := rejected && c.dailyExhausted(h)
	c.mu.Lock()
	if limit > 0 {
		c.burst = limit
	}
	if s != nil {
		if rejected {
			// The server did not count it: neither do we.
			c.slots = slices.DeleteFunc(c.slots, func(o *slot) bool { return o == s })
		} else {
			s.answered, s.release = answered, c.releaseLocked(s, answered)
		}
	}
	pause := rejected && !daily
	if rem, err := strconv.Atoi(h.Get("x-ratelimit-remaining")); err == nil && rem >= 0 && !daily {
		// Ours that the server may still count: sent by now (not spaced
		// into the future) and answered less than a window before this
		// request was sent, or not yet. Counting every one that may be in
		// errs on the side of an idle token: late arrivals and clock skew
		// are not mistaken for another client.
		ours := 0
		if s != nil {
			for _, o := range c.slots {
				if !o.sent.After(now) && (o.answered.IsZero() || o.answered.After(s.sent.Add(-c.window))) {
					ours++
				}
			}
		}
		known := c.othersLocked()
		if others := c.burst - rem - ours; others > 0 {
			c.crowds = append(c.crowds, crowd{at: now, others: others})
			if rem == 0 && others > known {
				pause = true
			}
		}
	}
	c.mu.Unlock()
	if pause {
		c.pauseFor(c.resetWait(h))
	}
}
