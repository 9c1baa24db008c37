package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// TestRateLimitPlans runs parallel syncs sharing one client against the
// simulator's burst window (2 s) at each API-token plan. The
// client starts at the lowest plan's 20 requests and learns the real limit
// from x-ratelimit-limit. Every stream must complete, under 1% of requests
// may meet a 429 (the simulator's rolling window judges), and the window
// must actually be used (utilisation is logged, the peak window bounded).
// Each plan sends about 1.35 windows' worth (at least 1.2), ~3 s of fake
// time (inBubble).
func TestRateLimitPlans(t *testing.T) {
	loadSpec(t) // outside the bubbles: the tests share it
	plans := []struct {
		plan  pipedrivetest.Plan
		oauth bool
		limit int
	}{
		{pipedrivetest.PlanLite, false, 20},
		{pipedrivetest.PlanGrowth, false, 40},
		{pipedrivetest.PlanPremium, false, 100},
		{pipedrivetest.PlanUltimate, false, 120},
		{pipedrivetest.PlanLite, true, 80},
		{pipedrivetest.PlanGrowth, true, 160},
		{pipedrivetest.PlanPremium, true, 400},
		{pipedrivetest.PlanUltimate, true, 480},
	}
	// The listings without a parent: a child's request per parent would
	// make one run alone many windows' worth at the small plans.
	var all []engine.ConfiguredStream
	for _, s := range streams.All() {
		if s.Parent == nil {
			all = append(all, engine.ConfiguredStream{Name: s.Name, Mode: engine.FullRefresh})
		}
	}
	// The requests of one full refresh of them, measured (the table grows).
	perRun := func() int {
		sim := newSim(t, pipedrivetest.Options{Seed: 20, Scale: 50})
		res, _ := run(t, newClient(t, sim, nil), runCfg{streams: all})
		mustComplete(t, res)
		return len(sim.Requests())
	}()
	for _, p := range plans {
		name := string(p.plan)
		if p.oauth {
			name = "oauth_" + name
		}
		// One plan at a time: in parallel, the high plans' CPU load starved
		// the others' pacing and the utilisation measured the machine.
		t.Run(name, inBubble(func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 20, Scale: 50, Plan: p.plan, InMemory: true})
			var mu sync.Mutex
			var times []time.Time
			c := newClient(t, sim, func(o *client.Options) {
				if p.oauth {
					o.Auth, o.OAuth = oauthLogin(t, sim), true
				}
				o.BurstLimit = 0 // start at the lowest plan and learn
				o.Observer = func(ob client.Observation) {
					if ob.Kind == client.ObsRequest {
						mu.Lock()
						times = append(times, time.Now())
						mu.Unlock()
					}
				}
			})
			runs := max(1, (p.limit*135/100+perRun/2)/perRun)
			start := time.Now()
			var wg sync.WaitGroup
			results := make([]engine.Result, runs)
			for i := range runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := engine.Run(context.Background(), engine.Options{Client: c, Streams: all, Sink: newCollector(t)})
					if err != nil {
						t.Error(err)
					}
					results[i] = res
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			for _, res := range results {
				mustComplete(t, res)
			}
			reqs := sim.Requests()
			n429 := 0
			for _, r := range reqs {
				if r.Status == 429 || r.Status == 403 {
					n429++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			maxIn := 0
			for i := range times {
				j := i
				for j < len(times) && times[j].Sub(times[i]) < 2*time.Second {
					j++
				}
				maxIn = max(maxIn, j-i)
			}
			// average use of the allowance over the busy period
			util := float64(len(times)) / (elapsed.Seconds() / 2) / float64(p.limit)
			t.Logf("plan %s: %d requests in %s, %d rejected (%.2f%%), max %d in a 2 s window of %d allowed, utilisation %.0f%% (peak window %.0f%%)",
				name, len(reqs), elapsed.Round(10*time.Millisecond), n429, 100*float64(n429)/float64(len(reqs)), maxIn, p.limit, util*100, 100*float64(maxIn)/float64(p.limit))
			// Under a window's worth would not need pacing at all.
			if len(reqs) < p.limit*6/5 {
				t.Errorf("%d requests: want over 1.2 windows' worth (%d) to test the pacing", len(reqs), p.limit*6/5)
			}
			if float64(n429) >= 0.01*float64(len(reqs)) {
				t.Errorf("%d of %d requests rejected, want under 1%%", n429, len(reqs))
			}
			// The simulator's rolling window is the judge of overfilling (its
			// 429s are counted above); maxIn is taken here as answers arrive,
			// and on a loaded machine a late answer can bunch into a window.
			// The floor on the peak window proves the learned limit is used (the
			// client starts at 20); it is loose because CI machines are busy.
			if float64(maxIn) < 0.6*float64(p.limit) {
				t.Errorf("burst window under-used: utilisation %.0f%%, peak window %d of %d", util*100, maxIn, p.limit)
			}
			if got := c.BurstLimit(); got != p.limit {
				t.Errorf("client paces to %d, plan limit %d", got, p.limit)
			}
		}))
	}
}

