package oauth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// Canary bookkeeping: every secret the simulator hands out (client secret,
// codes, access and refresh tokens) is recorded, and so is everything the
// tests see come out of the package (error strings, callback pages,
// formatted values). TestMain fails the run if any output holds a secret.
var canary struct {
	mu       sync.Mutex
	secrets  map[string]bool
	produced []string
}

func addSecret(s string) {
	if len(s) < 6 {
		return
	}
	canary.mu.Lock()
	defer canary.mu.Unlock()
	if canary.secrets == nil {
		canary.secrets = map[string]bool{}
	}
	canary.secrets[s] = true
}

func produced(s string) {
	canary.mu.Lock()
	defer canary.mu.Unlock()
	canary.produced = append(canary.produced, s)
}

// noteErr records err's text (and its %+v form) for the canary check.
func noteErr(err error) error {
	if err != nil {
		produced(err.Error())
		produced(fmt.Sprintf("%+v", err))
	}
	return err
}

func TestMain(m *testing.M) {
	code := m.Run()
	canary.mu.Lock()
	leaks, checked := 0, len(canary.produced)
	for _, out := range canary.produced {
		for sec := range canary.secrets {
			if strings.Contains(out, sec) {
				leaks++
				// Do not print the secret itself; say where it leaked.
				fmt.Fprintf(os.Stderr, "canary: a secret leaked into output %q...\n", strings.ReplaceAll(out, sec, "<SECRET>"))
			}
		}
	}
	if len(canary.secrets) == 0 || checked == 0 {
		fmt.Fprintf(os.Stderr, "canary: nothing recorded (secrets=%d outputs=%d): the check did not run\n", len(canary.secrets), checked)
		leaks++
	}
	canary.mu.Unlock()
	if code == 0 && leaks > 0 {
		code = 1
	}
	os.Exit(code)
}

// harness is a simulator plus a wire log of what reached it.
type harness struct {
	sim *pipedrivetest.Server
	cfg oauth.Config

	mu         sync.Mutex
	tokenCalls int
	events     []string // "api <status> <bearer>" and "persist <access token>", in order
}

func newHarness(t *testing.T, opts pipedrivetest.Options) *harness {
	t.Helper()
	h := &harness{}
	opts.Wrap = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &teeWriter{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			switch r.URL.Path {
			case "/oauth/token":
				var body struct{ AccessToken, RefreshToken string }
				var raw map[string]any
				if json.Unmarshal(rec.buf.Bytes(), &raw) == nil {
					body.AccessToken, _ = raw["access_token"].(string)
					body.RefreshToken, _ = raw["refresh_token"].(string)
				}
				addSecret(body.AccessToken)
				addSecret(body.RefreshToken)
				h.mu.Lock()
				h.tokenCalls++
				h.mu.Unlock()
			case "/oauth/authorize":
				if loc, err := url.Parse(rec.Header().Get("Location")); err == nil {
					addSecret(loc.Query().Get("code"))
				}
			default:
				bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				h.mu.Lock()
				h.events = append(h.events, fmt.Sprintf("api %d %s", rec.status(), bearer))
				h.mu.Unlock()
			}
		})
	}
	h.sim = pipedrivetest.NewServer(opts)
	t.Cleanup(h.sim.Close)
	id, secret := h.sim.OAuthClient()
	addSecret(secret)
	h.cfg = oauth.Config{ClientID: id, ClientSecret: secret, BaseURL: h.sim.URL(), Now: h.sim.Now}
	return h
}

func (h *harness) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tokenCalls
}

func (h *harness) event(e string) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
}

func (h *harness) log() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

// persister returns a persist callback that records the order of saves in
// the event log and keeps the last saved set (a stand-in for the keyring).
func (h *harness) persister(saved *oauth.Tokens, fail *error) func(oauth.Tokens) error {
	var mu sync.Mutex
	return func(t oauth.Tokens) error {
		mu.Lock()
		defer mu.Unlock()
		if fail != nil && *fail != nil {
			return *fail
		}
		*saved = t
		h.event("persist " + t.AccessToken)
		return nil
	}
}

// login runs the full browser flow and returns fresh tokens.
func (h *harness) login(t *testing.T) oauth.Tokens {
	t.Helper()
	tok, err := oauth.Login(context.Background(), oauth.LoginOptions{
		Config:      h.cfg,
		RedirectURI: "http://127.0.0.1:0/callback",
		OpenBrowser: browser(t),
	})
	if noteErr(err) != nil {
		t.Fatalf("login: %v", err)
	}
	return tok
}

// apiGet calls the simulator's API the way the client does: Authorize, then
// on a 401 Unauthorized once and retry.
func apiGet(t *testing.T, src *oauth.Source, path string) (int, error) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequest(http.MethodGet, src.BaseURL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Authorize(req); err != nil {
			return 0, noteErr(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, noteErr(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 && src.Unauthorized(context.Background()) {
			continue
		}
		return resp.StatusCode, nil
	}
}

// browser stands in for the user's browser: it opens the authorize URL and
// follows the redirect to the loopback callback, like a consenting user.
// Like a real browser it does not fail on an error page.
func browser(t *testing.T) func(string) error {
	return func(authURL string) error {
		if strings.Contains(authURL, oauth.AuthorizePath) {
			produced(authURL) // what Login hands out; test-built callback URLs are not
		}
		resp, err := http.Get(authURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		produced(string(b))
		return nil
	}
}

// redirectFor performs the authorize step without following the redirect
// and returns the callback URL Pipedrive would send the browser to.
func redirectFor(authURL string) (*url.URL, error) {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("authorize: HTTP %d", resp.StatusCode)
	}
	return url.Parse(resp.Header.Get("Location"))
}

type teeWriter struct {
	http.ResponseWriter
	code int
	buf  bytes.Buffer
}

func (w *teeWriter) WriteHeader(c int) { w.code = c; w.ResponseWriter.WriteHeader(c) }
func (w *teeWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}
func (w *teeWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
func (w *teeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// frozen is a clock that never moves: a Source using it never refreshes
// proactively, so expiry is only discovered through a 401.
func frozen(t time.Time) func() time.Time { return func() time.Time { return t } }

func (w *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
		return hj.Hijack()
	}
	return nil, nil, fmt.Errorf("hijack not supported")
}
