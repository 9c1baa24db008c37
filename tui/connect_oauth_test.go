package tui

import (
	"bytes"
	"context"
	"errors"
	"github.com/charmbracelet/x/ansi"
	"io"
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

// introOAuth prints the hand-off text as app's sign-in does.
type introOAuth struct{ *fakeBackend }

func (introOAuth) OAuthSignIn(_ context.Context, _ io.Reader, out io.Writer) (Identity, Budget, string, error) {
	io.WriteString(out, "Signing in with OAuth uses your own Pipedrive app. To register one (once):\n  1. Pipedrive developer sandbox > profile picture > Developer Hub > Create an app > Create private app\n")
	io.WriteString(out, "Open this address:\n  http://127.0.0.1:1/oauth/authorize?client_id=abcdefabcdefabcdef&redirect_uri=http%3A%2F%2F127.0.0.1\n")
	return Identity{}, Budget{}, "", errors.New("x")
}

// The OAuth hand-off text wraps at words to the terminal's width (issue
// 15.8: "Create an a" / "pp > Create private app"); an address stays whole.
func TestOAuthHandOffWraps(t *testing.T) {
	for _, w := range []int{60, 80} {
		var out bytes.Buffer
		o := &oauthExec{b: introOAuth{&fakeBackend{}}, width: w}
		o.SetStdout(&out)
		_ = o.Run()
		text := out.String()
		for _, l := range strings.Split(text, "\n") {
			if ansi.StringWidth(l) > w && strings.Contains(l, " > ") {
				t.Errorf("width %d: line of %d cells: %q", w, ansi.StringWidth(l), l)
			}
		}
		if !strings.Contains(text, "\n  http://127.0.0.1:1/oauth/authorize?") {
			t.Errorf("width %d: the address lost its indent:\n%s", w, text)
		}
		flat := strings.Join(strings.Fields(text), " ")
		if !strings.Contains(flat, "Create an app > Create private app") || !strings.Contains(text, "client_id=abcdefabcdefabcdef&redirect_uri") {
			t.Errorf("width %d: words or the address broken:\n%s", w, text)
		}
	}
}
