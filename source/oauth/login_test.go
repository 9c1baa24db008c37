package oauth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func TestLoginSucceeds(t *testing.T) {
	type how struct {
		browser bool
		// paste turns the callback URL Pipedrive redirects to into what the
		// user pastes (nil: no prompt).
		paste func(u *url.URL) string
	}
	tests := []struct {
		name string
		how  how
	}{
		{"browser follows redirect to loopback", how{browser: true}},
		{"pasted full redirect URL", how{paste: func(u *url.URL) string { return " " + u.String() + "\n" }}},
		{"pasted query string", how{paste: func(u *url.URL) string { return u.RawQuery }}},
		{"pasted bare code", how{paste: func(u *url.URL) string { return u.Query().Get("code") }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, pipedrivetest.Options{AccessTokenTTL: time.Hour})
			var shown string
			opts := oauth.LoginOptions{
				Config:      h.cfg,
				RedirectURI: "http://127.0.0.1:0/callback",
				ShowURL:     func(u string) { shown = u },
			}
			if tt.how.browser {
				opts.OpenBrowser = browser(t)
			}
			if tt.how.paste != nil {
				// The user copies the authorize URL into a browser on another
				// machine, which cannot reach our loopback, and pastes back
				// the address it ended on.
				opts.Prompt = func(ctx context.Context) (string, error) {
					u, err := redirectFor(shown)
					if err != nil {
						return "", err
					}
					return tt.how.paste(u), nil
				}
			}
			tok, err := oauth.Login(context.Background(), opts)
			if noteErr(err) != nil {
				t.Fatalf("Login: %v", err)
			}
			au, err := url.Parse(shown)
			if err != nil {
				t.Fatal(err)
			}
			q := au.Query()
			if au.Path != oauth.AuthorizePath || q.Get("client_id") != h.cfg.ClientID || len(q.Get("state")) < 20 ||
				!strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || strings.Contains(shown, h.cfg.ClientSecret) {
				t.Errorf("authorize URL has the wrong shape: path %q, params %v", au.Path, keys(q))
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Fatalf("tokens incomplete: %v", tok)
			}
			if tok.APIDomain != h.sim.URL() {
				t.Errorf("api_domain = %q, want %q", tok.APIDomain, h.sim.URL())
			}
			if want := h.sim.Now().Add(time.Hour); !tok.Expiry.Equal(want) {
				t.Errorf("expiry = %v, want %v (simulator clock + expires_in)", tok.Expiry, want)
			}
			if !strings.Contains(tok.Scope, "deals:read") {
				t.Errorf("scope = %q", tok.Scope)
			}
			if n := h.calls(); n != 1 {
				t.Errorf("token endpoint calls = %d, want 1", n)
			}
			var saved oauth.Tokens
			src, err := oauth.NewSource(h.cfg, tok, h.persister(&saved, nil))
			if err != nil {
				t.Fatal(err)
			}
			if st, err := apiGet(t, src, "/api/v1/users/me"); err != nil || st != http.StatusOK {
				t.Errorf("API call with the new tokens: %d %v", st, err)
			}
		})
	}
}

func keys(q url.Values) []string {
	var k []string
	for n := range q {
		k = append(k, n)
	}
	return k
}

