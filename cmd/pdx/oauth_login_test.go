package main

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/tui/wire"
)

// TestOAuthLoginStatusSync: the browser-less flow end to end: login with
// the client secret on stdin and a "browser" that follows the simulator's
// consent redirect, then status names the user, the company and OAuth, and
// a sync reads every record.
func TestOAuthLoginStatusSync(t *testing.T) {
	e := newOAuthEnv(t, pipedrivetest.Options{Seed: 21, Scale: 120})
	lr := e.login(t)
	if !strings.Contains(lr.stdout, `profile "default"`) || !strings.Contains(lr.stdout, e.secretFile("default")) {
		t.Errorf("login output:\n%s", lr.stdout)
	}
	cfg, err := os.ReadFile(filepath.Join(e.cfg, "config.toml"))
	if err != nil || !strings.Contains(string(cfg), `auth_type = "oauth"`) || !strings.Contains(string(cfg), "oauth_base_url") {
		t.Errorf("config after an OAuth login (%v):\n%s", err, cfg)
	}

	st := oauthCLI(t, "", "auth", "status")
	if st.code != exitOK {
		t.Fatalf("status: %d\n%s", st.code, st.stderr)
	}
	for _, want := range []string{"Sign-in:     OAuth", "client id " + e.clientID, "User:        ", "Company:     ", "Credentials: the file "} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, st.stdout)
		}
	}
	// The user and company shown are the simulator's, not empty labels.
	for _, line := range strings.Split(st.stdout, "\n") {
		if (strings.HasPrefix(line, "User:") || strings.HasPrefix(line, "Company:")) && len(strings.TrimSpace(line[strings.Index(line, ":")+1:])) < 3 {
			t.Errorf("empty identity line %q", line)
		}
	}

	s := oauthCLI(t, "", "sync", "--no-tui", "--streams", "deals,pipelines", "--out", e.out)
	if s.code != exitOK {
		t.Fatalf("sync: %d\n%s", s.code, s.stderr)
	}
	for _, stream := range []string{"deals", "pipelines"} {
		if got, want := len(fileLines(t, filepath.Join(e.out, stream+".jsonl"))), len(apiRecordsFor(t, e.srv, stream)); got != want || want == 0 {
			t.Errorf("%s: %d lines, the simulator has %d", stream, got, want)
		}
	}
	e.assertNoSecrets(t, lr.stdout, lr.stderr, st.stdout, st.stderr, s.stdout, s.stderr)
}

// TestOAuthLoginRefreshTokenStdin: an existing refresh token (the old
// Airbyte connector's) is exchanged once and the rotated result is stored;
// the pasted one is spent, so pasting it again says to log in again.
func TestOAuthLoginRefreshTokenStdin(t *testing.T) {
	e := newOAuthEnv(t, pipedrivetest.Options{Seed: 22, Scale: 20})
	_, _, tok := oauthTokens(t, e.srv)
	useBrowser(t, func(string) error { t.Error("--refresh-token-stdin opened a browser"); return nil })
	args := []string{"auth", "login", "--oauth", "--with-token", "--refresh-token-stdin", "--client-id", e.clientID, "--oauth-base-url", e.srv.URL()}

	r := oauthCLI(t, e.clientSecret+"\n"+tok.RefreshToken+"\n", args...)
	if r.code != exitOK || !strings.Contains(r.stdout, "Logged in with OAuth") {
		t.Fatalf("login: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rt, _ := e.stored(t, "default")
	if _, latest := e.tokens(); rt != latest || rt == tok.RefreshToken {
		t.Errorf("stored refresh token is not the rotated one")
	}
	if st := oauthCLI(t, "", "auth", "status"); st.code != exitOK || !strings.Contains(st.stdout, "Sign-in:     OAuth") {
		t.Errorf("status: %d\n%s\n%s", st.code, st.stdout, st.stderr)
	}

	again := oauthCLI(t, e.clientSecret+"\n"+tok.RefreshToken+"\n", append(args, "--profile", "other")...)
	if again.code != exitFailure || !strings.Contains(again.stderr, "revoked or unused for 60 days") || !strings.Contains(again.stderr, "pdx auth login --oauth") {
		t.Errorf("a spent refresh token: %d %q", again.code, again.stderr)
	}
	if _, err := os.Stat(e.secretFile("other")); err == nil {
		t.Error("a rejected refresh token was saved")
	}
	e.assertNoSecrets(t, r.stdout, r.stderr, again.stdout, again.stderr)
}

// TestOAuthLoginErrors: each failure has its exit code (2 for what the user
// chose: a busy port, an unusable option; 1 for the rest), a plain message
// saying what to do, no secret in it, and nothing saved.
func TestOAuthLoginErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyURI := "http://" + busy.Addr().String() + "/callback"

	tests := []struct {
		name    string
		browser func(q url.Values) // nil: the approving browser
		secret  string             // "" : the right client secret
		args    []string
		stdin   string // overrides the secret line(s)
		code    int
		want    string
	}{
		{name: "callback port busy", args: []string{"--redirect-uri", busyURI}, code: exitUsage, want: "is busy"},
		{name: "insecure oauth server", args: []string{"--oauth-base-url", "http://oauth.example.com"}, code: exitUsage, want: "must use https"},
		{name: "redirect URI not a URL", args: []string{"--redirect-uri", "ftp:/nowhere"}, code: exitUsage, want: "not an absolute http(s) URL"},
		{name: "no client id", args: []string{"--client-id", " "}, code: exitUsage, want: "--oauth needs --client-id"},
		{name: "empty secret on stdin", stdin: "\n", code: exitUsage, want: "no client secret on stdin"},
		{name: "refresh token missing", args: []string{"--refresh-token-stdin"}, code: exitUsage, want: "no refresh token on stdin"},
		{name: "wrong client secret", secret: "not-the-client-secret", code: exitFailure, want: "rejected the app's client credentials"},
		{name: "state mismatch", browser: func(q url.Values) { q.Set("state", "forged") }, code: exitFailure, want: "state does not match this login"},
		{name: "access denied", browser: func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, code: exitFailure, want: "access was denied"},
		{name: "code rejected", browser: func(q url.Values) { q.Set("code", "code-spent") }, code: exitFailure, want: "authorization code rejected"},
		{name: "revoked refresh token", args: []string{"--refresh-token-stdin"}, stdin: "SECRET\nrt-revoked-long-ago\n", code: exitFailure, want: "pdx auth login --oauth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOAuthEnv(t, pipedrivetest.Options{Seed: 23, Scale: 5})
			useBrowser(t, approvingBrowser(tt.browser))
			stdin := e.clientSecret + "\n"
			if tt.secret != "" {
				stdin = tt.secret + "\n"
			}
			if tt.stdin != "" {
				stdin = strings.ReplaceAll(tt.stdin, "SECRET", e.clientSecret)
			}
			r := oauthCLI(t, stdin, append(e.loginArgs(), tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") > 2 {
				t.Errorf("more than a short message:\n%s", r.stderr)
			}
			for _, p := range []string{e.secretFile("default"), filepath.Join(e.cfg, "config.toml")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s written by a failed login", p)
				}
			}
			e.assertNoSecrets(t, r.stdout, r.stderr)
		})
	}
}

