package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
)

// scripted is a Prompter with answers per question ("" : the person just
// pressed enter); it records what it was asked and shown.
type scripted struct {
	interactive bool
	answers     map[string]string
	asked       []string
	said        strings.Builder
}

func (s *scripted) Interactive() bool { return s.interactive }
func (s *scripted) Say(text string)   { s.said.WriteString(text) }
func (s *scripted) Line(what, prompt string) (string, error) {
	s.asked = append(s.asked, prompt)
	a, ok := s.answers[what]
	if !ok || a == "" {
		return "", inputErr("no %s entered: %w", what, ErrNothingEntered)
	}
	return a, nil
}
func (s *scripted) Hidden(what, prompt string) (string, error)         { return s.Line(what, prompt) }
func (s *scripted) Paste(string) func(context.Context) (string, error) { return nil }

func newAuth(t *testing.T) (Auth, *pipedrivetest.Server) {
	t.Helper()
	srv := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 41, Scale: 5, Plan: pipedrivetest.PlanUltimate})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	return Auth{Profiles: profile.OpenDir(dir), Secrets: secret.New(secret.Options{Dir: dir, NoKeyring: true, Warn: io.Discard})}, srv
}

// TestTokenLoginStatusLogout: a token is saved only once Pipedrive took it;
// status says who it belongs to and where it is; logout removes it.
func TestTokenLoginStatusLogout(t *testing.T) {
	a, srv := newAuth(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		in      TokenLogin
		wantErr string
		input   bool // an error of the person's input
	}{
		{"rejected token", TokenLogin{Token: "not-the-token", APIBaseURL: srv.URL()}, "the token was not saved", false},
		{"bad profile name", TokenLogin{Profile: "../x", Token: srv.Token(), APIBaseURL: srv.URL()}, "invalid profile name", true},
		{"no token and nobody to ask", TokenLogin{APIBaseURL: srv.URL()}, "no terminal to ask for the token", true},
	}
	for _, tt := range tests {
		_, err := a.LoginToken(ctx, tt.in, noPrompter{out: io.Discard})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || IsInput(err) != tt.input {
			t.Errorf("%s: %v (input %v), want %q (input %v)", tt.name, err, IsInput(err), tt.wantErr, tt.input)
		}
		if _, _, gerr := a.Secrets.Get("default"); !errors.Is(gerr, secret.ErrNotFound) {
			t.Errorf("%s: a secret was saved", tt.name)
		}
	}

	pr := &scripted{answers: map[string]string{"token": srv.Token()}}
	l, err := a.LoginToken(ctx, TokenLogin{Profile: "acme", APIBaseURL: srv.URL()}, pr)
	if err != nil || l.Profile != "acme" || !l.Default || l.Me.CompanyName == "" || l.Where.Kind != secret.KindFile || l.Saved.AuthType != profile.AuthToken {
		t.Fatalf("login: %+v %v", l, err)
	}
	if len(pr.asked) != 1 || !strings.Contains(pr.asked[0], "input hidden") {
		t.Errorf("asked %q", pr.asked)
	}
	st, err := a.Status(ctx, "")
	if err != nil || st.Profile != "acme" || !st.Default || st.OAuth || st.Me.CompanyName != l.Me.CompanyName || !st.Budget.Known || st.APIBaseURL != srv.URL() {
		t.Fatalf("status: %+v %v", st, err)
	}
	lo, err := a.Logout("acme")
	if err != nil || !lo.Had || lo.Where.Kind != secret.KindFile {
		t.Fatalf("logout: %+v %v", lo, err)
	}
	if st, err := a.Status(ctx, "acme"); err == nil || st.Found || !strings.Contains(err.Error(), `profile "acme" is not logged in`) {
		t.Errorf("status after logout: %+v %v", st, err)
	}
	if st, err := a.Status(ctx, "nobody"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("status of a missing profile: %+v %v", st, err)
	}
	if lo, err := a.Logout("acme"); err != nil || lo.Had {
		t.Errorf("second logout: %+v %v", lo, err)
	}
}

