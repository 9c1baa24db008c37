package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// During a run the first Ctrl-C asks; a second one stops (the run's
// context is cancelled, so it saves its state), as y does; n keeps going.
func TestRunStopKeys(t *testing.T) {
	tests := []struct {
		keys     string
		stopping bool
	}{
		{"ctrl+c", false},
		{"ctrl+c ctrl+c", true},
		{"q ctrl+c", true},
		{"ctrl+c y", true},
		{"ctrl+c n", false},
	}
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			m := runScreen(t, 80, 24, nil)
			cancelled := false
			m.runScreen().cancel = func() { cancelled = true }
			press(m, tt.keys)
			r := m.runScreen()
			if r.stopping != tt.stopping || cancelled != tt.stopping {
				t.Errorf("stopping=%v cancelled=%v, want %v", r.stopping, cancelled, tt.stopping)
			}
			if want := !tt.stopping && !strings.HasSuffix(tt.keys, "n"); r.confirming != want {
				t.Errorf("confirming=%v, want %v", r.confirming, want)
			}
			if tt.stopping && !strings.Contains(ansi.Strip(m.View()), "Stopping: finishing the current page") {
				t.Errorf("no stopping notice:\n%s", ansi.Strip(m.View()))
			}
		})
	}
}
