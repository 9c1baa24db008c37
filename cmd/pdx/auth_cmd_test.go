package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func TestAuthLoginStatusLogout(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 11, Scale: 10})
	tok := e.srv.Token()
	base := "--api-base-url=" + e.srv.URL()

	// A wrong token is refused and nothing is saved.
	r := pdxCLI(t, "not-the-token\n", "auth", "login", "--with-token", base)
	if r.code != exitFailure || !strings.Contains(r.stderr, "not saved") {
		t.Fatalf("bad token: code %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(e.cfg, "config.toml")); err == nil {
		t.Error("config written for a rejected token")
	}

	// A token given as an argument is refused without being repeated.
	r = pdxCLI(t, "", "auth", "login", "--profile", "acme", base, tok)
	if r.code != exitUsage || strings.Contains(r.stderr+r.stdout, tok) || !strings.Contains(r.stderr, "--with-token") {
		t.Fatalf("token as argument: code %d, stderr %q", r.code, r.stderr)
	}

	r = pdxCLI(t, tok+"\n", "auth", "login", "--with-token", "--profile", "acme", base)
	if r.code != exitOK {
		t.Fatalf("login: code %d\n%s", r.code, r.stderr)
	}
	secretFile := filepath.Join(e.cfg, "secrets", "acme.json")
	for _, want := range []string{"Logged in to", `profile "acme", the default`, secretFile} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("login output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "warning: OS keyring disabled") {
		t.Errorf("no fallback warning: %q", r.stderr)
	}
	if fi, err := os.Stat(secretFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v", err)
	}
	cfg, _ := os.ReadFile(filepath.Join(e.cfg, "config.toml"))
	if !strings.Contains(string(cfg), "[profiles.acme]") || !strings.Contains(string(cfg), "company = ") {
		t.Errorf("config:\n%s", cfg)
	}

	// A second company side by side: not the default unless asked.
	if r2 := pdxCLI(t, tok+"\n", "auth", "login", "--with-token", "--profile", "beta", base); r2.code != exitOK || strings.Contains(r2.stdout, "the default") {
		t.Fatalf("second profile: %d %q", r2.code, r2.stdout)
	}
	if st := pdxCLI(t, "", "auth", "status", "--profile", "beta"); st.code != exitOK || !strings.Contains(st.stdout, "Profile:     beta\n") || !strings.Contains(st.stdout, "Profiles:    acme, beta") {
		t.Errorf("status of beta:\n%s", st.stdout)
	}
	if r3 := pdxCLI(t, tok+"\n", "auth", "login", "--with-token", "--profile", "beta", "--default", base); r3.code != exitOK || !strings.Contains(r3.stdout, "the default") {
		t.Fatalf("--default: %q", r3.stdout)
	}
	if r4 := pdxCLI(t, tok+"\n", "auth", "login", "--with-token", "--profile", "acme", "--default", base); r4.code != exitOK {
		t.Fatal(r4.stderr)
	}

	st := pdxCLI(t, "", "auth", "status")
	if st.code != exitOK {
		t.Fatalf("status: %d %s", st.code, st.stderr)
	}
	for _, want := range []string{"Profile:     acme (default)", "User:", "Company:", "Credentials: the file " + secretFile, "Daily API budget"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, st.stdout)
		}
	}
	// The environment variable overrides the stored token.
	t.Setenv("PIPEDRIVE_API_TOKEN", tok)
	if st := pdxCLI(t, "", "auth", "status"); !strings.Contains(st.stdout, "PIPEDRIVE_API_TOKEN environment variable") {
		t.Errorf("status with env:\n%s", st.stdout)
	}
	t.Setenv("PIPEDRIVE_API_TOKEN", "")

	lo := pdxCLI(t, "", "auth", "logout")
	if lo.code != exitOK || !strings.Contains(lo.stdout, "Removed the credentials") {
		t.Fatalf("logout: %d %q", lo.code, lo.stdout)
	}
	if _, err := os.Stat(secretFile); !os.IsNotExist(err) {
		t.Error("secret file survives logout")
	}
	st = pdxCLI(t, "", "auth", "status")
	if st.code != exitFailure || !strings.Contains(st.stderr, "not logged in") {
		t.Errorf("status after logout: %d %q", st.code, st.stderr)
	}
	assertNoToken(t, tok, []string{e.cfg, e.stateDir}, r.stdout, r.stderr, st.stdout, st.stderr, lo.stdout)
}