// approve stands in for the browser: the simulator consents at once, and
// its redirect goes to the login's loopback callback.
func approve(authURL string) error {
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp, err = http.Get(resp.Header.Get("Location")); err != nil {
		return err
	}
	return resp.Body.Close()
}

// TestOAuthLoginAsks: on a terminal the client id and secret are asked
// (with the one-screen intro the first time); signing in again, enter
// keeps the saved app's. Without a terminal nothing is guessed.
func TestOAuthLoginAsks(t *testing.T) {
	a, srv := newAuth(t)
	ctx := context.Background()
	id, sec := srv.OAuthClient()
	in := OAuthLogin{RedirectURI: "http://127.0.0.1:0/callback", OAuthBaseURL: srv.URL(), OpenBrowser: approve}

	first := &scripted{interactive: true, answers: map[string]string{"client id": id, "client secret": sec}}
	l, err := a.LoginOAuth(ctx, in, first)
	if err != nil || l.Saved.AuthType != profile.AuthOAuth || l.Me.Name == "" {
		t.Fatalf("first sign-in: %+v %v", l, err)
	}
	if !strings.Contains(first.said.String(), fmt.Sprintf("Callback URL: exactly %s", in.RedirectURI)) || !strings.Contains(first.said.String(), "Open this address") {
		t.Errorf("first sign-in showed:\n%s", first.said.String())
	}

	again := &scripted{interactive: true, answers: map[string]string{}}
	if _, err := a.LoginOAuth(ctx, in, again); err != nil {
		t.Fatalf("signing in again with the saved app: %v", err)
	}
	if len(again.asked) != 2 || !strings.Contains(again.asked[0], "enter keeps "+id) || !strings.Contains(again.asked[1], "enter keeps the saved one") ||
		strings.Contains(again.said.String(), "To register one") {
		t.Errorf("asked %q, showed:\n%s", again.asked, again.said.String())
	}
	saved, _, err := a.Secrets.Get("default")
	if err != nil || saved.ClientID != id || saved.ClientSecret != sec || saved.RefreshToken == "" {
		t.Errorf("saved secret: %v (client id %q)", err, saved.ClientID)
	}

	tests := []struct {
		name string
		in   OAuthLogin
		pr   Prompter
		want string
	}{
		{"no client id, no terminal", in, &scripted{answers: map[string]string{"client secret": sec}}, "--oauth needs --client-id"},
		{"refresh token, nobody to ask", OAuthLogin{ClientID: id, UseRefreshToken: true, OAuthBaseURL: srv.URL()}, noPrompter{out: io.Discard}, "--refresh-token-stdin without a terminal"},
		{"insecure OAuth server", OAuthLogin{ClientID: id, ClientSecret: sec, OAuthBaseURL: "http://oauth.example.com"}, noPrompter{out: io.Discard}, "must use https"},
	}
	for _, tt := range tests {
		_, err := a.LoginOAuth(ctx, tt.in, tt.pr)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !IsInput(err) {
			t.Errorf("%s: %v (input %v), want an input error with %q", tt.name, err, IsInput(err), tt.want)
		}
	}
	if _, err := a.LoginOAuth(ctx, OAuthLogin{ClientID: id, ClientSecret: "wrong", UseRefreshToken: true, RefreshToken: "rt-nope", OAuthBaseURL: srv.URL()}, noPrompter{out: io.Discard}); !errors.Is(err, oauth.ErrClientRejected) || IsInput(err) {
		t.Errorf("a wrong client secret: %v (input %v), want the client rejected", err, IsInput(err))
	}
}

// NewPrompter picks by what it is given: lines of a pipe, or nobody to ask
// (a buffer is no terminal).
func TestNewPrompter(t *testing.T) {
	p := NewPrompter(strings.NewReader("secret-1\nrt-2\n\n"), io.Discard, true)
	a, err1 := p.Hidden("client secret", "")
	b, err2 := p.Line("refresh token", "")
	_, err3 := p.Line("client id", "")
	if p.Interactive() || a != "secret-1" || b != "rt-2" || err1 != nil || err2 != nil || !errors.Is(err3, ErrNothingEntered) || !IsInput(err3) ||
		!strings.Contains(err3.Error(), "no client id on stdin") || p.Paste("x") != nil {
		t.Errorf("pipe: %q %q %v %v %v", a, b, err1, err2, err3)
	}
	n := NewPrompter(strings.NewReader("x\n"), io.Discard, false)
	if _, err := n.Hidden("token", ""); n.Interactive() || !IsInput(err) || !strings.Contains(err.Error(), "pipe it in with --with-token") {
		t.Errorf("no terminal: %v", err)
	}
}

