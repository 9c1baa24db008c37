package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

var _ client.Auth = (*oauth.Source)(nil)
var _ client.Redactor = (*oauth.Source)(nil)

const ttl = time.Hour

func newSource(t *testing.T, h *harness, tok oauth.Tokens, saved *oauth.Tokens, fail *error) *oauth.Source {
	t.Helper()
	src, err := oauth.NewSource(h.cfg, tok, h.persister(saved, fail))
	if err != nil {
		t.Fatal(noteErr(err))
	}
	return src
}

// TestRotationPersistedBeforeUse: every rotated token set reaches the
// persist callback before its access token is sent to the API.
func TestRotationPersistedBeforeUse(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
	var saved oauth.Tokens
	src := newSource(t, h, h.login(t), &saved, nil)
	for i := 0; i < 3; i++ {
		h.sim.Advance(ttl) // the access token is now expired
		if st, err := apiGet(t, src, "/api/v1/users/me"); err != nil || st != http.StatusOK {
			t.Fatalf("call %d: %d %v", i, st, err)
		}
	}
	if src.Refreshes() != 3 {
		t.Fatalf("refreshes = %d, want 3", src.Refreshes())
	}
	firstUse := map[string]int{}
	persistedAt := map[string]int{}
	for i, e := range h.log() {
		f := strings.Fields(e)
		switch {
		case f[0] == "persist":
			persistedAt[f[1]] = i
		case f[0] == "api" && len(f) == 3:
			if _, ok := firstUse[f[2]]; !ok {
				firstUse[f[2]] = i
			}
			if f[1] == "401" {
				t.Errorf("event %d: a 401 from the API: the proactive refresh missed", i)
			}
		}
	}
	if len(persistedAt) != 3 {
		t.Fatalf("persisted %d token sets, want 3", len(persistedAt))
	}
	for at, p := range persistedAt {
		u, used := firstUse[at]
		if !used {
			t.Errorf("a persisted access token was never used")
			continue
		}
		if p > u {
			t.Errorf("access token used at event %d before it was persisted at event %d", u, p)
		}
	}
	if saved != src.Current() {
		t.Errorf("the last persisted set is not the one in use")
	}
}

// TestCrashRightAfterRefresh: the process dies after a refresh; the next run
// starts from what was persisted and still works, while the refresh token it
// started with is spent.
func TestCrashRightAfterRefresh(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
	initial := h.login(t)
	var keyring oauth.Tokens
	run1 := newSource(t, h, initial, &keyring, nil)
	h.sim.Advance(ttl)
	if _, err := run1.Token(context.Background()); err != nil {
		t.Fatal(noteErr(err))
	}
	// "kill -9": run1 is dropped; only the keyring survives.
	run1 = nil
	if keyring.RefreshToken == "" || keyring.RefreshToken == initial.RefreshToken {
		t.Fatalf("the rotated refresh token was not persisted")
	}
	h.sim.Advance(ttl)
	run2 := newSource(t, h, keyring, &keyring, nil)
	if st, err := apiGet(t, run2, "/api/v2/deals"); err != nil || st != http.StatusOK {
		t.Fatalf("next run from the persisted tokens: %d %v", st, err)
	}
	// Without persisting, the next run would have had only this one.
	stale := newSource(t, h, initial, new(oauth.Tokens), nil)
	h.sim.Advance(ttl)
	_, err := stale.Token(context.Background())
	if !errors.Is(noteErr(err), oauth.ErrRefreshRejected) {
		t.Fatalf("the pre-crash refresh token still works (err %v): the test proves nothing", err)
	}
}

// TestPersistFailureWithholdsToken: if saving fails, the new access token is
// not used; a later successful save releases it without another refresh.
func TestPersistFailureWithholdsToken(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
	var saved oauth.Tokens
	fail := errors.New("keyring locked")
	src := newSource(t, h, h.login(t), &saved, &fail)
	h.sim.Advance(ttl)
	calls := h.calls()
	apiBefore := len(h.log())

	st, err := apiGet(t, src, "/api/v1/users/me")
	if !errors.Is(err, oauth.ErrPersist) || st != 0 || !strings.Contains(err.Error(), "keyring locked") {
		t.Fatalf("with a failing persist: status %d err %v; want ErrPersist and no request", st, err)
	}
	if _, err := src.Token(context.Background()); !errors.Is(noteErr(err), oauth.ErrPersist) {
		t.Fatalf("second call: %v", err)
	}
	if got := len(h.log()); got != apiBefore {
		t.Fatalf("%d API requests were sent with an unpersisted token", got-apiBefore)
	}
	if h.calls() != calls+1 {
		t.Fatalf("token endpoint calls = %d, want exactly one refresh (no re-rotation while unsaved)", h.calls()-calls)
	}
	fail = nil
	if st, err := apiGet(t, src, "/api/v1/users/me"); err != nil || st != http.StatusOK {
		t.Fatalf("after the keyring recovers: %d %v", st, err)
	}
	if h.calls() != calls+1 || saved != src.Current() {
		t.Fatalf("recovery refreshed again or saved the wrong set")
	}
}

