package tui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
)

// outputDoneMsg carries the chosen output.
type outputDoneMsg struct {
	format Format
	dir    string
}

// outputStep picks the format and the directory (a huh form).
type outputStep struct {
	c      *Common
	form   *huh.Form
	format Format
	dir    string
	w, h   int
	// submitted is set once the choice was sent to the root.
	submitted bool
}

func newOutputStep(c *Common, formats []FormatInfo, format Format, dir string) *outputStep {
	if format == "" && len(formats) > 0 {
		format = formats[0].Name
	}
	if dir == "" {
		dir = "pdx-export"
	}
	s := &outputStep{c: c, format: format, dir: dir}
	var opts []huh.Option[Format]
	for _, fi := range formats {
		opts = append(opts, huh.NewOption(fi.Label+": "+fi.Description, fi.Name))
	}
	theme := huh.ThemeCharm()
	if c.Styles.NoColor {
		theme = huh.ThemeBase()
		// ThemeBase still greys the placeholder: emphasis only.
		theme.Focused.TextInput.Placeholder = c.Styles.Placeholder
		theme.Blurred.TextInput.Placeholder = c.Styles.Placeholder
	}
	s.form = huh.NewForm(huh.NewGroup(
		huh.NewSelect[Format]().Title("Format").Options(opts...).Value(&s.format),
		huh.NewInput().Title("Directory").
			Description("Created if missing; files are named after the streams (\"-\" sends Airbyte messages to standard output).").
			Value(&s.dir).Validate(func(d string) error { return validDir(d, s.format, formats) }),
	)).WithShowHelp(false).WithTheme(theme)
	s.SetSize(c.Width, c.Height)
	return s
}

// validDir rejects what cannot be a directory name before the run starts;
// "-" only for a format that can write to standard output.
func validDir(d string, f Format, formats []FormatInfo) error {
	d = strings.TrimSpace(d)
	if d == "" {
		return errors.New("enter a directory, e.g. pdx-export")
	}
	if d == "-" {
		var stdout []string
		for _, fi := range formats {
			if fi.Name == f && fi.Stdout {
				return nil
			}
			if fi.Stdout {
				stdout = append(stdout, fi.Label)
			}
		}
		return fmt.Errorf(`"-" (standard output) works only with %s; enter a directory`, strings.Join(stdout, " or "))
	}
	if strings.ContainsRune(d, 0) {
		return errors.New("the directory name has an invalid character")
	}
	return nil
}

func (s *outputStep) Init() tea.Cmd { return s.form.Init() }

func (s *outputStep) SetSize(w, h int) {
	s.w, s.h = w, h
	s.form = s.form.WithWidth(max(20, w-2)).WithHeight(max(8, h-4))
}

func (s *outputStep) Help() []key.Binding {
	k := s.c.Keys
	return []key.Binding{k.Choose, k.Tab, k.Start, k.Back, k.ForceQuit}
}

func (s *outputStep) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok && key.Matches(km, s.c.Keys.Back) {
		return func() tea.Msg { return backMsg{} }
	}
	m, cmd := s.form.Update(msg)
	if f, ok := m.(*huh.Form); ok {
		s.form = f
	}
	if s.form.State == huh.StateCompleted && !s.submitted {
		s.submitted = true // messages still in flight must not start a second run
		f, d := s.format, strings.TrimSpace(s.dir)
		if d != "-" {
			d = filepath.Clean(d)
		}
		return tea.Batch(cmd, func() tea.Msg { return outputDoneMsg{format: f, dir: d} })
	}
	return cmd
}

// typing: the directory field takes every key ("?" included).
func (s *outputStep) typing() bool {
	_, ok := s.form.GetFocusedField().(*huh.Input)
	return ok
}

func (s *outputStep) View() string {
	st := s.c.Styles
	var b strings.Builder
	b.WriteString(st.Heading.Render("Where should the data go?") + "\n\n")
	b.WriteString(s.form.View())
	return b.String()
}