// onlyAt is a browser that approves only a sign-in at the OAuth server
// base; any other (Pipedrive's, with no app behind it in a test) is denied
// through the login's own callback, so the login fails at once.
func onlyAt(t *testing.T, base string) func(string) error {
	return func(authURL string) error {
		if strings.HasPrefix(authURL, base+"/oauth/authorize?") {
			return approve(authURL)
		}
		t.Errorf("the sign-in went to %s, not to the sandbox %s", authURL, base)
		u, err := url.Parse(authURL)
		if err != nil {
			return err
		}
		cb := u.Query().Get("redirect_uri") + "?error=access_denied&state=" + url.QueryEscape(u.Query().Get("state"))
		resp, err := http.Get(cb)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

func TestOAuthServerFor(t *testing.T) {
	tests := []struct{ api, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"http://localhost:9/api", "http://localhost:9"},
		{"http://[::1]:7", "http://[::1]:7"},
		{"https://api.pipedrive.com", ""},
		{"https://acme.pipedrive.com", ""},
		{"http://10.0.0.1:80", ""},
		{"", ""},
		{"127.0.0.1:8080", ""},
	}
	for _, tt := range tests {
		if got := OAuthServerFor(tt.api); got != tt.want {
			t.Errorf("OAuthServerFor(%q) = %q, want %q", tt.api, got, tt.want)
		}
	}
	p := profile.Profile{APIBaseURL: "http://127.0.0.1:1", OAuthBaseURL: "http://127.0.0.1:2"}
	if got := OAuthServer(p); got != "http://127.0.0.1:2" {
		t.Errorf("a profile's own oauth_base_url lost to its API root: %q", got)
	}
}

// TestOAuthLoginAgainstSandbox (issue 14): the sandbox is its own OAuth
// server, whether its address comes with the login (the CLI's
// --api-base-url) or from the saved profile (the UI's sign-in), and the
// profile keeps it so that refreshes go there too.
func TestOAuthLoginAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		saved bool // the profile already points at the sandbox
	}{
		{"--api-base-url", false},
		{"saved api_base_url", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, srv := newAuth(t)
			id, sec := srv.OAuthClient()
			in := OAuthLogin{Profile: "sb", ClientID: id, ClientSecret: sec, RedirectURI: "http://127.0.0.1:0/callback", OpenBrowser: onlyAt(t, srv.URL())}
			if tt.saved {
				cfg, err := a.Profiles.Load()
				if err != nil {
					t.Fatal(err)
				}
				cfg.Put("sb", profile.Profile{APIBaseURL: srv.URL()})
				if err := a.Profiles.Save(cfg); err != nil {
					t.Fatal(err)
				}
			} else {
				in.APIBaseURL = srv.URL()
			}
			l, err := a.LoginOAuth(ctx, in, noPrompter{out: io.Discard})
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if l.Saved.OAuthBaseURL != srv.URL() || l.Saved.APIBaseURL != srv.URL() || l.Me.Name == "" {
				t.Errorf("saved %+v, me %+v", l.Saved, l.Me)
			}
			// The access token expires: the refresh goes to the sandbox,
			// even from a config that names only its API root.
			cfg, err := a.Profiles.Load()
			if err != nil {
				t.Fatal(err)
			}
			_, p, _ := cfg.Resolve("sb")
			p.OAuthBaseURL = ""
			cfg.Put("sb", p)
			if err := a.Profiles.Save(cfg); err != nil {
				t.Fatal(err)
			}
			srv.Advance(2 * time.Hour)
			if st, err := a.Status(ctx, "sb"); err != nil || !st.OAuth {
				t.Errorf("status after expiry: %+v %v", st, err)
			}
		})
	}
}