// TestExpiryDuringLongRun: a sync that outlives several access tokens never
// sees a 401 and refreshes once per token lifetime.
func TestExpiryDuringLongRun(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
	var saved oauth.Tokens
	src := newSource(t, h, h.login(t), &saved, nil)
	const steps, step = 25, 10 * time.Minute // calls at 0, 10, ... 240 minutes
	for i := 0; i < steps; i++ {
		if st, err := apiGet(t, src, "/api/v2/deals"); err != nil || st != http.StatusOK {
			t.Fatalf("step %d: %d %v", i, st, err)
		}
		h.sim.Advance(step)
	}
	// Tokens live 60 min: the calls at 60, 120, 180 and 240 minutes each
	// find the token within the skew of expiry and refresh first.
	if got := src.Refreshes(); got != 4 {
		t.Errorf("refreshes = %d, want 4", got)
	}
	for _, e := range h.log() {
		if strings.HasPrefix(e, "api 401") {
			t.Fatalf("a request was refused during the run")
		}
	}
}

// TestRefreshSkew: a token is replaced within RefreshSkew of its expiry,
// not after it.
func TestRefreshSkew(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		refresh bool
	}{
		{"two minutes left", ttl - 2*time.Minute, false},
		{"thirty seconds left", ttl - 30*time.Second, true},
		{"expired", ttl + time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
			var saved oauth.Tokens
			src := newSource(t, h, h.login(t), &saved, nil)
			h.sim.Advance(tt.advance)
			tok, err := src.Token(context.Background())
			if err != nil {
				t.Fatal(noteErr(err))
			}
			if got := src.Refreshes() == 1; got != tt.refresh {
				t.Fatalf("refreshed = %v, want %v", got, tt.refresh)
			}
			if left := tok.Expiry.Sub(h.sim.Now()); left < time.Minute {
				t.Fatalf("returned a token with only %v left", left)
			}
		})
	}
}

// TestConcurrentRefreshOnce: streams that find the token expired at the same
// moment cause exactly one token request.
func TestConcurrentRefreshOnce(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
	var saved oauth.Tokens
	src := newSource(t, h, h.login(t), &saved, nil)
	h.sim.Advance(ttl)
	before := h.calls()

	const n = 16
	start := make(chan struct{})
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			tok, err := src.Token(context.Background())
			got[i], errs[i] = tok.AccessToken, noteErr(err)
		}(i)
	}
	close(start)
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] == "" || got[i] != got[0] {
			t.Fatalf("caller %d: err %v, or a different access token", i, errs[i])
		}
	}
	if c := h.calls() - before; c != 1 {
		t.Fatalf("token endpoint calls = %d, want 1", c)
	}
}

