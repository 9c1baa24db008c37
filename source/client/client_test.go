package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/clock"
)

// These tests pin the client's wire behaviour against tiny loopback handlers
// whose answers are scripted exactly; the engine tests exercise the same code
// against the full simulator.

const canary = "canary-token-0123456789abcdef"

// fakeStart is where the tests' fake clocks start: 22:00 UTC, so the budget's
// reset (next midnight) is two hours later.
var fakeStart = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)

// newTestClient is a client of h on a clock.Fake: its backoffs and 429
// waits take no real time (fakeClock reads them back).
func newTestClient(t *testing.T, h http.Handler, mod func(*Options)) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o := Options{BaseURL: srv.URL, Auth: TokenAuth(canary), MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		BurstLimit: 10000, Clock: clock.NewFake(fakeStart)}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// fakeClock is the clock.Fake a test client runs on.
func fakeClock(t *testing.T, c *Client) *clock.Fake {
	t.Helper()
	f, ok := c.clock.(*clock.Fake)
	if !ok {
		t.Fatalf("client clock is %T, not a fake", c.clock)
	}
	return f
}

func TestBaseURLValidation(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true}, // default https://api.pipedrive.com
		{"https://api.pipedrive.com", true},
		{"https://mycompany.pipedrive.com/", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:1234", true},
		{"http://[::1]:99", true},
		{"http://api.pipedrive.com", false},
		{"ftp://x", false},
		{"api.pipedrive.com", false},
		{"https://user:pw@api.pipedrive.com", false},
		{"https://api.pipedrive.com?api_token=x", false},
	}
	for _, tt := range tests {
		_, err := New(Options{BaseURL: tt.url, Auth: TokenAuth("x")})
		if (err == nil) != tt.ok {
			t.Errorf("New(%q): err=%v, want ok=%v", tt.url, err, tt.ok)
		}
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without Auth: want error")
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.9.8.7", true},
		{"::1", true},
		{"", false},
		{"localhost.example.com", false},
		{"10.0.0.1", false},
		{"::", false},
		{"api.pipedrive.com", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.host); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestTokenOnlyInHeaderAndPrefixes(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if strings.Contains(r.URL.RawQuery, canary) || r.URL.Query().Has("api_token") {
			t.Errorf("token in query: %s", r.URL.RawQuery)
		}
		if r.Header.Get("x-api-token") != canary {
			t.Errorf("x-api-token header = %q", r.Header.Get("x-api-token"))
		}
		fmt.Fprint(w, `{"success":true,"data":{"id":1,"name":"Ann","company_name":"Acme","company_domain":"acme"}}`)
	})
	for _, oauth := range []bool{false, true} {
		c, _ := newTestClient(t, h, func(o *Options) { o.OAuth = oauth })
		me, err := c.Me(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if me.CompanyName != "Acme" || me.Name != "Ann" {
			t.Errorf("Me = %+v", me)
		}
		if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"/v1/users/me", "/api/v2/deals", "/api/v1/users/me", "/api/v2/deals"}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if s := fmt.Sprintf("%v %#v", TokenAuth(canary), TokenAuth(canary)); strings.Contains(s, canary) {
		t.Errorf("TokenAuth formats its secret: %s", s)
	}
}

// TestErrorsClassifiedAndSecretFree: every failing status maps to the right
// class, and no error text contains the token even when the server echoes it.
func TestErrorsClassifiedAndSecretFree(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		auth      bool
		config    bool
		transient bool
		contains  string
	}{
		{401, `{"success":false,"error":"unauthorized access","errorCode":401}`, true, true, false, "Personal preferences > API"},
		{402, `{"success":false,"error":"Company account is not active"}`, false, true, false, "not active"},
		{403, `<html>Cloudflare ` + canary + `</html>`, false, true, false, "403"},
		{404, `{"success":false,"error":"not found ` + canary + `"}`, false, true, false, "not found"},
		{410, `{"success":false,"error":"gone"}`, false, true, false, "retired"},
		{400, `{"success":false,"error":"bad param","error_info":"see docs"}`, false, false, false, "bad param; see docs"},
		{500, `{"success":false,"error":"boom"}`, false, false, true, "boom"},
		{503, `oops`, false, false, true, "503"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			var n atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}), nil)
			_, err := c.Get(context.Background(), V1, "/notes", nil, 20)
			if err == nil {
				t.Fatal("want error")
			}
			if IsAuth(err) != tt.auth || IsConfig(err) != tt.config || IsTransient(err) != tt.transient {
				t.Errorf("classes of %v: auth=%v config=%v transient=%v", err, IsAuth(err), IsConfig(err), IsTransient(err))
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error leaks the token: %v", err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not mention %q", err, tt.contains)
			}
			wantN := int32(1)
			if tt.transient {
				wantN = int32(1 + c.opts.MaxRetries)
			}
			if n.Load() != wantN {
				t.Errorf("requests = %d, want %d", n.Load(), wantN)
			}
		})
	}
}

