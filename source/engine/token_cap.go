package engine

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrTokenCap ends a child stream that would spend more than the run's
// token cap (Options.MaxTokens). An incremental read has saved its state at
// the last complete batch, so the next run goes on from there: a first
// read of a per-parent stream (a request per deal) is a backfill over
// several days' budgets.
var ErrTokenCap = errors.New("the run's token cap is reached")

// tokenCap counts the tokens a run has spent, over all its streams.
type tokenCap struct {
	max   int64 // 0: no cap
	spent atomic.Int64
}

// allows reports whether a request costing cost stays within the cap.
func (c *tokenCap) allows(cost int) bool {
	return c == nil || c.max <= 0 || c.spent.Load()+int64(cost) <= c.max
}

func (c *tokenCap) add(n int) {
	if c != nil {
		c.spent.Add(int64(n))
	}
}

// capped is the error of a child stream stopped at the cap.
func (r *streamRun) capped() error {
	how := "a full refresh cannot resume: read it incrementally to backfill over several runs"
	if r.mode == Incremental {
		how = "its state is saved at the last complete batch; the next run goes on from there"
	}
	return capError{fmt.Errorf("%w (%d tokens, %d spent; the next %s request costs %d): %s", ErrTokenCap, r.cap.max, r.cap.spent.Load(), r.def.Name, r.def.TokenCost, how)}
}

// capError is transient, as an exhausted daily budget is: run again.
type capError struct{ error }

func (e capError) Unwrap() error            { return e.error }
func (e capError) FailureType() FailureType { return TransientError }
