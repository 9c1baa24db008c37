package tui

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Common is the context every component shares; the root model updates it
// on tea.WindowSizeMsg and pushes the size to the components.
type Common struct {
	Width, Height int
	Styles        Styles
	Keys          KeyMap
	Now           Clock
	Backend       Backend
	help          help.Model
	// signIn cancels the OAuth sign-in holding the terminal (nil: none;
	// see oauthExec and Run's SIGINT handling).
	signInMu sync.Mutex
	signIn   context.CancelFunc
}

// setSignIn registers (or, with nil, clears) the running sign-in's cancel.
func (c *Common) setSignIn(cancel context.CancelFunc) {
	c.signInMu.Lock()
	c.signIn = cancel
	c.signInMu.Unlock()
}

// interruptSignIn cancels a running sign-in; false when there is none.
func (c *Common) interruptSignIn() bool {
	c.signInMu.Lock()
	defer c.signInMu.Unlock()
	if c.signIn == nil {
		return false
	}
	c.signIn()
	return true
}

// NewCommon builds the shared context.
func NewCommon(b Backend, noColor bool, now Clock) *Common {
	if now == nil {
		now = time.Now
	}
	c := &Common{Width: 80, Height: 24, Styles: NewStyles(noColor), Keys: DefaultKeyMap(), Now: now, Backend: b}
	c.help = help.New()
	c.help.Styles.ShortKey = c.Styles.HelpKey
	c.help.Styles.ShortDesc = c.Styles.HelpDesc
	c.help.Styles.ShortSeparator = c.Styles.HelpSep
	c.help.Styles.Ellipsis = c.Styles.HelpSep
	return c
}

// HelpLine renders the help for the given bindings at the current width.
// Bindings that do not fit are dropped, the least needed first (see
// keyRank): the keys that leave the screen (esc, q, ctrl+c) stay visible at
// any width, then "?" (it lists them all), then enter. bubbles' own cut
// cannot be used, as it keeps adding items once its ellipsis no longer fits.
func (c *Common) HelpLine(keys []key.Binding) string {
	w := c.Width - 2
	c.help.Width = 0
	keep := slices.Clone(keys)
	for dropped := false; ; dropped = true {
		s := c.help.ShortHelpView(keep)
		more := slices.IndexFunc(keep, func(k key.Binding) bool { return k.Help().Key == "?" }) >= 0
		if dropped && !more {
			s += " " + c.help.Styles.Ellipsis.Render(c.help.Ellipsis)
		}
		drop, rank := -1, keyRankLeave
		for i := len(keep) - 1; i >= 0; i-- {
			if r := keyRank(keep[i]); r < rank {
				drop, rank = i, r
			}
		}
		if lipgloss.Width(s) <= w || len(keep) <= 1 || drop < 0 {
			return s
		}
		keep = slices.Delete(keep, drop, drop+1)
	}
}

// keyRankLeave is the rank of the keys that leave a screen: never dropped.
const keyRankLeave = 3

// keyRank orders bindings for HelpLine: the lowest goes first.
func keyRank(k key.Binding) int {
	switch k.Help().Key {
	case "esc", "q", "ctrl+c":
		return keyRankLeave
	case "?":
		return 2
	case "enter":
		return 1
	}
	return 0
}

// essential bindings close a screen's help line (see Model.help).
func essential(k key.Binding) bool { return keyRank(k) == keyRankLeave }

// HelpBlock renders several groups of bindings as columns (the "?" view).
func (c *Common) HelpBlock(groups [][]key.Binding) string {
	c.help.Width = c.Width - 2
	return c.help.FullHelpView(groups)
}

// component is one step of the flow. Components mutate themselves (pointer
// receivers) and talk to the root through messages (stepDoneMsg...).
type component interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View() string
	// SetSize gives the body area left after the header and help line.
	SetSize(width, height int)
	// Help lists the bindings that work right now.
	Help() []key.Binding
}

// typer is a component that may be taking text, where "?" is a character.
type typer interface{ typing() bool }

// ownHelper is a component that shows its own "?" view.
type ownHelper interface{ ownHelp() bool }
