package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSandboxOAuthEndToEnd (issue 14) runs the whole OAuth sign-in on the
// real binary against `pdx sandbox`, with no Pipedrive app: the client id
// and secret the sandbox prints, --api-base-url <sandbox> only, and a
// browser (PDX_BROWSER) that approves only at the sandbox. Then status
// says OAuth and a sync reads the sandbox's records.
func TestSandboxOAuthEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end binary test skipped in -short mode")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; skipping the end-to-end OAuth test")
	}
	dir := t.TempDir()
	bin := buildPDX(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	sb := exec.CommandContext(ctx, bin, "sandbox", "--scale", "20", "--seed", "7")
	out, err := sb.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Process.Signal(syscall.SIGINT); sb.Wait() })
	var url, id, secret string
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
		l := sc.Text()
		switch f := strings.Fields(l); {
		case strings.HasPrefix(l, "Simulated Pipedrive running at "):
			url = f[4]
		case strings.HasPrefix(l, "OAuth client id:"):
			id = f[3]
		case strings.HasPrefix(l, "OAuth client secret:"):
			secret = f[3]
		}
	}
	go func() { // keep draining so the sandbox never blocks on a full pipe
		for sc.Scan() {
		}
	}()
	if url == "" || id == "" || secret == "" {
		t.Fatalf("sandbox printed no URL/client id/secret (%q %q %q)", url, id, secret)
	}

	// The browser consents only at the sandbox's own authorize endpoint.
	browser := filepath.Join(dir, "browser.sh")
	script := fmt.Sprintf("#!/bin/sh\ncase \"$1\" in\n%s/oauth/authorize\\?*) ;;\n*) echo \"not the sandbox: $1\" >&2; exit 1;;\nesac\nloc=$(curl -s -o /dev/null -w '%%{redirect_url}' \"$1\")\nexec curl -s -o /dev/null \"$loc\"\n", url)
	if err := os.WriteFile(browser, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+dir, "PDX_CONFIG_DIR="+filepath.Join(dir, "config"), "PDX_STATE_DIR="+filepath.Join(dir, "state"),
		"PDX_NO_KEYRING=1", "PDX_BROWSER="+browser, "PIPEDRIVE_API_TOKEN=")
	pdx := func(stdin string, args ...string) (string, string, error) {
		c := exec.CommandContext(ctx, bin, args...)
		c.Env, c.Stdin = env, strings.NewReader(stdin)
		var o, e strings.Builder
		c.Stdout, c.Stderr = &o, &e
		err := c.Run()
		return o.String(), e.String(), err
	}

	o, e, err := pdx(secret+"\n", "auth", "login", "--oauth", "--with-token", "--client-id", id, "--api-base-url", url,
		"--redirect-uri", "http://127.0.0.1:0/callback")
	if err != nil || !strings.Contains(o, "Logged in with OAuth") {
		t.Fatalf("oauth login against the sandbox: %v\n%s\n%s", err, o, e)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "config", "config.toml"))
	if !strings.Contains(string(cfg), `oauth_base_url = "`+url+`"`) || !strings.Contains(string(cfg), `auth_type = "oauth"`) {
		t.Errorf("the profile does not keep the sandbox as its OAuth server:\n%s", cfg)
	}
	if o, e, err := pdx("", "auth", "status"); err != nil || !strings.Contains(o, "Sign-in:     OAuth (your Pipedrive app, client id "+id+")") || !strings.Contains(o, "API:         "+url) {
		t.Errorf("status: %v\n%s\n%s", err, o, e)
	}
	data := filepath.Join(dir, "data")
	if o, e, err := pdx("", "sync", "--no-tui", "--streams", "deals,pipelines", "--out", data); err != nil {
		t.Fatalf("sync with the sandbox's OAuth tokens: %v\n%s\n%s", err, o, e)
	}
	if n := countLines(t, filepath.Join(data, "deals.jsonl")); n < 20 {
		t.Errorf("the sync wrote %d deals, want the sandbox's 20 or more", n)
	}
	assertNoToken(t, secret, []string{filepath.Join(dir, "state"), data}, o, e)
}
