package client

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// The pacing strategy against the simulator's rolling burst window at every
// plan's limit, in a synctest bubble (the window and the client share its
// fake time; nothing waits for real). scripts/bench-limits prints these
// tests' figures, and runs this file against an older tree for the old
// figures (so it uses only what the client and simulator long had; the
// other client is in pacing_other_test.go).

// planLimits are the burst limits per 2 s: API token 20/40/100/120, OAuth
// 80/160/400/480 (lite, growth, premium, ultimate). The simulator's
// BurstLimit plays them; which plan and auth kind give which limit is
// pinned by the simulator's and the engine's tests.
var planLimits = []struct {
	name  string
	limit int
}{
	{"token_lite", 20}, {"token_growth", 40}, {"token_premium", 100}, {"token_ultimate", 120},
	{"oauth_lite", 80}, {"oauth_growth", 160}, {"oauth_premium", 400}, {"oauth_ultimate", 480},
}

// paceRun is what one busy run against the window measured.
type paceRun struct {
	ok, rejected  int     // our answers: 2xx, 429
	worst30       float64 // lowest share of the allowance used in any 30 s
	otherSent     int     // the other client's requests
	otherRefused  int     // and how many the window refused
	ownShareLimit float64 // ok requests per window, averaged over the run
}

// runAtLimit keeps 8 callers busy for d of fake time against a window of
// limit requests (mod may add to the simulator's options) and measures.
func runAtLimit(t *testing.T, limit int, mod func(*pipedrivetest.Options), d time.Duration) paceRun {
	return runAtLimitVia(t, limit, mod, nil, d)
}

// jitter delays each request on its way in (by up to in) and its answer on
// the way out (by up to out), pseudo-randomly: a link where the server
// takes requests in later than they were sent, by varying amounts.
type jitter struct {
	base    http.RoundTripper
	in, out time.Duration
	mu      sync.Mutex
	n       uint64
}

func (j *jitter) RoundTrip(r *http.Request) (*http.Response, error) {
	j.mu.Lock()
	j.n++
	h := j.n * 0x9e3779b97f4a7c15
	j.mu.Unlock()
	time.Sleep(time.Duration(h>>40) % j.in)
	resp, err := j.base.RoundTrip(r)
	time.Sleep(time.Duration(h>>20) % j.out)
	return resp, err
}

// runAtLimitVia is runAtLimit through a link (nil: the simulator's own).
func runAtLimitVia(t *testing.T, limit int, mod func(*pipedrivetest.Options), link func(http.RoundTripper) http.RoundTripper, d time.Duration) paceRun {
	o := pipedrivetest.Options{Seed: 3, Scale: 20, BurstLimit: limit, DailyBudget: 1 << 40, InMemory: true}
	if mod != nil {
		mod(&o)
	}
	sim := pipedrivetest.NewServer(o)
	defer sim.Close()
	var mu sync.Mutex
	var okAt []time.Time
	var res paceRun
	hc := sim.HTTPClient()
	if link != nil {
		hc = &http.Client{Transport: link(hc.Transport)}
	}
	c, err := New(Options{BaseURL: sim.URL(), Auth: TokenAuth(sim.Token()), HTTPClient: hc, Max429: 1000,
		Observer: func(o Observation) {
			if o.Kind != ObsRequest {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch o.Status {
			case 200:
				res.ok++
				okAt = append(okAt, time.Now())
			case 429:
				res.rejected++
			default:
				t.Errorf("answer %d: %v", o.Status, o.Err)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(end) {
				if _, err := c.Get(context.Background(), V2, "/stages", url.Values{"limit": {"500"}}, 5); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if oc, ok := any(sim).(interface{ OtherClient() (int, int) }); ok {
		res.otherSent, res.otherRefused = oc.OtherClient()
	}
	// The lowest count of our accepted requests in any 30 s of the run.
	const span = 30 * time.Second
	allowance := float64(limit) * span.Seconds() / 2
	res.worst30 = 2
	j := 0
	for i := range okAt {
		if i > 0 && okAt[i].Equal(okAt[i-1]) {
			continue // a span starts before the first request of an instant
		}
		if okAt[i].Add(span).After(end) {
			break
		}
		for j < len(okAt) && okAt[j].Before(okAt[i].Add(span)) {
			j++
		}
		res.worst30 = min(res.worst30, float64(j-i)/allowance)
	}
	res.ownShareLimit = float64(res.ok) / (d.Seconds() / 2)
	return res
}

// TestPacingFillsTheWindow: at every plan, >= 97% of the allowance in every
// 30 s of a 32 s busy run and < 0.5% of requests answered 429.
func TestPacingFillsTheWindow(t *testing.T) {
	for _, p := range planLimits {
		t.Run(p.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := runAtLimit(t, p.limit, nil, 32*time.Second)
				share429 := float64(r.rejected) / float64(r.ok+r.rejected)
				t.Logf("pacing %s limit %d: utilisation %.1f%% (worst 30 s), %d requests, %d answered 429 (%.2f%%)",
					p.name, p.limit, 100*r.worst30, r.ok+r.rejected, r.rejected, 100*share429)
				if r.worst30 < 0.97 {
					t.Errorf("worst 30 s used %.1f%% of the allowance, want >= 97%%", 100*r.worst30)
				}
				if share429 >= 0.005 {
					t.Errorf("%.2f%% of requests answered 429, want < 0.5%%", 100*share429)
				}
			})
		})
	}
}

// TestPacingOnAJitteryLink: requests reach the server 0-80 ms after they
// were sent and answers come back 0-10 ms later, varying request by
// request: a request's place in our log lasts until a window after its
// answer, so a late arrival never finds the window full (< 0.5% 429s), and
// the round trip costs about its share of the window (>= 97% used).
func TestPacingOnAJitteryLink(t *testing.T) {
	for _, p := range planLimits[:4] { // token plans: 8 callers keep up with them over this link
		t.Run(p.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				link := func(rt http.RoundTripper) http.RoundTripper {
					return &jitter{base: rt, in: 80 * time.Millisecond, out: 10 * time.Millisecond}
				}
				r := runAtLimitVia(t, p.limit, nil, link, 32*time.Second)
				share429 := float64(r.rejected) / float64(r.ok+r.rejected)
				t.Logf("jittery link %s limit %d: utilisation %.1f%% (worst 30 s), %d requests, %d answered 429 (%.2f%%)",
					p.name, p.limit, 100*r.worst30, r.ok+r.rejected, r.rejected, 100*share429)
				if r.worst30 < 0.97 || share429 >= 0.005 {
					t.Errorf("worst 30 s used %.1f%% (want >= 97%%), %.2f%% answered 429 (want < 0.5%%)", 100*r.worst30, 100*share429)
				}
			})
		})
	}
}