// TestOAuthFlagsNeedOAuth: the OAuth flags alone are a usage error, not a
// silent API-token login.
func TestOAuthFlagsNeedOAuth(t *testing.T) {
	newSyncEnv(t, pipedrivetest.Options{Seed: 24, Scale: 5})
	for _, args := range [][]string{{"--refresh-token-stdin"}, {"--client-id", "x"}, {"--no-browser"}} {
		r := oauthCLI(t, "tok\n", append([]string{"auth", "login", "--with-token"}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "go with --oauth") {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
}

// TestOAuthSignInFromUI: the UI's OAuth sign-in is `pdx auth login
// --oauth`'s use case run in this process (no second process, no result
// file): a failure comes back as a value with its message and saves
// nothing; a success leaves the Backend on the profile it saved, without
// reading it back, and the credentials work.
func TestOAuthSignInFromUI(t *testing.T) {
	e := newOAuthEnv(t, pipedrivetest.Options{Seed: 25, Scale: 5})
	backend := func(browser func(string) error) *wire.Backend {
		t.Helper()
		b, err := wire.New(wire.Options{ConfigDir: e.cfg, StateDir: e.stateDir,
			Secrets: secret.New(secret.Options{Dir: e.cfg, NoKeyring: true, Warn: io.Discard}),
			OAuth: &app.OAuthLogin{ClientID: e.clientID, ClientSecret: e.clientSecret, RedirectURI: "http://127.0.0.1:0/callback",
				OAuthBaseURL: e.srv.URL(), OpenBrowser: browser}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b
	}
	ctx := context.Background()

	var shown strings.Builder
	_, _, _, err := backend(approvingBrowser(func(q url.Values) { q.Set("state", "forged") })).OAuthSignIn(ctx, strings.NewReader(""), &shown)
	if err == nil || !strings.Contains(err.Error(), "state does not match this login") {
		t.Fatalf("a forged state: %v", err)
	}
	for _, p := range []string{e.secretFile("default"), filepath.Join(e.cfg, "config.toml")} {
		if _, serr := os.Stat(p); serr == nil {
			t.Errorf("%s written by a failed sign-in", p)
		}
	}
	e.assertNoSecrets(t, err.Error(), shown.String())

	shown.Reset()
	b := backend(approvingBrowser(nil))
	id, _, where, err := b.OAuthSignIn(ctx, strings.NewReader(""), &shown)
	if err != nil || id.User == "" || id.Company == "" || !strings.Contains(where, e.secretFile("default")) {
		t.Fatalf("sign-in: %+v %q %v", id, where, err)
	}
	if got, _, err := b.Whoami(ctx); err != nil || got != id {
		t.Errorf("whoami after the sign-in: %+v %v, want %+v", got, err, id)
	}
	cfg, err := os.ReadFile(filepath.Join(e.cfg, "config.toml"))
	if err != nil || !strings.Contains(string(cfg), `auth_type = "oauth"`) {
		t.Errorf("config after the UI's sign-in (%v):\n%s", err, cfg)
	}
	e.assertNoSecrets(t, shown.String())
}
