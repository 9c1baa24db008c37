package client

// A response that stops arriving is given up after StallTimeout without a
// byte, separately from a slow one that keeps moving: a dead connection
// (a proxy that holds it open, a peer gone without a reset) shows as a
// read that never returns, and the whole-request timeout alone would wait
// for it as long as it lets a large page take. Real timers (time.AfterFunc):
// in a testing/synctest bubble they run on the bubble's fake time.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// DefaultStallTimeout is how long a response may send nothing (before its
// headers or within its body). Pipedrive answers a page in seconds; half a
// minute of silence is a dead connection, not a slow one.
const DefaultStallTimeout = 30 * time.Second

// defaultRequestTimeout bounds one request that keeps moving (the default
// HTTP client's Timeout): generous, since stalls are caught apart.
const defaultRequestTimeout = 10 * time.Minute

var errStalled = errors.New("response stalled")

// stallGuard cancels a request when StallTimeout passes without progress.
type stallGuard struct {
	d      time.Duration
	timer  *time.Timer
	ctx    context.Context
	cancel context.CancelCauseFunc
}

func (c *Client) newStallGuard(ctx context.Context) *stallGuard {
	g := &stallGuard{d: c.opts.StallTimeout}
	g.ctx, g.cancel = context.WithCancelCause(ctx)
	g.timer = time.AfterFunc(g.d, func() { g.cancel(errStalled) })
	return g
}

// progress restarts the wait: bytes arrived.
func (g *stallGuard) progress() { g.timer.Reset(g.d) }

func (g *stallGuard) stop() { g.timer.Stop(); g.cancel(nil) }

// explain turns the cancellation the guard caused into an error that says
// so (other errors pass through).
func (g *stallGuard) explain(err error) error {
	if err != nil && errors.Is(context.Cause(g.ctx), errStalled) {
		return fmt.Errorf("%w: nothing received for %s", errStalled, g.d)
	}
	return err
}

// reader counts every chunk of the body as progress.
func (g *stallGuard) reader(r io.Reader) io.Reader { return stallReader{r, g} }

type stallReader struct {
	r io.Reader
	g *stallGuard
}

func (s stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.g.progress()
	}
	return n, err
}
