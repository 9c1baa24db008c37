package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// NO_COLOR keeps a terminal's emphasis (ANSI) and drops only colours.
func TestProfileFor(t *testing.T) {
	tests := []struct {
		detected termenv.Profile
		noColor  bool
		want     termenv.Profile
		wantOff  bool
	}{
		{termenv.TrueColor, false, termenv.TrueColor, false},
		{termenv.TrueColor, true, termenv.ANSI, true},
		{termenv.ANSI256, true, termenv.ANSI, true},
		{termenv.Ascii, false, termenv.Ascii, true},
		{termenv.Ascii, true, termenv.Ascii, true},
	}
	for _, tt := range tests {
		p, off := profileFor(tt.detected, tt.noColor)
		if p != tt.want || off != tt.wantOff {
			t.Errorf("profileFor(%v, %v) = %v, %v; want %v, %v", tt.detected, tt.noColor, p, off, tt.want, tt.wantOff)
		}
	}
}

// sgr matches one SGR sequence; its parameters say what it sets.
var sgr = regexp.MustCompile("\x1b\\[([0-9;]*)m")

// With NO_COLOR on an ANSI terminal every screen keeps bold/underline (the
// breadcrumb's current step) and sets no colour at all.
func TestNoColorKeepsEmphasis(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	screens := []struct {
		name  string
		creds bool
		keys  string
	}{
		{"connect", false, ""},
		{"token", false, "enter"},
		{"streams", true, ""},
		{"filter", true, "/"},
		{"output", true, "enter"},
	}
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			m := newRoot(&fakeBackend{hasCreds: sc.creds})
			follow(m, sc.keys)
			v := m.View()
			bold := false
			for _, g := range sgr.FindAllStringSubmatch(v, -1) {
				for _, p := range strings.Split(g[1], ";") {
					switch {
					case p == "1" || p == "4":
						bold = true
					case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p != "39" && p != "49",
						len(p) == 3 && p[0] == '1' && p[1] == '0':
						t.Errorf("a colour (SGR %s) in %q", g[1], g[0])
					}
				}
			}
			if !bold {
				t.Errorf("no bold or underline left on the screen:\n%q", v)
			}
		})
	}
}
