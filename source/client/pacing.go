package client

// Pacing: one token bucket shared by every caller, learned from
// x-ratelimit-limit, and a shared pause after 429s or an empty window. All
// waits run on Options.Clock.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/pdxhq/pdx/source/clock"
)

// paceFor turns "n requests per rolling window" into a token-bucket rate.
// With bucket size 1 the most requests any window can see is 1 + rate*window;
// pacing at 90% of n keeps that under n even when the server's clock and ours
// see requests bunched together.
func paceFor(n int, window time.Duration) rate.Limit {
	if n < 2 {
		n = 2
	}
	per := float64(n)*0.9 - 1
	if per < 1 {
		per = 1
	}
	return rate.Limit(per / window.Seconds())
}

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

// pace waits out any shared pause (429, remaining==0) and then the limiter.
// The limiter is given the clock's times (ReserveN/DelayFrom/CancelAt), never
// its own time.Now, so it paces on whatever clock the client runs on.
func (c *Client) pace(ctx context.Context, op string) error {
	for {
		c.mu.Lock()
		until := c.pausedUntil
		c.mu.Unlock()
		if !until.After(c.clock.Now()) {
			break
		}
		// The pause may be extended meanwhile: look again after waking.
		if err := clock.SleepUntil(ctx, c.clock, until); err != nil {
			return err
		}
	}
	now := c.clock.Now()
	r := c.limiter.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("rate limiter refused the request")
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	c.observe(ctx, Observation{Kind: ObsWait, Op: op, Wait: d, Reason: "burst"})
	if err := clock.SleepUntil(ctx, c.clock, now.Add(d)); err != nil {
		r.CancelAt(c.clock.Now())
		return err
	}
	return nil
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

// learn adapts pacing to the headers: the burst limit of the plan, and a
// shared pause when the window is used up.
func (c *Client) learn(h http.Header) {
	if s := h.Get("x-ratelimit-limit"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			c.mu.Lock()
			changed := n != c.burst
			c.burst = n
			c.mu.Unlock()
			if changed {
				c.limiter.SetLimitAt(c.clock.Now(), paceFor(n, c.window))
			}
		}
	}
	if s := h.Get("x-ratelimit-remaining"); s == "0" {
		c.pauseFor(c.resetWait(h))
	}
}