// inBubble runs a test in a testing/synctest bubble: with an InMemory
// simulator, client and burst window then share the bubble's fake time,
// which moves only when every goroutine waits, so pacing is measured exactly
// and no test waits for real or depends on the machine's load.
func inBubble(f func(t *testing.T)) func(t *testing.T) {
	return func(t *testing.T) { synctest.Test(t, f) }
}

// TestRateLimit429Recovery: a server that allows fewer requests than the
// client believes (another integration shares the token) answers 429s; the
// engine waits x-ratelimit-reset, reports RateLimited, and completes.
func TestRateLimit429Recovery(t *testing.T) {
	loadSpec(t)
	inBubble(testRateLimit429Recovery)(t)
}

func testRateLimit429Recovery(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 21, Scale: 50, BurstLimit: 6, InMemory: true})
	c := newClient(t, sim, func(o *client.Options) { o.BurstLimit = 0 })
	// Another client on the same token fills the window first, so the engine's
	// first requests meet 429s before it has learned anything.
	for range 6 {
		req, _ := http.NewRequest(http.MethodGet, sim.URL()+"/v1/users/me", nil)
		req.Header.Set("x-api-token", sim.Token())
		resp, err := sim.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	res, col := run(t, c, runCfg{streams: full("stages", "pipelines", "currencies", "users")})
	mustComplete(t, res)
	if len(col.events(engine.RateLimited)) == 0 {
		t.Error("no RateLimited event after 429s")
	}
	var waits int64
	for _, s := range res.Streams {
		waits += s.Stats.Waits
	}
	if waits == 0 {
		t.Error("no waits counted in the stream stats")
	}
	// Refused requests cost nothing: the stats agree with what was charged.
	var tokens, charged int64
	n429 := 0
	for _, s := range res.Streams {
		tokens += s.Stats.Tokens
	}
	for _, r := range sim.Requests() {
		if r.Path != "/v1/users/me" {
			charged += int64(r.Cost)
		}
		if r.Status == 429 {
			n429++
		}
	}
	if n429 == 0 || tokens != charged {
		t.Errorf("%d 429s; stats count %d tokens, the simulator charged %d", n429, tokens, charged)
	}
}

// bearer is a fixed OAuth access token (the oauth package's refreshing
// source is tested there; here only the burst table matters).
type bearer string

func (b bearer) Authorize(r *http.Request) error {
	r.Header.Set("Authorization", "Bearer "+string(b))
	return nil
}
func (b bearer) BaseURL() string                   { return "" }
func (b bearer) Unauthorized(context.Context) bool { return false }

// oauthLogin gets an access token from the simulator's consenting
// authorize endpoint and its token endpoint.
func oauthLogin(t testing.TB, sim *pipedrivetest.Server) client.Auth {
	t.Helper()
	id, secret := sim.OAuthClient()
	redirect := "http://127.0.0.1:1/callback"
	noFollow := *sim.HTTPClient()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(sim.URL() + "/oauth/authorize?" + url.Values{"client_id": {id}, "redirect_uri": {redirect}, "state": {"s"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirect}}
	req, _ := http.NewRequest(http.MethodPost, sim.URL()+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err = sim.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return bearer(tok.AccessToken)
}
