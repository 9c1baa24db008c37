package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The headless demo carries on from the last demo as the UI's does: its
// second run is incremental (only the replayed changes are appended), a
// demo into another destination gets the whole company there (state is
// bound to its destination), and --reset starts over.
func TestHeadlessDemoRemembers(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	out := t.TempDir()
	sync := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		argv := append([]string{"sync", "--demo", "--no-tui", "--streams", "deals", "--mode", "incremental"}, args...)
		if code := run(argv, strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("pdx %s: exit %d\n%s", strings.Join(argv, " "), code, stderr.String())
		}
		return stderr.String()
	}
	jsonl := filepath.Join(out, "jsonl")
	deals := filepath.Join(jsonl, "deals.jsonl")

	sync("--out", jsonl)
	first := countLines(t, deals)
	if first < 1000 {
		t.Fatalf("first demo sync wrote %d deals, want the whole company", first)
	}
	msg := sync("--out", jsonl)
	second := countLines(t, deals) - first
	// Each demo run changes 3 deals and adds 1; the inclusive cursor may
	// repeat the boundary record.
	if second < 4 || second > 10 {
		t.Errorf("second demo sync appended %d deals, want only the changes (4-10)", second)
	}
	if !strings.Contains(msg, "1 earlier run") {
		t.Errorf("the second demo does not say it carries on:\n%s", msg)
	}

	// Another destination has never received deals: a whole export there.
	csvDir := filepath.Join(out, "csv")
	sync("--out", csvDir, "--format", "csv")
	if n := csvRows(t, filepath.Join(csvDir, "deals.csv")); n < first {
		t.Errorf("a demo into a new destination wrote %d deals, want at least the first export's %d", n, first)
	}

	// --reset forgets the company's changes and every destination's state.
	if err := os.RemoveAll(jsonl); err != nil {
		t.Fatal(err)
	}
	msg = sync("--out", jsonl, "--reset")
	if n := countLines(t, deals); n != first {
		t.Errorf("after --reset the demo wrote %d deals, want the first export's %d", n, first)
	}
	if !strings.Contains(msg, "0 earlier runs") {
		t.Errorf("after --reset the demo still carries on:\n%s", msg)
	}
}
