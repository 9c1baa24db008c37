package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// oauthEnv is a syncEnv whose simulator is watched through its Wrap hook:
// every secret it issues (client secret, authorization codes, access and
// refresh tokens) is recorded for the canary check, token requests are
// counted, and a test may look at (or hold) each request before it is served.
type oauthEnv struct {
	*syncEnv
	clientID, clientSecret string

	mu      sync.Mutex
	issued  []string // every secret the simulator handed out
	posts   int      // POST /oauth/token requests
	access  string   // the latest access token issued
	refresh string   // the latest refresh token issued
	before  func(r *http.Request)
}

func newOAuthEnv(t *testing.T, o pipedrivetest.Options) *oauthEnv {
	t.Helper()
	e := &oauthEnv{}
	o.Wrap = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serve(next, w, r) })
	}
	e.syncEnv = newSyncEnv(t, o)
	e.clientID, e.clientSecret = e.srv.OAuthClient()
	e.issued = append(e.issued, e.clientSecret)
	return e
}

// capture tees a response so the watcher can read what the simulator issued.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(s int) { c.status = s; c.ResponseWriter.WriteHeader(s) }
func (c *capture) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

func (e *oauthEnv) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth/token", "/oauth/authorize":
		c := &capture{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(c, r)
		e.mu.Lock()
		defer e.mu.Unlock()
		if r.URL.Path == "/oauth/authorize" {
			if u, err := url.Parse(c.Header().Get("Location")); err == nil && u.Query().Get("code") != "" {
				e.issued = append(e.issued, u.Query().Get("code"))
			}
			return
		}
		e.posts++
		var tok struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		if c.status == http.StatusOK && json.Unmarshal(c.body.Bytes(), &tok) == nil && tok.Access != "" {
			e.access, e.refresh = tok.Access, tok.Refresh
			e.issued = append(e.issued, tok.Access, tok.Refresh)
		}
		return
	}
	e.mu.Lock()
	before := e.before
	e.mu.Unlock()
	if before != nil {
		before(r)
	}
	next.ServeHTTP(w, r)
}

// setBefore installs the hook that sees each API request before it is served.
func (e *oauthEnv) setBefore(f func(r *http.Request)) {
	e.mu.Lock()
	e.before = f
	e.mu.Unlock()
}

// tokens returns the latest access and refresh token the simulator issued.
func (e *oauthEnv) tokens() (access, refresh string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.access, e.refresh
}

func (e *oauthEnv) tokenPosts() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.posts
}

// bearer is the access token a request carries ("" for none).
func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// approvingBrowser stands in for the user's browser: it opens the authorize
// URL, on which the simulator consents at once, and follows the redirect to
// pdx's loopback callback. mutate, when set, edits the callback's query
// first (a forged state, a denied consent, a spent code).
func approvingBrowser(mutate func(q url.Values)) func(string) error {
	return func(authURL string) error {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(authURL)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		cb, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return err
		}
		if mutate != nil {
			q := cb.Query()
			mutate(q)
			cb.RawQuery = q.Encode()
		}
		resp, err = http.Get(cb.String())
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
}

// useBrowser replaces pdx's browser opener for one test.
func useBrowser(t *testing.T, f func(string) error) {
	t.Helper()
	prev := oauthOpenBrowser
	oauthOpenBrowser = f
	t.Cleanup(func() { oauthOpenBrowser = prev })
}

// loginArgs is `pdx auth login --oauth` against the simulator, with the
// client secret on stdin and a free callback port.
func (e *oauthEnv) loginArgs(extra ...string) []string {
	return append([]string{"auth", "login", "--oauth", "--with-token", "--client-id", e.clientID,
		"--redirect-uri", "http://127.0.0.1:0/callback", "--oauth-base-url", e.srv.URL()}, extra...)
}

// login signs the default profile in through the approving browser.
func (e *oauthEnv) login(t *testing.T) cliResult {
	t.Helper()
	useBrowser(t, approvingBrowser(nil))
	r := oauthCLI(t, e.clientSecret+"\n", e.loginArgs()...)
	if r.code != exitOK || !strings.Contains(r.stdout, "Logged in with OAuth") {
		t.Fatalf("oauth login: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// secretFile is the 0600 fallback file holding the profile's tokens.
func (e *oauthEnv) secretFile(profile string) string {
	return filepath.Join(e.cfg, "secrets", profile+".json")
}

// stored reads the profile's saved refresh and access token.
func (e *oauthEnv) stored(t *testing.T, profile string) (refresh, access string) {
	t.Helper()
	data, err := os.ReadFile(e.secretFile(profile))
	if err != nil {
		t.Fatalf("read the saved secret: %v", err)
	}
	var s struct {
		Refresh string `json:"refresh_token"`
		Access  string `json:"access_token"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("saved secret: %v", err)
	}
	return s.Refresh, s.Access
}

// refreshAccepted asks the simulator directly whether it still takes a
// refresh token (which spends it when it does).
func (e *oauthEnv) refreshAccepted(t *testing.T, rt string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.clientID, e.clientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// assertNoSecrets is the canary check: no secret the simulator issued may
// appear in the texts (stdout, stderr) or in any file under the config,
// state and output dirs, except the 0600 secrets file, which holds them by
// design (and must, when asked, exist with that mode).
func (e *oauthEnv) assertNoSecrets(t *testing.T, texts ...string) {
	t.Helper()
	e.mu.Lock()
	issued := append([]string(nil), e.issued...)
	e.mu.Unlock()
	if len(issued) == 0 {
		t.Fatalf("the canary check has no secret to look for")
	}
	for _, s := range issued {
		assertNoToken(t, s, []string{e.cfg, e.stateDir, e.out}, texts...)
	}
	if fi, err := os.Stat(e.secretFile("default")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode %v, want 0600", fi.Mode().Perm())
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers. During a sync
// both the progress printer and the secret store (its keyring-fallback
// warning, on every persisted rotation) write to stderr from different
// goroutines: fine on an *os.File, a data race on a bare bytes.Buffer.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// oauthCLI is pdxCLI with stdout and stderr that concurrent writers share safely.
func oauthCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errb lockedBuffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}