// scripted answers requests in order from a list of (status, headers, body).
type answer struct {
	status int
	header map[string]string
	body   string
}

func scripted(t *testing.T, answers ...answer) (http.Handler, *atomic.Int32) {
	var n atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(answers) {
			t.Errorf("unexpected request %d: %s", i+1, r.URL)
			w.WriteHeader(599)
			return
		}
		a := answers[i]
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.status != 0 {
			w.WriteHeader(a.status)
		}
		fmt.Fprint(w, a.body)
	}), &n
}

const okBody = `{"success":true,"data":[{"id":1}]}`

func TestRetriesAndWaits(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer
		wantErr  func(error) bool
		wantN    int32
		waits429 int
		// waited429 is the 429 waits' total, on the fake clock
		waited429 time.Duration
	}{
		{"5xx then ok", []answer{{status: 502}, {status: 500}, {body: okBody}}, nil, 3, 0, 0},
		{"truncated body then ok", []answer{{body: `{"success":true,"data":[{"id":1`}, {body: okBody}}, nil, 2, 0, 0},
		{"burst 429 waits reset then ok", []answer{{status: 429, header: map[string]string{"x-ratelimit-reset": "1", "x-daily-ratelimit-token-remaining": "500"}}, {body: okBody}}, nil, 2, 1, time.Second},
		{"fractional reset", []answer{{status: 429, header: map[string]string{"x-ratelimit-reset": "0.25"}}, {body: okBody}}, nil, 2, 1, 250 * time.Millisecond},
		{"tiny reset waits 100 ms", []answer{{status: 429, header: map[string]string{"x-ratelimit-reset": "0"}}, {body: okBody}}, nil, 2, 1, 100 * time.Millisecond},
		{"no reset header waits 1 s", []answer{{status: 429}, {body: okBody}}, nil, 2, 1, time.Second},
		{"epoch reset capped at MaxWait", []answer{{status: 429, header: map[string]string{"x-ratelimit-reset": "1764000000"}}, {body: okBody}}, nil, 2, 1, time.Minute},
		{"two 429s wait twice", []answer{{status: 429, header: map[string]string{"x-ratelimit-reset": "2"}}, {status: 429, header: map[string]string{"x-ratelimit-reset": "1"}}, {body: okBody}}, nil, 3, 2, 3 * time.Second},
		{"daily budget 429 stops at once", []answer{{status: 429, header: map[string]string{"x-ratelimit-reset": "1", "x-daily-ratelimit-token-remaining": "0"}}}, IsBudgetExhausted, 1, 0, 0},
		{"persistent 5xx gives up", []answer{{status: 500}, {status: 500}, {status: 500}, {status: 500}, {status: 500}, {status: 500}}, IsTransient, 6, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n := scripted(t, tt.answers...)
			var waits429 atomic.Int32
			var waited429 atomic.Int64
			c, _ := newTestClient(t, h, func(o *Options) {
				o.Observer = func(ob Observation) {
					if ob.Kind == ObsWait && ob.Reason == "429" {
						waits429.Add(1)
						waited429.Add(int64(ob.Wait))
					}
				}
			})
			fc := fakeClock(t, c)
			_, err := c.Get(context.Background(), V2, "/deals", nil, 10)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != nil && (err == nil || !tt.wantErr(err)) {
				t.Fatalf("err = %v, not the wanted kind", err)
			}
			if n.Load() != tt.wantN {
				t.Errorf("requests = %d, want %d", n.Load(), tt.wantN)
			}
			if int(waits429.Load()) != tt.waits429 {
				t.Errorf("429 waits = %d, want %d", waits429.Load(), tt.waits429)
			}
			if got := time.Duration(waited429.Load()); got != tt.waited429 {
				t.Errorf("429 waits total %v, want %v", got, tt.waited429)
			}
			// The clock moved by the 429 pauses plus the (jittered) backoffs.
			slept, _ := fc.Slept()
			if backoffs := slept - tt.waited429; backoffs < 0 || backoffs > time.Duration(tt.wantN)*c.opts.MaxBackoff {
				t.Errorf("slept %v on the clock for 429 waits of %v", slept, tt.waited429)
			}
		})
	}
}

