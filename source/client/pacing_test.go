package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Pacing tests with many concurrent callers run in a testing/synctest bubble
// on clock.Real (the bubble's fake time, which moves only when every goroutine
// waits) and reach their handler in-process: a socket would keep the bubble's
// clock from moving, and a clock.Fake would let one caller move time while
// another's request is still on its way.

// handlerTransport serves requests by calling h in the caller's goroutine.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// newBubbleClient is a client of h for use inside a synctest bubble.
func newBubbleClient(t *testing.T, h http.Handler, mod func(*Options)) *Client {
	t.Helper()
	o := Options{BaseURL: "http://127.0.0.1:1", Auth: TokenAuth(canary), HTTPClient: &http.Client{Transport: handlerTransport{h}},
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, BurstLimit: 10000}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stamps records when each request reached the handler.
type stamps struct {
	mu    sync.Mutex
	times []time.Time
}

func (s *stamps) add(t time.Time) {
	s.mu.Lock()
	s.times = append(s.times, t)
	s.mu.Unlock()
}

// maxIn is the most requests inside any window of length w.
func (s *stamps) maxIn(w time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := 0
	for i := range s.times {
		n := 0
		for j := i; j < len(s.times) && s.times[j].Sub(s.times[i]) < w; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

// getConcurrently sends n requests from each of g goroutines.
func getConcurrently(t *testing.T, c *Client, g, n int) {
	var wg sync.WaitGroup
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

func TestLearnsBurstLimit(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ratelimit-limit", "120")
		w.Header().Set("x-ratelimit-remaining", "100")
		fmt.Fprint(w, okBody)
	})
	c, _ := newTestClient(t, h, func(o *Options) { o.BurstLimit = 0 })
	if got := c.BurstLimit(); got != LowestTokenBurst {
		t.Errorf("initial burst = %d, want %d", got, LowestTokenBurst)
	}
	if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
		t.Fatal(err)
	}
	if got := c.BurstLimit(); got != 120 {
		t.Errorf("learned burst = %d, want 120", got)
	}
	oc, _ := newTestClient(t, h, func(o *Options) { o.BurstLimit = 0; o.OAuth = true })
	if got := oc.BurstLimit(); got != LowestOAuthBurst {
		t.Errorf("OAuth initial burst = %d", got)
	}
}

// TestPacingSharedAcrossCallers: concurrent callers share one limiter, so
// together they never exceed the learned burst per window, and they use it.
func TestPacingSharedAcrossCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var st stamps
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st.add(time.Now())
			fmt.Fprint(w, okBody)
		})
		// 20 per 200 ms window: 30 requests need >= ~250 ms whoever sends them.
		c := newBubbleClient(t, h, func(o *Options) { o.BurstLimit = 20; o.Window = 200 * time.Millisecond })
		start := time.Now()
		getConcurrently(t, c, 3, 10)
		elapsed := time.Since(start)
		maxIn := st.maxIn(200 * time.Millisecond)
		if maxIn > 20 {
			t.Errorf("%d requests in one 200 ms window, limit 20", maxIn)
		}
		if maxIn < 15 || elapsed < 250*time.Millisecond {
			t.Errorf("30 requests took %v, at most %d in a window: not paced to the limit", elapsed, maxIn)
		}
		t.Logf("max requests in a window: %d of 20; 30 requests in %v", maxIn, elapsed)
	})
}

// TestPauseSharedAcrossCallers: an answer saying the window is used up
// (x-ratelimit-remaining 0) holds every caller until x-ratelimit-reset.
func TestPauseSharedAcrossCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var st stamps
		var once sync.Once
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st.add(time.Now())
			once.Do(func() {
				w.Header().Set("x-ratelimit-remaining", "0")
				w.Header().Set("x-ratelimit-reset", "3")
			})
			fmt.Fprint(w, okBody)
		})
		c := newBubbleClient(t, h, nil)
		start := time.Now()
		getConcurrently(t, c, 3, 4)
		st.mu.Lock()
		defer st.mu.Unlock()
		if len(st.times) != 12 {
			t.Fatalf("%d requests, want 12", len(st.times))
		}
		for i, at := range st.times[1:] {
			if d := at.Sub(start); d < 3*time.Second {
				t.Errorf("request %d sent %v after the pause began, before the 3 s reset", i+2, d)
			}
		}
	})
}

// TestPacingOnInjectedClock: the limiter runs on Options.Clock, not on
// time.Now: one caller's paced requests move a clock.Fake by exactly the
// spacing of the pace (20 per 2 s at the full limit: one per 100 ms; the
// window log never binds at that spacing).
func TestPacingOnInjectedClock(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, okBody) })
	var waits []time.Duration
	c, _ := newTestClient(t, h, func(o *Options) {
		o.BurstLimit = 20
		o.Observer = func(o Observation) {
			if o.Kind == ObsWait && o.Reason == "burst" {
				waits = append(waits, o.Wait)
			}
		}
	})
	fc := fakeClock(t, c)
	for range 10 {
		if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
			t.Fatal(err)
		}
	}
	want := 9 * 100 * time.Millisecond // 9 gaps of 1/10 s: the first request goes at once
	slept, naps := fc.Slept()
	if d := slept - want; d < -time.Millisecond || d > time.Millisecond || naps != 9 {
		t.Errorf("clock slept %v in %d sleeps, want %v in 9", slept, naps, want)
	}
	if len(waits) != 9 {
		t.Errorf("%d burst waits reported, want 9", len(waits))
	}
}

// TestFirst429HoldsEveryCaller: when the probe (a client's first request)
// meets a burst 429, the callers that waited for its answer are released
// only after the pause is set, so none of them is sent into the full window.
func TestFirst429HoldsEveryCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var st stamps
		var n429 atomic.Int32
		var once sync.Once
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st.add(time.Now())
			first := false
			once.Do(func() { first = true })
			w.Header().Set("x-ratelimit-limit", "20")
			if first {
				// No x-ratelimit-remaining: only the status says the window is full.
				n429.Add(1)
				w.Header().Set("x-ratelimit-reset", "2")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"success":false,"error":"Rate limit exceeded","errorCode":429}`)
				return
			}
			w.Header().Set("x-ratelimit-remaining", "19")
			fmt.Fprint(w, okBody)
		})
		c := newBubbleClient(t, h, func(o *Options) { o.BurstLimit = 0 })
		start := time.Now()
		getConcurrently(t, c, 5, 1)
		if got := n429.Load(); got != 1 {
			t.Errorf("%d answers 429, want only the probe's", got)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		for i, at := range st.times[1:] {
			if d := at.Sub(start); d < 2*time.Second {
				t.Errorf("request %d sent %v after the probe's 429, before its 2 s reset", i+2, d)
			}
		}
	})
}
