package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// A failed OAuth sign-in's own message reaches the Connect step as a value
// (the terminal it printed on is covered by the UI again): the sign-in runs
// once, in this process, on the terminal the UI handed over.
func TestConnectOAuthFailureReason(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"reason left", errors.New("oauth: the login callback port 127.0.0.1:47390 is busy."),
			"did not finish: oauth: the login callback port 127.0.0.1:47390 is busy. Try again"},
		{"no reason", errors.New(""), "its messages were shown above the screen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fo := &fakeOAuth{err: tt.err}
			fb := &fakeBackend{oauth: fo}
			m := New(context.Background(), NewCommon(fb, true, frozen))
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 24))
			waitText(t, tm, "sign in through the browser")
			tm.Send(tea.KeyMsg{Type: tea.KeyDown})
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			waitText(t, tm, "did not finish")
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
			final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
			if got := final.connectScreen().errText; !strings.Contains(got, tt.want) {
				t.Errorf("error text %q, want %q", got, tt.want)
			}
			fo.mu.Lock()
			defer fo.mu.Unlock()
			if fo.calls != 1 || !fo.gotIn || !fo.gotOut {
				t.Errorf("sign-in ran %d times (terminal in %v, out %v), want once with the terminal handed over", fo.calls, fo.gotIn, fo.gotOut)
			}
		})
	}
}
