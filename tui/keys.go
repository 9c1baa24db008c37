package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the UI, in one place; each step lists the
// ones it uses in its help line, so the help can never lie.
type KeyMap struct {
	Up, Down       key.Binding
	PageUp, PageDn key.Binding
	Toggle         key.Binding
	Mode           key.Binding
	All, None      key.Binding
	Filter         key.Binding
	ClearFilter    key.Binding
	Next           key.Binding
	Back           key.Binding
	Tab            key.Binding
	Choose         key.Binding
	Start          key.Binding
	Stop           key.Binding
	Account        key.Binding
	MoreHelp       key.Binding
	Yes, No        key.Binding
	RunAgain       key.Binding
	ToStreams      key.Binding
	Home, End      key.Binding
	Quit           key.Binding
	ForceQuit      key.Binding
}

// DefaultKeyMap is the key map pdx ships with.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:          b("↑/k", "up", "up", "k"),
		Down:        b("↓/j", "down", "down", "j"),
		PageUp:      b("pgup", "page up", "pgup"),
		PageDn:      b("pgdn", "page down", "pgdown"),
		Toggle:      b("space", "select", " "),
		Mode:        b("m", "mode", "m"),
		All:         b("a", "all", "a"),
		None:        b("n", "none", "n"),
		Filter:      b("/", "filter", "/"),
		ClearFilter: b("esc", "clear filter", "esc"),
		Next:        b("enter", "next", "enter"),
		Back:        b("esc", "back", "esc"),
		Tab:         b("tab", "next field", "tab", "shift+tab"),
		Choose:      b("↑/↓", "choose", "up", "down"),
		Start:       b("enter", "next/start", "enter"),
		Stop:        b("q", "stop", "q", "ctrl+c"),
		Account:     b("c", "change account", "c"),
		MoreHelp:    b("?", "all keys", "?"),
		Yes:         b("y", "yes", "y", "Y"),
		No:          b("n", "no", "n", "N", "esc"),
		RunAgain:    b("r", "run again", "r"),
		ToStreams:   b("s", "streams", "s"),
		Home:        b("g/home", "first", "g", "home"),
		End:         b("G/end", "last", "G", "end"),
		Quit:        b("q", "quit", "q", "ctrl+c"),
		ForceQuit:   b("ctrl+c", "quit", "ctrl+c"),
	}
}

// bindings is a help.KeyMap over a fixed list.
type bindings []key.Binding

func (b bindings) ShortHelp() []key.Binding  { return b }
func (b bindings) FullHelp() [][]key.Binding { return [][]key.Binding{b} }
