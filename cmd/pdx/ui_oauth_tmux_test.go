package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// startOAuthUI starts the real binary's UI in tmux on a profile pointing at
// the simulator, with browserBody as the shell script PDX_BROWSER runs.
func startOAuthUI(t *testing.T, browserBody string) (*uiTmux, *oauthEnv) {
	if testing.Short() {
		t.Skip("end-to-end terminal test skipped in -short mode")
	}
	for _, tool := range []string{"tmux", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed; skipping the end-to-end OAuth terminal test", tool)
		}
	}
	// The UI uses the fixed callback port a Pipedrive app registers.
	if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(oauth.DefaultCallbackPort)); err != nil {
		t.Skipf("the OAuth callback port is in use here: %v", err)
	} else {
		l.Close()
	}
	e := newOAuthEnv(t, pipedrivetest.Options{Seed: 26, Scale: 5})
	dir := t.TempDir()
	bin := buildPDX(t)
	if err := os.MkdirAll(e.cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("[profiles.default]\napi_base_url = %q\noauth_base_url = %q\n", e.srv.URL(), e.srv.URL())
	if err := os.WriteFile(filepath.Join(e.cfg, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	browser := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\n"+browserBody), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "run.sh")
	// PDX_NO_KEYRING (and no D-Bus): the secret goes to the profile's 0600
	// file, not to a keyring this test does not own.
	env := fmt.Sprintf("HOME=%q PDX_CONFIG_DIR=%q PDX_STATE_DIR=%q PDX_NO_KEYRING=1 PDX_BROWSER=%q TERM=xterm-256color NO_COLOR=1",
		dir, e.cfg, e.stateDir, browser)
	// The shell outlives a SIGINT (Ctrl-C at a cooked prompt), as a
	// person's interactive shell does, to report pdx's exit status.
	body := fmt.Sprintf("#!/bin/sh\ntrap : INT\ncd %q\nenv -u PIPEDRIVE_API_TOKEN -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY -u WAYLAND_DISPLAY %s %q\necho PDX-EXIT=$?\nexec sleep 600\n", dir, env, bin)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := &uiTmux{t: t, sock: filepath.Join(dir, "tmux.sock")}
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })

	return tm, e
}

// signInKeys picks OAuth on the Connect step and answers the client id
// and secret questions.
func signInKeys(tm *uiTmux, e *oauthEnv) {
	tm.waitFor("How do you want to sign in?", false)
	tm.keys("Down", "Enter") // OAuth
	tm.waitFor("OAuth client id", false)
	tm.keys("-l", e.clientID)
	tm.keys("Enter")
	tm.waitFor("OAuth client secret (input hidden)", false)
	tm.keys("-l", e.clientSecret)
	tm.keys("Enter")
}

// curlBrowser (a PDX_BROWSER script) follows the simulator's consent page and calls back.
const curlBrowser = "loc=$(curl -s -o /dev/null -w '%{redirect_url}' \"$1\")\nexec curl -s -o /dev/null \"$loc\"\n"

// TestUIOAuthInTmux signs in with OAuth from the UI of the real binary in a
// real terminal: the UI steps aside, the same process asks for the client
// id and secret, a "browser" (PDX_BROWSER, curl following the simulator's
// consent) answers the callback, and the UI comes back signed in. The next
// key still reaches the UI: the pasted-address prompt that lost to the
// browser no longer holds the terminal.
func TestUIOAuthInTmux(t *testing.T) {
	tm, e := startOAuthUI(t, curlBrowser)
	signInKeys(tm, e)
	s := tm.waitFor("Signed in with OAuth", false)
	if !strings.Contains(s, e.secretFile("default")) {
		t.Errorf("the connect step does not say where the tokens went:\n%s", s)
	}
	tm.keys("Enter")
	tm.waitFor("Choose what to export", false)
	tm.keys("C-c")
	s = tm.waitFor("PDX-EXIT=", true)
	e.assertNoSecrets(t, s)

	conf, err := os.ReadFile(filepath.Join(e.cfg, "config.toml"))
	if err != nil || !strings.Contains(string(conf), `auth_type = "oauth"`) {
		t.Errorf("config after the UI's sign-in (%v):\n%s", err, conf)
	}
	if rt, _ := e.stored(t, "default"); rt == "" {
		t.Error("no refresh token saved")
	}
}

// TestUIOAuthCancelInTmux: Ctrl-C at the "paste the address" question (the
// browser never calls back) cancels the sign-in and brings the UI back,
// still taking keys; it does not end pdx with status 0.
func TestUIOAuthCancelInTmux(t *testing.T) {
	tm, e := startOAuthUI(t, "exit 0\n") // a browser that opens nothing
	signInKeys(tm, e)
	tm.waitFor("paste the address", false)
	tm.keys("C-c")
	s := tm.waitFor("The OAuth sign-in was cancelled", false)
	if strings.Contains(s, "PDX-EXIT=") {
		t.Fatalf("pdx exited on Ctrl-C at the paste prompt:\n%s", s)
	}
	tm.keys("Up", "Enter") // API token: the UI still takes keys
	tm.waitFor("Token:", false)
	tm.keys("C-c")
	if s := tm.waitFor("PDX-EXIT=", true); !strings.Contains(s, "PDX-EXIT=0") {
		t.Errorf("pdx did not quit cleanly after Ctrl-C on the Connect step:\n%s", s)
	}
}