func TestLoginFailures(t *testing.T) {
	// Each case gets a harness and returns options; want is the error kind,
	// contains a phrase the user must see.
	type setup func(t *testing.T, h *harness, o *oauth.LoginOptions)
	var shown string
	show := func(u string) { shown = u }
	tests := []struct {
		name     string
		setup    setup
		want     error
		contains []string
		noToken  bool // the token endpoint must not have been called
	}{
		{
			name: "state mismatch at the loopback callback",
			setup: func(t *testing.T, h *harness, o *oauth.LoginOptions) {
				o.ShowURL = show
				o.OpenBrowser = func(string) error {
					u, err := redirectFor(shown)
					if err != nil {
						return err
					}
					q := u.Query()
					q.Set("state", "forged")
					u.RawQuery = q.Encode()
					return browser(t)(u.String())
				}
			},
			want: oauth.ErrStateMismatch, contains: []string{"state does not match", "run the login again"}, noToken: true,
		},
		{
			name: "state mismatch in a pasted URL",
			setup: func(t *testing.T, h *harness, o *oauth.LoginOptions) {
				o.ShowURL = show
				o.Prompt = func(context.Context) (string, error) {
					u, err := redirectFor(shown)
					if err != nil {
						return "", err
					}
					return strings.Replace(u.String(), "state=", "state=x", 1), nil
				}
			},
			want: oauth.ErrStateMismatch, contains: []string{"state does not match"}, noToken: true,
		},
		{
			name: "user denied consent",
			setup: func(t *testing.T, h *harness, o *oauth.LoginOptions) {
				o.OpenBrowser = func(authURL string) error {
					au, _ := url.Parse(authURL)
					cb, _ := url.Parse(au.Query().Get("redirect_uri"))
					cb.RawQuery = url.Values{"error": {"access_denied"}, "state": {au.Query().Get("state")}}.Encode()
					return browser(t)(cb.String())
				}
			},
			want: oauth.ErrAccessDenied, contains: []string{"access_denied", "choose Allow"}, noToken: true,
		},
		{
			name: "wrong client secret",
			setup: func(t *testing.T, h *harness, o *oauth.LoginOptions) {
				o.ClientSecret = "CANARY-wrong-client-secret"
				addSecret(o.ClientSecret)
				o.OpenBrowser = browser(t)
			},
			want: oauth.ErrClientRejected, contains: []string{"client secret", "HTTP 401"},
		},
		{
			name: "revoked refresh token pasted in",
			setup: func(t *testing.T, h *harness, o *oauth.LoginOptions) {
				tok := h.login(t)
				h.sim.RevokeRefreshTokens()
				o.RefreshToken = tok.RefreshToken
			},
			want: oauth.ErrRefreshRejected, contains: []string{"refresh token rejected by Pipedrive", "revoked or unused for 60 days", "pdx auth login --oauth"},
		},
		{
			name: "callback port busy",
			setup: func(t *testing.T, h *harness, o *oauth.LoginOptions) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ln.Close() })
				o.RedirectURI = "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/callback"
				o.OpenBrowser = browser(t)
			},
			want: oauth.ErrPortBusy, contains: []string{"is busy", "--redirect-uri"}, noToken: true,
		},
		{
			name: "remote redirect URI without a prompt",
			setup: func(t *testing.T, h *harness, o *oauth.LoginOptions) {
				o.RedirectURI = "https://example.com/pdx/callback"
				o.OpenBrowser = browser(t)
			},
			want: oauth.ErrBadInput, contains: []string{"paste the redirect URL"}, noToken: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, pipedrivetest.Options{})
			o := oauth.LoginOptions{Config: h.cfg, RedirectURI: "http://127.0.0.1:0/callback"}
			tt.setup(t, h, &o)
			before := h.calls()
			tok, err := oauth.Login(context.Background(), o)
			noteErr(err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tok != (oauth.Tokens{}) {
				t.Errorf("tokens returned alongside an error")
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q lacks %q", err, c)
				}
			}
			if tt.noToken && h.calls() != before {
				t.Errorf("token endpoint called %d times; want none", h.calls()-before)
			}
		})
	}
}

