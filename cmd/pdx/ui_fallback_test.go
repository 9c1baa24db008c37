package main

import (
	"bytes"
	"strings"
	"testing"
)

// Without a terminal, `pdx` never draws: it says so and runs the headless
// sync (or, before that command exists, says what to run), and stdout stays
// free of UI bytes.
func TestUIWithoutTerminalFallsBack(t *testing.T) {
	t.Chdir(t.TempDir()) // the headless demo writes its files here
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
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
}
