package client

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pdxhq/pdx/source/clock"
)

// TestPacingServesByRank: callers waiting for the same window take the send
// times in rank order (WithPriority), equal ranks in the order they came,
// and a rank that comes while another waits goes before it.
func TestPacingServesByRank(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var order []int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(okBody)) })
		c := newBubbleClient(t, h, func(o *Options) { o.BurstLimit = 20 }) // one send time per 100 ms
		get := func(rank int64) {
			ctx := WithObserver(WithPriority(context.Background(), rank), func(o Observation) {
				if o.Kind == ObsRequest {
					mu.Lock()
					order = append(order, rank)
					mu.Unlock()
				}
			})
			if _, err := c.Get(ctx, V2, "/deals", nil, 10); err != nil {
				t.Error(err)
			}
		}
		get(9) // the probe: learns the limit, and the next send time is 100 ms away
		var wg sync.WaitGroup
		for _, r := range []int64{5, 3, 7, 3} {
			wg.Go(func() { get(r) })
			synctest.Wait() // each queued before the next comes
		}
		time.Sleep(50 * time.Millisecond) // the first of them waits for its send time...
		wg.Go(func() { get(1) })          // ...when a lower rank comes: it goes first
		wg.Wait()
		want := []int64{9, 1, 3, 3, 5, 7}
		mu.Lock()
		defer mu.Unlock()
		if len(order) != len(want) {
			t.Fatalf("answers in rank order %v, want %v", order, want)
		}
		for i := range want {
			if order[i] != want[i] {
				t.Fatalf("answers in rank order %v, want %v", order, want)
			}
		}
	})
}

// TestSlotRelease: a slot is held until a window after its send plus how
// much its round trip exceeded the fastest seen, plus window/200 (never
// later than a window after its answer), and kept in the log, where the
// server's count is read, until a window after its answer.
func TestSlotRelease(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const w = 2 * time.Second
	tests := []struct {
		name      string
		minRTT    time.Duration // fastest round trip seen before
		rtt       time.Duration
		wantAfter time.Duration // release - sent
	}{
		{"fastest so far", 0, 100 * time.Millisecond, w + 10*time.Millisecond},
		{"as fast as the fastest", 100 * time.Millisecond, 100 * time.Millisecond, w + 10*time.Millisecond},
		{"slower by 50 ms", 100 * time.Millisecond, 150 * time.Millisecond, w + 60*time.Millisecond},
		{"answer bound is sooner", 0, 5 * time.Millisecond, w + 5*time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{window: w}
			if tt.minRTT > 0 {
				c.minRTT, c.rttSeen = tt.minRTT, true
			}
			s := &slot{sent: t0}
			if got := c.releaseLocked(s, t0.Add(tt.rtt)).Sub(t0); got != tt.wantAfter {
				t.Errorf("released %v after its send, want %v", got, tt.wantAfter)
			}
		})
	}
}

// TestEarlyReleaseIsNotAnotherClient: a slot given back early (by its
// round trip) still counts as ours when the server's count is read: an
// answer saying the window is full, of our requests only, is not taken for
// another client's use (no pause, no smaller share).
func TestEarlyReleaseIsNotAnotherClient(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fc := clock.NewFake(t0)
	c, err := New(Options{BaseURL: "http://127.0.0.1:1", Auth: TokenAuth(canary), BurstLimit: 20, Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	// 20 requests 100 ms apart, each answered 100 ms later (the fastest
	// round trip: each is released 2.01 s after its send).
	for i := range 20 {
		sent := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		s := &slot{sent: sent}
		c.slots = append(c.slots, s)
		c.mu.Lock()
		s.answered, s.release = sent.Add(100*time.Millisecond), c.releaseLocked(s, sent.Add(100*time.Millisecond))
		c.mu.Unlock()
	}
	// At 2.15 s the first two are released; the second was answered less than
	// a window before: the server may still count it.
	fc.Advance(2150 * time.Millisecond)
	s, err := c.pace(context.Background(), "GET /deals")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("x-ratelimit-limit", "20")
	h.Set("x-ratelimit-remaining", "0") // requests 1-19 and this one
	h.Set("x-ratelimit-reset", "1")
	c.learn(s, 200, h, fc.Now())
	if len(c.crowds) != 0 || !c.pausedUntil.IsZero() {
		t.Errorf("our own full window taken for another client's: crowds %v, paused until %v", c.crowds, c.pausedUntil)
	}
	if got := c.shareLocked(fc.Now()); got != 20 {
		t.Errorf("share %d, want 20", got)
	}
}

// TestPacingCancelWhileWaiting: callers whose context ends while they wait
// (in the queue, or first and holding the next send time, also at that very
// instant) leave without holding up the others: every other caller sends.
func TestPacingCancelWhileWaiting(t *testing.T) {
	for _, at := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond, 200 * time.Millisecond} {
		t.Run(at.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(okBody)) })
				c := newBubbleClient(t, h, func(o *Options) { o.BurstLimit = 20 }) // one send time per 100 ms
				if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				var mu sync.Mutex
				sent := 0
				for i, rank := range []int64{4, 2, 6, 1, 3, 5} {
					ctx, cancel := context.WithCancel(WithPriority(context.Background(), rank))
					if i%2 == 0 {
						time.AfterFunc(at, cancel) // ranks 4, 6, 3 give up at at
					} else {
						defer cancel()
					}
					wg.Go(func() {
						_, err := c.Get(ctx, V2, "/deals", nil, 10)
						if err == nil {
							mu.Lock()
							sent++
							mu.Unlock()
						} else if i%2 != 0 {
							t.Errorf("rank %d: %v", rank, err)
						}
					})
					synctest.Wait()
				}
				wg.Wait()
				if sent < 3 {
					t.Errorf("%d callers sent, want at least the 3 not cancelled", sent)
				}
			})
		})
	}
}

// TestPacingCancelAtItsTime: the first caller's context ends at the very
// instant its send time comes, when a lower rank arrives: that one still
// sends (it waited for the first, whose time had come, to go or leave).
func TestPacingCancelAtItsTime(t *testing.T) {
	for range 20 { // the three events of one instant come in any order
		synctest.Test(t, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(okBody)) })
			c := newBubbleClient(t, h, func(o *Options) { o.BurstLimit = 20 }) // one send time per 100 ms
			if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(WithPriority(context.Background(), 5))
			time.AfterFunc(100*time.Millisecond, cancel)
			var wg sync.WaitGroup
			wg.Go(func() { c.Get(ctx, V2, "/deals", nil, 10) }) // sends or gives up
			synctest.Wait()
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Get(WithPriority(context.Background(), 1), V2, "/deals", nil, 10); err != nil {
				t.Error(err)
			}
			wg.Wait()
		})
	}
}