func TestBudgetMeterAndPreflight(t *testing.T) {
	h, n := scripted(t,
		answer{header: map[string]string{"x-daily-ratelimit-token-limit": "30000", "x-daily-ratelimit-token-remaining": "15"}, body: okBody},
		answer{body: okBody}, // no headers: the meter subtracts the cost
	)
	c, _ := newTestClient(t, h, nil)
	ctx := context.Background()
	if _, err := c.Get(ctx, V2, "/deals", nil, 10); err != nil {
		t.Fatal(err)
	}
	if b := c.Budget(); !b.Known || b.Limit != 30000 || b.Remaining != 15 || b.Spent != 10 {
		t.Errorf("budget = %+v", b)
	}
	if _, err := c.Get(ctx, V2, "/deals", nil, 10); err != nil {
		t.Fatal(err)
	}
	if b := c.Budget(); b.Remaining != 5 || b.Spent != 20 {
		t.Errorf("budget after header-less answer = %+v", b)
	}
	// 5 left, the next call costs 10: refused without sending.
	_, err := c.Get(ctx, V2, "/deals", nil, 10)
	var be *BudgetError
	if !errors.As(err, &be) || be.ResetAt.IsZero() {
		t.Fatalf("err = %v, want *BudgetError with a reset time", err)
	}
	if want := fakeStart.Add(2 * time.Hour); !be.ResetAt.Equal(want) {
		t.Errorf("budget resets at %v, want %v (midnight after the client's clock)", be.ResetAt, want)
	}
	if n.Load() != 2 {
		t.Errorf("requests = %d, want 2 (the third must not be sent)", n.Load())
	}
	if !c.Budget().Exhausted {
		t.Error("budget not marked exhausted")
	}
}

func TestUnauthorizedRefreshRetriesOnce(t *testing.T) {
	h, n := scripted(t, answer{status: 401, body: `{"success":false,"error":"unauthorized access"}`}, answer{body: okBody},
		answer{status: 401})
	a := &refreshAuth{}
	c, _ := newTestClient(t, h, func(o *Options) { o.Auth = a })
	if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
	if _, err := c.Get(context.Background(), V2, "/deals", nil, 10); !IsAuth(err) {
		t.Fatalf("second 401 after a refresh: err = %v, want auth error", err)
	}
	if n.Load() != 3 || a.calls.Load() != 2 {
		t.Errorf("requests = %d, refreshes = %d; want 3 and 2", n.Load(), a.calls.Load())
	}
}

type refreshAuth struct{ calls atomic.Int32 }

func (a *refreshAuth) Authorize(r *http.Request) error {
	r.Header.Set("Authorization", "Bearer x")
	return nil
}
func (a *refreshAuth) BaseURL() string { return "" }
func (a *refreshAuth) Unauthorized(context.Context) bool {
	return a.calls.Add(1) == 1 // refresh works once
}

// flakyAuth fails Authorize failures times with err, then authorises; its
// domain and secret may change between calls, as an OAuth source's do.
type flakyAuth struct {
	mu       sync.Mutex
	failures int
	err      error
	calls    int
	base     string
	secret   string
}

func (a *flakyAuth) Authorize(req *http.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.calls <= a.failures {
		return a.err
	}
	req.Header.Set("Authorization", "Bearer "+a.secret)
	return nil
}
func (a *flakyAuth) BaseURL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.base
}
func (a *flakyAuth) Unauthorized(context.Context) bool { return false }
func (a *flakyAuth) Secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return []string{a.secret}
}

type tempErr struct{ temp bool }

func (e tempErr) Error() string   { return fmt.Sprintf("token endpoint failed (temporary=%v)", e.temp) }
func (e tempErr) Temporary() bool { return e.temp }

// A credential that cannot be had must fail at once (no backoff loop), a
// temporary failure to get one is retried.
func TestAuthorizeFailures(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		failures  int
		wantOK    bool
		wantCalls int
	}{
		{"permanent fails fast", tempErr{temp: false}, 5, false, 1},
		{"plain error fails fast", errors.New("grant revoked"), 5, false, 1},
		{"temporary is retried", tempErr{temp: true}, 2, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Write([]byte(`{"success":true,"data":[]}`))
			})
			auth := &flakyAuth{failures: tt.failures, err: tt.err, secret: "s"}
			c, _ := newTestClient(t, h, func(o *Options) { o.Auth = auth; o.MaxRetries = 4 })
			_, err := c.Get(context.Background(), V2, "/deals", nil, 10)
			if (err == nil) != tt.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tt.wantOK)
			}
			if auth.calls != tt.wantCalls {
				t.Errorf("Authorize called %d times, want %d", auth.calls, tt.wantCalls)
			}
			if !tt.wantOK && hits.Load() != 0 {
				t.Errorf("%d requests reached the server without credentials", hits.Load())
			}
		})
	}
}

// After a refresh the retry goes to the new API domain, and error text is
// scrubbed of the secret current at the time of the error.
func TestRetryFollowsNewDomainAndScrubsRotatedSecret(t *testing.T) {
	newDomain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"success":false,"error":"token %s has no access"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(newDomain.Close)
	auth := &flakyAuth{secret: "old-secret"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first domain answers 503 and, meanwhile, the tokens rotate.
		auth.mu.Lock()
		auth.base, auth.secret = newDomain.URL, "rotated-secret-42"
		auth.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c, _ := newTestClient(t, h, func(o *Options) { o.Auth = auth })
	_, err := c.Get(context.Background(), V2, "/deals", nil, 10)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusForbidden {
		t.Fatalf("err = %v, want the new domain's 403", err)
	}
	if strings.Contains(err.Error(), "rotated-secret-42") {
		t.Errorf("rotated secret leaked: %v", err)
	}
}