// TestUnauthorizedMidRun: the Source's clock says the token is fine but the
// API refuses it; the real client refreshes once and retries, and
// concurrent 401s share that one refresh.
func TestUnauthorizedMidRun(t *testing.T) {
	tests := []struct {
		name    string
		streams int
		expire  func(h *harness)
	}{
		{"token expired behind our back", 1, func(h *harness) { h.sim.Advance(2 * ttl) }},
		{"four streams hit the 401 together", 4, func(h *harness) { h.sim.Advance(2 * ttl) }},
		{"server revokes the access token once", 1, func(h *harness) {
			h.sim.Fault(pipedrivetest.Fault{Kind: pipedrivetest.FaultExpireToken, Times: 1})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
			cfg := h.cfg
			cfg.Now = frozen(h.sim.Now()) // never refreshes proactively
			var saved oauth.Tokens
			src, err := oauth.NewSource(cfg, h.login(t), h.persister(&saved, nil))
			if err != nil {
				t.Fatal(err)
			}
			c, err := client.New(client.Options{BaseURL: h.sim.URL(), Auth: src, OAuth: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get(context.Background(), client.V1, "/users/me", nil, 2); err != nil {
				t.Fatal(noteErr(err))
			}
			tt.expire(h)
			before := h.calls()
			start := make(chan struct{})
			errs := make(chan error, tt.streams)
			for i := 0; i < tt.streams; i++ {
				go func() {
					<-start
					_, err := c.Get(context.Background(), client.V1, "/users/me", nil, 2)
					errs <- noteErr(err)
				}()
			}
			close(start)
			for i := 0; i < tt.streams; i++ {
				if err := <-errs; err != nil {
					t.Fatalf("stream %d: %v", i, err)
				}
			}
			if got := h.calls() - before; got != 1 {
				t.Fatalf("token endpoint calls = %d, want 1", got)
			}
			var n401 int
			for _, e := range h.log() {
				if strings.HasPrefix(e, "api 401") {
					n401++
				}
			}
			if n401 < 1 || n401 > tt.streams {
				t.Fatalf("API 401s = %d, want 1..%d", n401, tt.streams)
			}
			if saved != src.Current() {
				t.Errorf("the refreshed set was not persisted")
			}
		})
	}
}

// TestConcurrentUnauthorizedOneRefresh: requests that were in flight with
// the same dead token all report 401 at once; one refresh serves them all.
// (Through the client the limiter spaces requests out, so this drives
// Unauthorized directly to make the overlap certain.)
func TestConcurrentUnauthorizedOneRefresh(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
	cfg := h.cfg
	cfg.Now = frozen(h.sim.Now())
	var saved oauth.Tokens
	src, err := oauth.NewSource(cfg, h.login(t), h.persister(&saved, nil))
	if err != nil {
		t.Fatal(err)
	}
	old := src.Current().AccessToken
	h.sim.Advance(2 * ttl)
	before := h.calls()
	const n = 8
	start := make(chan struct{})
	retry := make(chan bool, n)
	for i := 0; i < n; i++ {
		go func() {
			<-start
			retry <- src.Unauthorized(context.Background())
		}()
	}
	close(start)
	for i := 0; i < n; i++ {
		if !<-retry {
			t.Fatalf("a caller was told not to retry")
		}
	}
	if got := h.calls() - before; got != 1 {
		t.Fatalf("token endpoint calls = %d, want 1", got)
	}
	if src.Current().AccessToken == old {
		t.Fatalf("the access token did not change")
	}
	if st, err := apiGet(t, src, "/api/v1/users/me"); err != nil || st != http.StatusOK {
		t.Fatalf("retry with the new token: %d %v", st, err)
	}
}

// TestRefreshRejected: a revoked (or 60 days unused) refresh token gives the
// clear error, and the Source stops asking Pipedrive.
func TestRefreshRejected(t *testing.T) {
	tests := []struct {
		name string
		kill func(h *harness)
	}{
		{"revoked", func(h *harness) { h.sim.RevokeRefreshTokens(); h.sim.Advance(ttl) }},
		{"unused for 61 days", func(h *harness) { h.sim.Advance(61 * 24 * time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
			var saved oauth.Tokens
			saved0 := h.login(t)
			loginTime := h.sim.Now()
			src := newSource(t, h, saved0, &saved, nil)
			tt.kill(h)
			before := h.calls()
			_, err := apiGet(t, src, "/api/v1/users/me")
			if !errors.Is(err, oauth.ErrRefreshRejected) || !oauth.NeedsLogin(err) {
				t.Fatalf("err = %v, want ErrRefreshRejected", err)
			}
			want := "refresh token rejected by Pipedrive (HTTP 400 invalid_grant): it was revoked or unused for 60 days — run `pdx auth login --oauth` again"
			if err.Error() != want {
				t.Errorf("message:\n got %q\nwant %q", err, want)
			}
			if !errors.Is(src.Err(), oauth.ErrRefreshRejected) {
				t.Errorf("Err() = %v", src.Err())
			}
			if _, err := src.Token(context.Background()); !errors.Is(noteErr(err), oauth.ErrRefreshRejected) {
				t.Errorf("second call: %v", err)
			}
			// Through the client, both ways of finding out (proactive refresh
			// in Authorize, or a 401 first) end in the same clear error.
			for _, clock := range []func() time.Time{h.sim.Now, frozen(loginTime)} {
				cfg := h.cfg
				cfg.Now = clock
				src2, err := oauth.NewSource(cfg, saved0, h.persister(&saved, nil))
				if err != nil {
					t.Fatal(err)
				}
				c, err := client.New(client.Options{BaseURL: h.sim.URL(), Auth: src2, OAuth: true, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Get(context.Background(), client.V1, "/users/me", nil, 2)
				if !errors.Is(noteErr(err), oauth.ErrRefreshRejected) || !strings.Contains(err.Error(), "pdx auth login --oauth") {
					t.Errorf("through the client: %v", err)
				}
			}
			if got := h.calls() - before; got != 3 {
				t.Errorf("token endpoint calls = %d, want 3: one per Source, no hammering with a dead token", got)
			}
			if saved != (oauth.Tokens{}) {
				t.Errorf("something was persisted")
			}
		})
	}
}

func TestNewSourceValidates(t *testing.T) {
	cfg := oauth.Config{ClientID: "id", ClientSecret: "CANARY-client-secret-ns"}
	addSecret(cfg.ClientSecret)
	ok := func(oauth.Tokens) error { return nil }
	tests := []struct {
		name    string
		cfg     oauth.Config
		tok     oauth.Tokens
		persist func(oauth.Tokens) error
		want    error
	}{
		{"plain http api_domain", cfg, oauth.Tokens{RefreshToken: "CANARY-rt-ns", APIDomain: "http://acme.pipedrive.com"}, ok, oauth.ErrInsecureAPIDomain},
		{"no refresh token", cfg, oauth.Tokens{AccessToken: "CANARY-at-ns"}, ok, oauth.ErrRefreshRejected},
		{"no client secret", oauth.Config{ClientID: "id"}, oauth.Tokens{RefreshToken: "CANARY-rt-ns"}, ok, oauth.ErrBadInput},
		{"no persist callback", cfg, oauth.Tokens{RefreshToken: "CANARY-rt-ns"}, nil, nil},
	}
	addSecret("CANARY-rt-ns")
	addSecret("CANARY-at-ns")
	for _, tt := range tests {
		_, err := oauth.NewSource(tt.cfg, tt.tok, tt.persist)
		noteErr(err)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	src, err := oauth.NewSource(cfg, oauth.Tokens{AccessToken: "CANARY-at-ns", RefreshToken: "CANARY-rt-ns", APIDomain: "https://acme.pipedrive.com/"}, ok)
	if err != nil {
		t.Fatal(err)
	}
	if src.BaseURL() != "https://acme.pipedrive.com" {
		t.Errorf("BaseURL = %q", src.BaseURL())
	}
	produced(fmt.Sprintf("%v %+v %#v %v %+v", src, src, src, src.Current(), src.Current()))
	sec := strings.Join(src.Secrets(), " ")
	for _, want := range []string{"CANARY-client-secret-ns", "CANARY-at-ns", "CANARY-rt-ns"} {
		if !strings.Contains(sec, want) {
			t.Errorf("Secrets() misses a value the client must scrub")
		}
	}
}

// TestWaitingCallerHonoursContext: while one caller refreshes (here stuck in
// a slow keyring), another whose context ends gets its context error instead
// of waiting; a forced Refresh afterwards rotates again.
func TestWaitingCallerHonoursContext(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: ttl})
	entered, release := make(chan struct{}), make(chan struct{})
	var saved oauth.Tokens
	var once sync.Once
	src, err := oauth.NewSource(h.cfg, h.login(t), func(tok oauth.Tokens) error {
		once.Do(func() { close(entered); <-release })
		saved = tok
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(ttl)
	first := make(chan error, 1)
	go func() {
		_, err := src.Token(context.Background())
		first <- err
	}()
	<-entered // the refresh holds the lock, blocked in persist
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(noteErr(err), context.Canceled) {
		t.Fatalf("waiting caller: err = %v, want context.Canceled", err)
	}
	if src.Unauthorized(ctx) {
		t.Fatalf("Unauthorized with a cancelled context said retry")
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(noteErr(err))
	}
	before := src.Current()
	after, err := src.Refresh(context.Background())
	if noteErr(err) != nil || after.RefreshToken == before.RefreshToken || saved != after {
		t.Fatalf("forced refresh: err %v, rotated %v, persisted %v", err, after.RefreshToken != before.RefreshToken, saved == after)
	}
}
