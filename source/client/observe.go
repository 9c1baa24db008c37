package client

// What the client reports while it works: requests, waits, retries and
// budget changes, to Options.Observer and to a per-context observer.

import (
	"context"
	"time"
)

// ObservationKind says what an Observation reports.
type ObservationKind uint8

const (
	// ObsRequest: a request was answered (or failed at the transport).
	ObsRequest ObservationKind = iota + 1
	// ObsWait: the caller waits Wait before sending (Reason "burst" for pacing,
	// "429" after a rate-limit answer, "retry" for backoff).
	ObsWait
	// ObsRetry: a request failed transiently and will be retried.
	ObsRetry
	// ObsBudget: the budget meter changed.
	ObsBudget
)

// Observation is reported to Options.Observer and to the context observer.
type Observation struct {
	Kind    ObservationKind
	Op      string
	Status  int
	Bytes   int
	Cost    int
	Wait    time.Duration
	Reason  string
	Attempt int
	Err     error
	Budget  Budget
}

type obsKey struct{}

// WithObserver returns a context whose requests also report to fn (the
// engine uses it to attribute requests and waits to a stream).
func WithObserver(ctx context.Context, fn func(Observation)) context.Context {
	return context.WithValue(ctx, obsKey{}, fn)
}

func (c *Client) observe(ctx context.Context, o Observation) {
	if c.opts.Observer != nil {
		c.opts.Observer(o)
	}
	if fn, ok := ctx.Value(obsKey{}).(func(Observation)); ok && fn != nil {
		fn(o)
	}
}
