package client

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReserveHoldsInFlightCosts (issue 12.9): the meter moves only when an
// answer comes back, so streams running side by side must count what is in
// flight against the budget, or they all pass preflight on the same last
// tokens above the reserve and spend into it. One request is held at the
// server while the others ask: they must be refused without being sent.
func TestReserveHoldsInFlightCosts(t *testing.T) {
	const limit, reserve, cost, others = 100, 10, 10, 3
	tests := []struct {
		name      string
		remaining int // after the first (learning) answer
		sent      int // requests that may reach the server while one is held
	}{
		{"room for the held one only: the others are refused unsent", reserve + cost + cost - 1, 0},
		{"room for two: one more is sent, the rest refused", reserve + 3*cost - 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var arrivals, overshoot atomic.Int32
			held := make(chan struct{}, 1)
			release := make(chan struct{})
			var mu sync.Mutex
			remaining := tt.remaining + cost // the learning request spends its cost too
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := arrivals.Add(1)
				mu.Lock()
				remaining -= cost
				left := remaining
				mu.Unlock()
				w.Header().Set("x-daily-ratelimit-token-limit", strconv.Itoa(limit))
				w.Header().Set("x-daily-ratelimit-token-remaining", strconv.Itoa(left))
				switch {
				case n == 2:
					held <- struct{}{}
					select { // answered once the others have had their say
					case <-release:
					case <-r.Context().Done():
					}
				case n > 2:
					overshoot.Add(1)
				}
				_, _ = w.Write([]byte(okBody))
			})
			c, _ := newTestClient(t, h, func(o *Options) { o.Reserve = Reserve{Tokens: reserve} })
			ctx := context.Background()
			if _, err := c.Get(ctx, V2, "/deals", nil, cost); err != nil {
				t.Fatal(err)
			}
			first := make(chan error, 1)
			go func() {
				_, err := c.Get(ctx, V2, "/deals", nil, cost)
				first <- err
			}()
			<-held // one request is in flight, its cost not yet on the meter
			errs := make(chan error, others)
			var wg sync.WaitGroup
			for range others {
				wg.Go(func() {
					_, err := c.Get(ctx, V2, "/persons", nil, cost)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			close(release)
			if err := <-first; err != nil {
				t.Fatalf("the held request: %v", err)
			}
			refused := 0
			for err := range errs {
				var be *BudgetError
				switch {
				case errors.As(err, &be):
					refused++
				case err != nil:
					t.Errorf("unexpected error: %v", err)
				}
			}
			if got := int(overshoot.Load()); got != tt.sent {
				t.Errorf("%d requests sent while one was in flight, want %d", got, tt.sent)
			}
			if refused != others-tt.sent {
				t.Errorf("%d of %d refused, want %d", refused, others, others-tt.sent)
			}
			mu.Lock()
			left := remaining
			mu.Unlock()
			if left < reserve {
				t.Errorf("%d tokens left at the server, into the reserve of %d", left, reserve)
			}
			if p := c.pendingCost(); p != 0 {
				t.Errorf("%d tokens still pending after every request ended", p)
			}
		})
	}
}

// TestPendingCostReleased: a request preflight let through holds its cost
// until it is spent or given up; one that fails before it is sent, or is
// answered with an error, gives it back, so the budget does not shrink by
// requests that never cost anything.
func TestPendingCostReleased(t *testing.T) {
	tests := []struct {
		name   string
		status int
		cancel bool
	}{
		{"answered", http.StatusOK, false},
		{"answered with an error", http.StatusNotFound, false},
		{"refused (429 is not charged)", http.StatusTooManyRequests, false},
		{"cancelled before it is sent", http.StatusOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("x-daily-ratelimit-token-limit", "1000")
				w.Header().Set("x-daily-ratelimit-token-remaining", "500")
				if n.Add(1) > 1 && tt.status != http.StatusOK {
					w.Header().Set("x-ratelimit-reset", "1")
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte(`{"success":false,"error":"no"}`))
					return
				}
				_, _ = w.Write([]byte(okBody))
			})
			c, _ := newTestClient(t, h, func(o *Options) { o.Reserve = Reserve{Tokens: 10}; o.Max429 = 0 })
			if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel {
				cancel()
			}
			defer cancel()
			_, err := c.Get(ctx, V2, "/deals", nil, 10)
			if (err != nil) != (tt.status != http.StatusOK || tt.cancel) {
				t.Fatalf("err = %v", err)
			}
			if p := c.pendingCost(); p != 0 {
				t.Errorf("%d tokens still pending after the request ended (%v)", p, err)
			}
		})
	}
}

// pendingCost is what preflight has let through and is not yet settled.
func (c *Client) pendingCost() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending
}
