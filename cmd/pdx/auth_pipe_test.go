package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestAuthLoginPipedToken is issue 15 item 14: `echo $TOKEN | pdx auth
// login` reads the piped token (one line, trimmed) as --with-token does;
// a token given as an argument is still refused, and an empty pipe says
// how to give one.
func TestAuthLoginPipedToken(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 15, Scale: 5})
	tok := e.srv.Token()
	base := "--api-base-url=" + e.srv.URL()
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		want        string // in stdout on success, stderr otherwise
	}{
		{"piped, padded", "  " + tok + "  \n", []string{"--profile", "piped"}, exitOK, `profile "piped"`},
		{"piped, no newline", tok, []string{"--profile", "bare"}, exitOK, `profile "bare"`},
		{"piped, a second line ignored", tok + "\nnot-a-token\n", []string{"--profile", "two"}, exitOK, `profile "two"`},
		{"piped, wrong token", "not-the-token\n", []string{"--profile", "wrong"}, exitFailure, "not saved"},
		{"empty pipe", "", []string{"--profile", "empty"}, exitUsage, "no token on stdin"},
		{"token as argument", tok + "\n", []string{"--profile", "arg", tok}, exitUsage, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pdxCLI(t, tt.stdin, append([]string{"auth", "login", base}, tt.args...)...)
			got := r.stderr
			if tt.code == exitOK {
				got = r.stdout
			}
			if r.code != tt.code || !strings.Contains(got, tt.want) {
				t.Fatalf("exit %d, want %d and %q:\n%s\n%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if tt.code == exitOK {
				if st := pdxCLI(t, "", "auth", "status", "--profile", tt.args[1]); st.code != exitOK || !strings.Contains(st.stdout, "User:") {
					t.Errorf("status after a piped login: %d %s", st.code, st.stderr)
				}
			}
			assertNoToken(t, tok, []string{e.cfg, e.stateDir}, r.stdout, r.stderr)
		})
	}
}

// TestAuthLoginTerminalPrompts: on a terminal, `pdx auth login` (the real
// binary, in tmux) still asks for the token with echo off.
func TestAuthLoginTerminalPrompts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end terminal test skipped in -short mode")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; skipping the terminal prompt test")
	}
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 16, Scale: 5})
	dir := t.TempDir()
	bin := buildPDX(t)
	script := filepath.Join(dir, "run.sh")
	body := fmt.Sprintf("#!/bin/sh\nenv -u PIPEDRIVE_API_TOKEN HOME=%q PDX_CONFIG_DIR=%q PDX_STATE_DIR=%q PDX_NO_KEYRING=1 %q auth login --api-base-url %q\necho PDX-EXIT=$?\nexec sleep 600\n",
		dir, e.cfg, e.stateDir, bin, e.srv.URL())
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := &uiTmux{t: t, sock: filepath.Join(dir, "tmux.sock")}
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "20", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	tm.waitFor("Pipedrive API token", false)
	tm.keys("-l", e.srv.Token())
	tm.keys("Enter")
	s := tm.waitFor("PDX-EXIT=", true)
	if !strings.Contains(s, "PDX-EXIT=0") || !strings.Contains(s, "Logged in to") {
		t.Errorf("terminal login:\n%s", s)
	}
	if strings.Contains(s, e.srv.Token()) {
		t.Errorf("the token was echoed:\n%s", s)
	}
}
