package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// checkAllRecords: every stream's file holds exactly the simulator's records.
func checkAllRecords(t *testing.T, e *oauthEnv, streams ...string) {
	t.Helper()
	for _, s := range streams {
		got := dedupeLast(t, fileLines(t, filepath.Join(e.out, s+".jsonl")))
		if want := len(apiRecordsFor(t, e.srv, s)); len(got) != want || want == 0 {
			t.Errorf("%s: %d records in the file, the simulator has %d", s, len(got), want)
		}
	}
}

// TestOAuthRotationMidSync: the access token expires in the middle of a
// sync (the simulator's clock jumps two hours at the fourth API request).
// Every stream's next request gets a 401; pdx refreshes once, and the new
// refresh token is in the secret store before the new access token is
// first used. The old refresh token is dead at the simulator, so the second
// sync, which must refresh again, proves the stored one is the new one.
func TestOAuthRotationMidSync(t *testing.T) {
	e := newOAuthEnv(t, pipedrivetest.Options{Seed: 31, Scale: 1200})
	lr := e.login(t)
	oldAccess, oldRefresh := e.tokens()
	postsAtLogin := e.tokenPosts()

	var (
		mu        sync.Mutex
		n         int
		checked   bool
		storedNew bool
	)
	e.setBefore(func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n == 4 {
			e.srv.Advance(2 * time.Hour)
		}
		access, refresh := e.tokens()
		if b := bearer(r); b != oldAccess && b == access && !checked {
			checked = true
			rt, _ := e.stored(t, "default")
			storedNew = rt == refresh
		}
	})
	streams := []string{"deals", "persons", "activities"}
	s := oauthCLI(t, "", "sync", "--no-tui", "--streams", strings.Join(streams, ","), "--out", e.out)
	if s.code != exitOK {
		t.Fatalf("sync across an expiry: %d\n%s", s.code, s.stderr)
	}
	mu.Lock()
	if !checked || !storedNew {
		t.Errorf("new access token used: %v; its refresh token saved before that: %v", checked, storedNew)
	}
	mu.Unlock()
	if got := e.tokenPosts() - postsAtLogin; got != 1 {
		t.Errorf("%d token requests for one expiry across %d streams, want 1", got, len(streams))
	}
	checkAllRecords(t, e, streams...)
	if rt, _ := e.stored(t, "default"); rt == oldRefresh {
		t.Fatal("the refresh token in the store did not rotate")
	}
	if e.refreshAccepted(t, oldRefresh) {
		t.Fatal("the simulator still accepts the old refresh token: the second sync would prove nothing")
	}

	e.setBefore(nil)
	e.srv.Advance(2 * time.Hour)
	before := e.tokenPosts()
	s2 := oauthCLI(t, "", "sync", "--no-tui", "--streams", "deals", "--out", e.out)
	if s2.code != exitOK || e.tokenPosts() != before+1 {
		t.Fatalf("second sync (refreshing with the stored token): exit %d, %d token requests\n%s", s2.code, e.tokenPosts()-before, s2.stderr)
	}
	e.assertNoSecrets(t, lr.stdout, lr.stderr, s.stdout, s.stderr, s2.stdout, s2.stderr)
}

// TestOAuthConcurrentRefresh: several streams that find the token expired
// at the same moment cause exactly one POST /oauth/token, whether pdx sees
// the expiry itself (the stored expiry has passed) or the simulator
// answers 401 to requests held until every running stream has sent one.
// A 401 proves the refresh was needed: the expired access token is refused.
func TestOAuthConcurrentRefresh(t *testing.T) {
	streams := []string{"deals", "persons", "organizations", "activities", "notes"}
	const inFlight = 3 // engine.DefaultConcurrency: streams running at once
	tests := []struct {
		name    string
		want401 int // responses refusing the expired token
		expire  func(t *testing.T, e *oauthEnv)
	}{
		{"stored expiry passed", 0, func(t *testing.T, e *oauthEnv) {
			path := e.secretFile("default")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			m["expiry"] = "2000-01-01T00:00:00Z"
			data, _ = json.Marshal(m)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"401 to every running stream", inFlight, func(t *testing.T, e *oauthEnv) {
			// The client's first request goes alone (it learns the rate
			// limit); after it, requests are held until every running
			// stream has one waiting, then the clock jumps past the
			// token's expiry and all of them get their 401 together.
			var mu sync.Mutex
			n, held := 0, 0
			all := make(chan struct{})
			e.setBefore(func(r *http.Request) {
				mu.Lock()
				n++
				if n == 1 {
					mu.Unlock()
					return
				}
				select {
				case <-all:
					mu.Unlock()
					return
				default:
				}
				held++
				if held == inFlight {
					e.srv.Advance(2 * time.Hour)
					close(all)
				}
				mu.Unlock()
				select {
				case <-all:
				case <-time.After(20 * time.Second): // a guard, not a synchronisation
					t.Errorf("only %d streams had a request in flight", held)
				}
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOAuthEnv(t, pipedrivetest.Options{Seed: 32, Scale: 300})
			lr := e.login(t)
			tt.expire(t, e)
			before := e.tokenPosts()
			s := oauthCLI(t, "", "sync", "--no-tui", "--streams", strings.Join(streams, ","), "--out", e.out)
			if s.code != exitOK {
				t.Fatalf("sync: %d\n%s", s.code, s.stderr)
			}
			if got := e.tokenPosts() - before; got != 1 {
				t.Errorf("%d POST /oauth/token, want exactly 1", got)
			}
			n401 := 0
			for _, r := range e.srv.Requests() {
				if r.Status == http.StatusUnauthorized {
					n401++
				}
			}
			if n401 != tt.want401 {
				t.Errorf("%d requests refused with 401, want %d", n401, tt.want401)
			}
			checkAllRecords(t, e, streams...)
			e.assertNoSecrets(t, lr.stdout, lr.stderr, s.stdout, s.stderr)
		})
	}
}

// TestOAuthRefreshRejected: a refresh token Pipedrive no longer takes
// (revoked, or unused for 60 days) makes status and sync fail with exit 1
// and say to log in again, without any secret in what they print.
func TestOAuthRefreshRejected(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(e *oauthEnv)
	}{
		{"revoked", func(e *oauthEnv) { e.srv.RevokeRefreshTokens(); e.srv.Advance(2 * time.Hour) }},
		{"unused for 61 days", func(e *oauthEnv) { e.srv.Advance(61 * 24 * time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOAuthEnv(t, pipedrivetest.Options{Seed: 34, Scale: 20})
			lr := e.login(t)
			tt.breakIt(e)
			st := oauthCLI(t, "", "auth", "status")
			s := oauthCLI(t, "", "sync", "--no-tui", "--streams", "deals", "--out", e.out)
			for _, r := range []cliResult{st, s} {
				if r.code != exitFailure || !strings.Contains(r.stderr, "revoked or unused for 60 days") || !strings.Contains(r.stderr, "pdx auth login --oauth") {
					t.Errorf("exit %d, want 1 and a log-in-again message:\n%s", r.code, r.stderr)
				}
			}
			e.assertNoSecrets(t, lr.stdout, lr.stderr, st.stdout, st.stderr, s.stdout, s.stderr)
		})
	}
}
