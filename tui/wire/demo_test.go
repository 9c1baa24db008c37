package wire

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/tui"
)

// demoRun starts a demo backend on stateDir, checks what it remembers,
// runs the choices and returns the records read per stream.
func demoRun(t *testing.T, stateDir string, reset bool, choices []tui.Choice) (*Backend, map[string]int64) {
	t.Helper()
	b, err := New(Options{Demo: true, StateDir: stateDir, DemoReset: reset})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if _, err := b.SaveToken(b.DemoToken()); err != nil {
		t.Fatal(err)
	}
	set := b.Settings()
	if err := b.SaveSettings(tui.Settings{Streams: choices, Format: set.Format, OutDir: set.OutDir}); err != nil {
		t.Fatal(err)
	}
	tr := tui.NewTracker(choices, nil, nil)
	if _, err := b.Run(context.Background(), tui.Plan{Streams: choices, Format: set.Format, OutDir: set.OutDir}, tr); err != nil {
		t.Fatalf("demo run: %v", err)
	}
	got := map[string]int64{}
	for _, s := range tr.Snapshot().Streams {
		got[s.Name] = s.Records
	}
	return b, got
}

// The demo keeps its company, state and choices between runs, so the
// second run is a real incremental one; it writes to the data directory,
// not the current one; --reset starts over (issue 15.9, 15.10).
func TestDemoRemembers(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	stateDir := t.TempDir()
	choices := []tui.Choice{{Stream: "deals", Mode: engine.Incremental}, {Stream: "persons", Mode: engine.Incremental}}

	b1, first := demoRun(t, stateDir, false, choices)
	if dir := b1.Settings().OutDir; !strings.HasPrefix(dir, filepath.Join(data, "pdx", "demo")) {
		t.Errorf("demo output in %s, want under the data dir %s", dir, data)
	}
	if first["deals"] < 100 {
		t.Fatalf("first demo run read %v, want the whole company", first)
	}

	b2, err := New(Options{Demo: true, StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	if got := b2.Settings().Streams; len(got) != 2 || got[0].Stream != "deals" {
		t.Errorf("the second demo forgot the selection: %v", got)
	}
	for _, si := range b2.Streams() {
		if si.Name == "deals" && (!si.HasState || si.Cursor == "") {
			t.Errorf("the second demo has no state for deals: %+v", si)
		}
	}
	// The demo's state is bound to its destination like a profile's: the
	// Streams step of a CSV demo elsewhere shows nothing synced there.
	set := b2.Settings()
	if err := b2.SaveSettings(tui.Settings{Streams: choices, Format: "csv", OutDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	for _, si := range b2.Streams() {
		if si.HasState {
			t.Errorf("a CSV demo into a new directory shows state for %s, synced only into the JSONL one", si.Name)
		}
	}
	if err := b2.SaveSettings(tui.Settings{Streams: choices, Format: set.Format, OutDir: set.OutDir}); err != nil {
		t.Fatal(err)
	}
	b2.Close()

	_, second := demoRun(t, stateDir, false, choices)
	for _, n := range []string{"deals", "persons"} {
		if second[n] == 0 || second[n] >= first[n]/2 {
			t.Errorf("%s: second demo run read %d of %d: want just the changes", n, second[n], first[n])
		}
	}

	b3, err := New(Options{Demo: true, StateDir: stateDir, DemoReset: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b3.Close()
	for _, si := range b3.Streams() {
		if si.HasState {
			t.Errorf("after --reset %s still has state", si.Name)
		}
	}
	if got := b3.Settings().Streams; got != nil {
		t.Errorf("after --reset the selection is still %v", got)
	}
}