func TestLoginPortBusyNamesDefaultPort(t *testing.T) {
	// The default port is fixed; occupy it to check the message names it
	// (skip if something else on this machine already holds it).
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(oauth.DefaultCallbackPort))
	if err != nil {
		t.Skipf("default callback port unavailable here: %v", err)
	}
	defer ln.Close()
	_, err = oauth.Login(context.Background(), oauth.LoginOptions{
		Config:      oauth.Config{ClientID: "id", ClientSecret: "CANARY-unused-secret", BaseURL: "http://127.0.0.1:1"},
		OpenBrowser: func(string) error { return errors.New("not reached") },
	})
	noteErr(err)
	if !errors.Is(err, oauth.ErrPortBusy) || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(oauth.DefaultCallbackPort)) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoginCancelled(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := oauth.Login(ctx, oauth.LoginOptions{
		Config:      h.cfg,
		RedirectURI: "http://127.0.0.1:0/callback",
		// The user never comes back: the caller gives up.
		OpenBrowser: func(string) error { cancel(); return nil },
		Prompt: func(ctx context.Context) (string, error) {
			<-ctx.Done() // a prompt that honours cancellation
			return "", ctx.Err()
		},
	})
	noteErr(err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestLoginWithRefreshTokenRotates(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{})
	first := h.login(t)
	second, err := oauth.Login(context.Background(), oauth.LoginOptions{Config: h.cfg, RefreshToken: first.RefreshToken})
	if noteErr(err) != nil {
		t.Fatalf("login with refresh token: %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("expected a rotated token set")
	}
	if second.APIDomain != h.sim.URL() {
		t.Errorf("api_domain = %q", second.APIDomain)
	}
	// The simulator spends a refresh token on use, like Pipedrive may: the
	// old one is dead, which is why the returned set must be stored.
	_, err = oauth.Login(context.Background(), oauth.LoginOptions{Config: h.cfg, RefreshToken: first.RefreshToken})
	noteErr(err)
	if !errors.Is(err, oauth.ErrRefreshRejected) {
		t.Fatalf("reusing the spent refresh token: err = %v", err)
	}
}

// TestCallbackServerOneShot: the loopback server takes one answer; a second
// hit gets "already handled", other paths 404, and none of it disturbs the
// login.
func TestCallbackServerOneShot(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{})
	var statuses []int
	get := func(u string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Errorf("GET: %v", err)
			return
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	tok, err := oauth.Login(context.Background(), oauth.LoginOptions{
		Config:      h.cfg,
		RedirectURI: "http://127.0.0.1:0/callback",
		OpenBrowser: func(authURL string) error {
			cb, err := redirectFor(authURL)
			if err != nil {
				return err
			}
			get(cb.String()) // the real answer
			get(cb.String()) // a reload
			cb.Path = "/favicon.ico"
			get(cb.String())
			return nil
		},
	})
	if noteErr(err) != nil || tok.AccessToken == "" {
		t.Fatalf("Login: %v", err)
	}
	want := []int{http.StatusOK, http.StatusConflict, http.StatusNotFound}
	if len(statuses) != len(want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", statuses, want)
		}
	}
}

// TestLoginPromptFailureIsNotFatal: with no terminal to paste into (stdin
// closed) the browser still finishes the login through the loopback; with
// no loopback the prompt's failure ends it.
func TestLoginPromptFailureIsNotFatal(t *testing.T) {
	h := newHarness(t, pipedrivetest.Options{})
	promptDone := make(chan struct{})
	eof := func(context.Context) (string, error) { defer close(promptDone); return "", io.EOF }
	tok, err := oauth.Login(context.Background(), oauth.LoginOptions{
		Config:      h.cfg,
		RedirectURI: "http://127.0.0.1:0/callback",
		Prompt:      eof,
		OpenBrowser: func(authURL string) error {
			// A real browser answers later, here after the prompt failed.
			go func() {
				<-promptDone
				if err := browser(t)(authURL); err != nil {
					t.Errorf("browser: %v", err)
				}
			}()
			return nil
		},
	})
	if noteErr(err) != nil || tok.RefreshToken == "" {
		t.Fatalf("Login: %v", err)
	}
	_, err = oauth.Login(context.Background(), oauth.LoginOptions{
		Config:      h.cfg,
		RedirectURI: "https://pdx.example.com/callback",
		Prompt:      func(context.Context) (string, error) { return "", io.EOF },
	})
	if !errors.Is(noteErr(err), io.EOF) {
		t.Fatalf("remote redirect, prompt EOF: err = %v", err)
	}
}
