package tui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// A failed OAuth sign-in's own message reaches the Connect step through the
// result file (the terminal it printed on is covered by the UI again), and
// the file is removed afterwards.
func TestConnectOAuthFailureReason(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	where := filepath.Join(t.TempDir(), "result-path")
	tests := []struct {
		name, script, want string
	}{
		{"reason left", `printf 'oauth: the login callback port 127.0.0.1:47390 is busy.' > "$` + EnvOAuthResult + `"; exit 2`,
			"did not finish: oauth: the login callback port 127.0.0.1:47390 is busy. Try again"},
		{"no reason", `exit 1`, "its messages were shown above the screen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := `printf '%s' "$` + EnvOAuthResult + `" > '` + where + `'; ` + tt.script
			fb := &fakeBackend{oauth: exec.Command(sh, "-c", script)}
			m := New(context.Background(), NewCommon(fb, true, frozen))
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 24))
			waitText(t, tm, "sign in through the browser")
			tm.Send(tea.KeyMsg{Type: tea.KeyDown})
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			waitText(t, tm, "did not finish")
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
			final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
			if got := final.connect.errText; !strings.Contains(got, tt.want) {
				t.Errorf("error text %q, want %q", got, tt.want)
			}
			path, err := os.ReadFile(where)
			if err != nil || len(path) == 0 {
				t.Fatalf("the command got no %s (%v)", EnvOAuthResult, err)
			}
			if _, err := os.Stat(string(path)); !os.IsNotExist(err) {
				t.Errorf("result file %s left behind (%v)", path, err)
			}
		})
	}
}
