package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// The root's own parts of every screen: the "?" list of keys, the help
// line's "?", and the notice under the header.

// helpHere: "?" is the root's on this screen (the picker has its own, and
// a field taking text takes it as a character).
func (m *Model) helpHere() bool {
	c := m.current()
	if t, ok := c.(typer); ok && t.typing() {
		return false
	}
	o, ok := c.(ownHelper)
	return !ok || !o.ownHelp()
}

// help is the current screen's help line bindings, with "?" where the root
// answers it.
func (m *Model) help() []key.Binding {
	h := m.current().Help()
	k := m.c.Keys
	if m.allKeys {
		return []key.Binding{key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "fewer keys")), k.ForceQuit}
	}
	if !m.helpHere() || len(h) == 0 {
		return h
	}
	// "?" goes before the keys that leave, so those stay last.
	i := len(h)
	for i > 0 && essential(h[i-1]) {
		i--
	}
	return slices.Insert(slices.Clone(h), i, k.MoreHelp)
}

// allKeysView is the "?" view: every key of the screen, in columns.
func (m *Model) allKeysView() string {
	var groups [][]key.Binding
	for _, b := range m.current().Help() {
		if len(groups) == 0 || len(groups[len(groups)-1]) == 3 {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], b)
	}
	groups = append(groups, []key.Binding{m.c.Keys.MoreHelp, m.c.Keys.ForceQuit})
	return m.c.Styles.Heading.Render("All keys on this screen") + "\n\n" + m.c.HelpBlock(groups)
}

// noticeLines is the notice under the header, wrapped to the width (never
// cut: it says what happened and what to do).
func (m *Model) noticeLines() []string {
	if m.notice == "" {
		return []string{""}
	}
	return strings.Split(wrap(m.notice, max(1, m.c.Width-2)), "\n")
}