func TestAuthLoginUsage(t *testing.T) {
	newSyncEnv(t, pipedrivetest.Options{Seed: 1, Scale: 5})
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"no terminal to prompt", "", []string{"auth", "login"}, exitUsage, "--with-token"},
		{"empty stdin", "\n", []string{"auth", "login", "--with-token"}, exitUsage, "no token on stdin"},
		{"token as argument", "", []string{"auth", "login", "sometoken"}, exitUsage, "takes no arguments (1 given, not shown)"},
		{"bad profile name", "x\n", []string{"auth", "login", "--with-token", "--profile", "../x"}, exitUsage, "invalid profile name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pdxCLI(t, tt.stdin, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("code %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
			if strings.Contains(r.stderr+r.stdout, "sometoken") {
				t.Errorf("the argument is repeated in the output: %q", r.stderr)
			}
		})
	}
}

func TestAuthLoginKeyringMock(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 12, Scale: 5})
	t.Setenv("PDX_NO_KEYRING", "")
	keyring.MockInit()
	r := pdxCLI(t, e.srv.Token()+"\n", "auth", "login", "--with-token", "--api-base-url="+e.srv.URL())
	if r.code != exitOK || !strings.Contains(r.stdout, "the OS keyring (service pdx)") {
		t.Fatalf("login: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if got, err := keyring.Get("pdx", "default"); err != nil || !strings.Contains(got, e.srv.Token()) {
		t.Fatalf("keyring entry: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.cfg, "secrets")); !os.IsNotExist(err) {
		t.Error("fallback file written although the keyring worked")
	}
	if st := pdxCLI(t, "", "auth", "status"); st.code != exitOK || !strings.Contains(st.stdout, "OS keyring") {
		t.Errorf("status: %d %q", st.code, st.stdout)
	}
	assertNoToken(t, e.srv.Token(), []string{e.cfg, e.stateDir}, r.stdout, r.stderr)
}

func TestAuthLoginOAuth(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 13, Scale: 30})
	id, clientSecret := e.srv.OAuthClient()
	// The simulator consents at once: "opening the browser" is a GET that
	// follows the redirect to pdx's loopback callback.
	prev := oauthOpenBrowser
	oauthOpenBrowser = func(u string) error {
		resp, err := http.Get(u)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	t.Cleanup(func() { oauthOpenBrowser = prev })

	r := pdxCLI(t, "", "auth", "login", "--oauth", "--client-id", id)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--with-token") {
		t.Fatalf("no secret source: %d %q", r.code, r.stderr)
	}
	r = pdxCLI(t, clientSecret+"\n", "auth", "login", "--oauth", "--with-token", "--client-id", id,
		"--redirect-uri", "http://127.0.0.1:0/callback", "--oauth-base-url", e.srv.URL())
	if r.code != exitOK || !strings.Contains(r.stdout, "Logged in with OAuth") {
		t.Fatalf("oauth login: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	secretFile := filepath.Join(e.cfg, "secrets", "default.json")
	before, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	if st := pdxCLI(t, "", "auth", "status"); st.code != exitOK || !strings.Contains(st.stdout, "Company:") {
		t.Fatalf("status: %d %s %s", st.code, st.stdout, st.stderr)
	}
	// The access token expires: a sync refreshes it and saves the rotated
	// tokens before using them.
	e.srv.Advance(2 * time.Hour)
	s := pdxCLI(t, "", "sync", "--no-tui", "--streams", "pipelines", "--out", e.out)
	if s.code != exitOK {
		t.Fatalf("sync with OAuth: %d\n%s", s.code, s.stderr)
	}
	after, _ := os.ReadFile(secretFile)
	var b, a struct {
		RefreshToken string `json:"refresh_token"`
		AccessToken  string `json:"access_token"`
	}
	json.Unmarshal(before, &b)
	json.Unmarshal(after, &a)
	if a.AccessToken == "" || a.AccessToken == b.AccessToken {
		t.Error("the refreshed access token was not persisted")
	}
	assertNoToken(t, clientSecret, []string{e.cfg, e.stateDir, e.out}, r.stdout, r.stderr, s.stdout, s.stderr)
	assertNoToken(t, a.RefreshToken, []string{e.cfg, e.stateDir, e.out}, r.stdout, r.stderr, s.stdout, s.stderr)
}

// TestAuthStatusWords is issue 15 item 12: the budget with thousands
// separators; after logout, "no credentials stored for profile X" plainly,
// and the unreachable keyring (where pdx looked) apart, its raw error only
// with --verbose.
func TestAuthStatusWords(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 14, Scale: 5})
	if r := pdxCLI(t, e.srv.Token()+"\n", "auth", "login", "--with-token", "--api-base-url="+e.srv.URL()); r.code != exitOK {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	st := pdxCLI(t, "", "auth", "status")
	if st.code != exitOK || !regexp.MustCompile(`Daily API budget: \d{1,3}(,\d{3})+ of \d{1,3}(,\d{3})+ tokens left`).MatchString(st.stdout) {
		t.Errorf("budget without separators: %d\n%s", st.code, st.stdout)
	}
	if r := pdxCLI(t, "", "auth", "logout"); r.code != exitOK {
		t.Fatalf("logout: %d %s", r.code, r.stderr)
	}
	file := filepath.Join(e.cfg, "secrets", "default.json")
	const raw = `exec: "dbus-launch": executable file not found in $PATH`
	tests := []struct {
		name       string
		keyring    bool // the OS keyring is tried (and fails to answer)
		args       []string
		want, deny []string
	}{
		{"no keyring in use", false, nil,
			[]string{`no credentials stored for profile "default"`, "pdx auth login --profile default"},
			[]string{"keyring", "(("}},
		{"keyring unreachable", true, nil,
			[]string{`no credentials stored for profile "default"`, "the OS keyring could not be reached", file, "--verbose"},
			[]string{"dbus-launch", "(("}},
		{"keyring unreachable, verbose", true, []string{"--verbose"},
			[]string{`no credentials stored for profile "default"`, file, raw},
			[]string{"(("}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.keyring {
				t.Setenv("PDX_NO_KEYRING", "")
				keyring.MockInitWithError(errors.New(raw))
				t.Cleanup(keyring.MockInit)
			}
			r := pdxCLI(t, "", append([]string{"auth", "status"}, tt.args...)...)
			if r.code != exitFailure {
				t.Errorf("exit %d, want %d", r.code, exitFailure)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			for _, d := range tt.deny {
				if strings.Contains(r.stderr, d) {
					t.Errorf("stderr has %q:\n%s", d, r.stderr)
				}
			}
		})
	}
	// A sync says the same, with the keyring's note as its hint.
	t.Setenv("PDX_NO_KEYRING", "")
	keyring.MockInitWithError(errors.New(raw))
	t.Cleanup(keyring.MockInit)
	r := pdxCLI(t, "", "sync", "--no-tui", "--streams", "pipelines", "--out", e.out)
	if r.code != exitFailure || !strings.Contains(r.stderr, `no credentials stored for profile "default"`) || !strings.Contains(r.stderr, "could not be reached") || strings.Contains(r.stderr, "((") {
		t.Errorf("sync without credentials: %d\n%s", r.code, r.stderr)
	}
}
