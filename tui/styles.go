package tui

import (
	"io"
	"os"

	"github.com/muesli/termenv"

	"github.com/charmbracelet/lipgloss"
)

// Styles is every style the UI uses; nothing else creates colours.
type Styles struct {
	App      lipgloss.Style
	Title    lipgloss.Style
	Crumb    lipgloss.Style
	CrumbOn  lipgloss.Style
	Heading  lipgloss.Style
	Text     lipgloss.Style
	Muted    lipgloss.Style
	Hint     lipgloss.Style
	Selected lipgloss.Style
	Cursor   lipgloss.Style
	OK       lipgloss.Style
	Warn     lipgloss.Style
	Error    lipgloss.Style
	// Placeholder is the hint text in an empty input (the bubbles default
	// is grey, a colour).
	Placeholder lipgloss.Style
	HelpKey     lipgloss.Style
	HelpDesc    lipgloss.Style
	HelpSep     lipgloss.Style
	NoColor     bool
}

// TerminalProfile is the colour profile to draw with on out and whether
// colours are off. NO_COLOR (https://no-color.org) removes colour, not
// emphasis: a terminal that can do ANSI keeps bold, underline and reverse
// (the breadcrumb's current step), with no colour set anywhere (NewStyles).
func TerminalProfile(out io.Writer) (termenv.Profile, bool) {
	detected := termenv.Ascii
	if f, ok := out.(*os.File); ok {
		detected = termenv.NewOutput(f).Profile
	}
	return profileFor(detected, NoColorRequested())
}

// profileFor: the terminal's own profile, down to plain ANSI (which every
// emphasis needs and no colour is asked of) when NO_COLOR is set.
func profileFor(detected termenv.Profile, noColor bool) (termenv.Profile, bool) {
	if detected == termenv.Ascii {
		return termenv.Ascii, true // a dumb terminal or not one at all
	}
	if noColor {
		return termenv.ANSI, true
	}
	return detected, false
}

// NoColorRequested follows https://no-color.org: any non-empty NO_COLOR.
func NoColorRequested() bool { return os.Getenv("NO_COLOR") != "" }

// NewStyles builds the palette; with noColor it keeps only bold/faint so
// the screen still reads well (and colour never carries meaning alone).
func NewStyles(noColor bool) Styles {
	c := func(s lipgloss.Style, col string) lipgloss.Style {
		if noColor {
			return s
		}
		return s.Foreground(lipgloss.AdaptiveColor{Light: col, Dark: col})
	}
	s := Styles{NoColor: noColor}
	s.App = lipgloss.NewStyle().Padding(0, 1)
	s.Title = c(lipgloss.NewStyle().Bold(true), "#7D56F4")
	s.Crumb = c(lipgloss.NewStyle(), "#888888")
	s.CrumbOn = c(lipgloss.NewStyle().Bold(true).Underline(true), "#7D56F4")
	s.Heading = c(lipgloss.NewStyle().Bold(true), "#5A9BD5")
	s.Text = lipgloss.NewStyle()
	s.Muted = c(lipgloss.NewStyle(), "#888888")
	s.Hint = c(lipgloss.NewStyle().Italic(!noColor), "#999999")
	s.Selected = c(lipgloss.NewStyle(), "#04B575")
	s.Cursor = c(lipgloss.NewStyle().Bold(true), "#EE6FF8")
	s.OK = c(lipgloss.NewStyle(), "#04B575")
	s.Warn = c(lipgloss.NewStyle(), "#E5C07B")
	s.Error = c(lipgloss.NewStyle().Bold(true), "#E06C75")
	s.Placeholder = lipgloss.NewStyle().Faint(true)
	if !noColor {
		s.Placeholder = lipgloss.NewStyle().Foreground(lipgloss.Color("240")) // bubbles' own
	}
	s.HelpKey = c(lipgloss.NewStyle(), "#909090")
	s.HelpDesc = c(lipgloss.NewStyle(), "#B2B2B2")
	s.HelpSep = c(lipgloss.NewStyle(), "#DDDADA")
	return s
}
