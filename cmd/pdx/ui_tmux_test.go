package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/profile"
)

// uiTmux drives a real terminal: a private tmux server (its own socket)
// running one pane of 80x24.
type uiTmux struct {
	t    *testing.T
	sock string
}

func (tm *uiTmux) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen is the visible pane (plus scrollback when history is set).
func (tm *uiTmux) screen(history bool) string {
	args := []string{"capture-pane", "-p", "-t", "e2e"}
	if history {
		args = append(args, "-S", "-200")
	}
	return tm.tmux(args...)
}

// waitFor polls the pane until it shows want, failing with the last screen
// at the deadline. Polling a condition, not sleeping a guess.
func (tm *uiTmux) waitFor(want string, history bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	for {
		s := tm.screen(history)
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("timed out waiting for %q; screen:\n%s", want, s)
		}
		<-tick.C
	}
}

func (tm *uiTmux) keys(k ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys", "-t", "e2e"}, k...)...)
}

var uiSummaryRow = regexp.MustCompile(`^(\w+)\s+([\d,]+)\s+\S*\s+(done|failed|stopped|not started)\s*$`)

// TestDemoInTmux runs `pdx --demo` in a real terminal, types through the
// wizard like a person, and checks the summary against the files written
// and the simulator's own counts.
func TestDemoInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end terminal test skipped in -short mode")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install -y tmux); skipping the end-to-end terminal test")
	}
	dir := t.TempDir()
	bin := buildPDX(t)
	home := filepath.Join(dir, "home")
	work := filepath.Join(dir, "work")
	for _, d := range []string{home, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "run.sh")
	env := fmt.Sprintf("HOME=%q XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q XDG_CACHE_HOME=%q TERM=xterm-256color NO_COLOR=1",
		home, home+"/.config", home+"/.local/state", home+"/.cache")
	body := fmt.Sprintf("#!/bin/sh\ncd %q\nenv -u PIPEDRIVE_API_TOKEN %s %q --demo\necho PDX-EXIT=$?\nexec sleep 600\n", work, env, bin)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := &uiTmux{t: t, sock: filepath.Join(dir, "tmux.sock")}
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })

	tm.waitFor("How do you want to sign in?", false)
	tm.keys("Enter")               // API token
	tm.waitFor("Token: ••", false) // the demo token, masked
	tm.keys("Enter")
	s := tm.waitFor("The token works", false)
	if !strings.Contains(s, "Simulated Company") {
		t.Errorf("connect step does not show the company:\n%s", s)
	}
	tm.keys("Enter")
	tm.waitFor("Choose what to export", false)
	tm.keys("Enter") // the default: every core stream
	tm.waitFor("Where should the data go?", false)
	tm.keys("Enter") // JSONL
	tm.keys("Enter") // the default directory, start
	tm.waitFor("Run the same sync without the UI", false)
	tm.keys("q")
	s = tm.waitFor("PDX-EXIT=", true)
	if !strings.Contains(s, "PDX-EXIT=0") {
		t.Fatalf("pdx did not exit 0:\n%s", s)
	}

	// The summary left on the terminal after the UI closed.
	got := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		m := uiSummaryRow.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		if m[3] != "done" {
			t.Errorf("stream %s: %s", m[1], m[3])
		}
		n, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
		got[m[1]] = n
	}
	if len(got) == 0 {
		t.Fatalf("no summary rows on screen:\n%s", s)
	}

	// The demo writes to the user's data directory, says so, and leaves
	// the current directory alone (issue 15.9).
	outDir := filepath.Join(home, ".local", "share", "pdx", "demo")
	if _, err := os.Stat(filepath.Join(work, "pdx-demo")); err == nil {
		t.Error("the demo wrote pdx-demo/ into the current directory")
	}
	if !strings.Contains(strings.Join(strings.Fields(s), ""), outDir) {
		t.Errorf("the summary does not say the files are in %s:\n%s", outDir, s)
	}

	// The simulator's own counts for the demo company.
	d, err := app.StartDemo(profile.Profile{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for name, n := range got {
		path := filepath.Join(outDir, name+".jsonl")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if lines := int64(bytes.Count(data, []byte("\n"))); lines != n {
			t.Errorf("%s: summary says %d records, the file has %d lines", name, n, lines)
		}
		st, _ := streams.Lookup(name)
		if st.Parent != nil && name != "deal_products" {
			continue // the simulator counts lists, not per-parent children
		}
		want := int64(d.Server.Count(name))
		switch {
		case len(st.Params) == 0 && want != n:
			t.Errorf("%s: summary says %d records, the simulator has %d", name, n, want)
		case len(st.Params) > 0 && n < want:
			// The simulator's Count lists the endpoint's default filter;
			// such a stream asks for more (deals: deleted ones too).
			t.Errorf("%s: summary says %d records, fewer than the simulator's default list (%d)", name, n, want)
		}
	}
	t.Logf("summary counts: %v", got)
}
