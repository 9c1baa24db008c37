// Package clock is the time source of pacing and rate windows: the client's
// limiter, backoff and 429 pauses, and the simulator's burst window read it,
// so tests can run them on virtual time instead of waiting.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits. Implementations are safe for concurrent use.
type Clock interface {
	Now() time.Time
	// Sleep waits d (nothing when d <= 0) or until ctx is done, whichever
	// comes first; it returns ctx.Err() in the second case.
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock (time.Now and a timer). Inside a testing/synctest
// bubble it runs on the bubble's fake time like any other use of package time.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Or returns c, or Real when c is nil (for option defaults).
func Or(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// SleepUntil waits on c until t (or ctx is done). It re-reads the clock after
// each wake, so a wait computed before another caller moved a Fake is not
// overshot.
func SleepUntil(ctx context.Context, c Clock, t time.Time) error {
	for {
		d := t.Sub(c.Now())
		if d <= 0 {
			return ctx.Err()
		}
		if err := c.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// Fake is a virtual clock for tests: Sleep moves it forward by d at once and
// returns, so code that paces or backs off runs without waiting and its waits
// can be read off the clock. It is safe for concurrent use; concurrent
// sleepers each move it by their own d (their sleeps are serialised). Use it
// where one goroutine waits at a time; to test many concurrent waiters
// against a server, prefer testing/synctest with Real (time then only moves
// when every goroutine is blocked, so no request is stamped late).
type Fake struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
	naps  int
}

// NewFake returns a Fake reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the virtual time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep advances the clock by d unless ctx is already done.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.slept += d
	f.naps++
	return nil
}

// Advance moves the clock forward by d (time passing outside any Sleep).
func (f *Fake) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// Slept reports the total time slept and the number of sleeps so far.
func (f *Fake) Slept() (total time.Duration, sleeps int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slept, f.naps
}
