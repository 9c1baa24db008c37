package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without a terminal, `pdx` never draws: it says so and runs the headless
// sync (or, before that command exists, says what to run), and stdout stays
// free of UI bytes.
func TestUIWithoutTerminalFallsBack(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	var stdout, stderr bytes.Buffer
	code := run([]string{"--demo"}, strings.NewReader(""), &stdout, &stderr)
	if !strings.Contains(stderr.String(), "no terminal for the interactive UI") {
		t.Errorf("stderr does not explain the fallback:\n%s", stderr.String())
	}
	if strings.Contains(stdout.String(), "\x1b[") {
		t.Errorf("terminal escapes on stdout: %q", stdout.String())
	}
	g := &globals{}
	if c, _, err := newRootCmd(g).Find([]string{"sync"}); err != nil || c.Name() != "sync" {
		if code != exitUsage {
			t.Errorf("exit %d without a sync command, want %d", code, exitUsage)
		}
		return
	}
	if code != exitOK {
		t.Errorf("headless demo sync exited %d:\n%s", code, stderr.String())
	}
	// The headless demo, like the UI's, writes to the data directory, never
	// into the current one (issue 15.9), and says where.
	if ents, _ := os.ReadDir(work); len(ents) > 0 {
		t.Errorf("the headless demo wrote into the current directory: %v", ents)
	}
	want := filepath.Join(data, "pdx", "demo")
	if ents, err := os.ReadDir(want); err != nil || len(ents) == 0 {
		t.Errorf("the headless demo wrote nothing to %s (%v)", want, err)
	}
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("the summary does not say where the files went (%s):\n%s", want, stderr.String())
	}
}
