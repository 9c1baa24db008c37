package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/pdxhq/pdx/source/engine"
)

// Outcome is what the UI reports to the command when it exits.
type Outcome struct {
	Ran             bool // a sync was started
	Stopped         bool // the user stopped it
	Interrupted     bool // the screen closed (signal, lost terminal) during the run
	Failed          int  // streams that did not finish
	BudgetExhausted bool
	Err             error  // the run as a whole failed (already explained in Summary)
	Summary         string // a plain-text summary to leave on the terminal
}

// summaryStep is the end screen: what happened, where the files are, what
// failed and why, and how to run the same thing headless.
type summaryStep struct {
	c *Common
	// canRetry: the run could not start, so going back to the output
	// choice (esc) is the obvious fix.
	canRetry bool
	vp       viewport.Model
	text     string
	w, h     int
}

// summarize builds the outcome and its plain text from the final snapshot.
func summarize(b Backend, plan Plan, snap Snapshot, res Result, runErr error, stopped, interrupted bool, elapsed time.Duration, st Styles, width int) (Outcome, string) {
	o := Outcome{Ran: true, Stopped: stopped && !interrupted, Interrupted: interrupted, BudgetExhausted: snap.Budget.Exhausted}
	var recs int64
	for _, p := range snap.Streams {
		if !res.Dropped[p.Name] {
			recs += p.Records
		}
		if p.State != StateDone {
			o.Failed++
		}
		if p.Failure == engine.TransientError && snap.Budget.Exhausted {
			o.BudgetExhausted = true
		}
	}
	tw := max(20, width-4)
	var sb strings.Builder
	head := ""
	switch {
	case runErr != nil && !stopped:
		head = st.Error.Render("✗ The sync could not run.")
		o.Err = runErr
	case stopped && interrupted:
		head = st.Warn.Render(fmt.Sprintf("■ Sync interrupted after %s: %s records saved.", dur(elapsed), num(recs)))
	case stopped:
		head = st.Warn.Render(fmt.Sprintf("■ Sync stopped by you after %s: %s records saved.", dur(elapsed), num(recs)))
	case o.BudgetExhausted:
		head = st.Warn.Render(fmt.Sprintf("■ Daily API budget used up after %s: %s records saved.", dur(elapsed), num(recs)))
	case o.Failed > 0:
		head = st.Warn.Render(fmt.Sprintf("■ Sync finished in %s with %d failed stream(s): %s records.", dur(elapsed), o.Failed, num(recs)))
	default:
		head = st.OK.Render(fmt.Sprintf("✓ Sync finished in %s: %s records from %d streams.", dur(elapsed), num(recs), len(snap.Streams)))
	}
	sb.WriteString(head + "\n")
	if runErr != nil && !stopped {
		sb.WriteString(wrap(b.Explain(runErr), tw) + "\n")
		if !started(snap) {
			sb.WriteString(wrap("Nothing was written. Press esc to change the output, or q to quit.", tw) + "\n")
		}
	}
	if stopped || o.BudgetExhausted || o.Failed > 0 {
		if res.StateSaved {
			sb.WriteString(wrap("State is saved: running the same sync again continues where this one stopped.", tw) + "\n")
		}
		if len(res.Dropped) > 0 {
			sb.WriteString(wrap("Full-refresh streams that did not finish were not kept: their previous file stays, and they start over next run.", tw) + "\n")
		}
	}
	switch {
	case o.BudgetExhausted && res.BudgetNote != "":
		sb.WriteString(wrap(res.BudgetNote, tw) + "\n")
	case o.BudgetExhausted && !snap.Budget.ResetAt.IsZero():
		sb.WriteString(wrap("The budget resets around "+snap.Budget.ResetAt.UTC().Format("15:04 UTC")+" (estimated).", tw) + "\n")
	}
	dir := plan.OutDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if files := fileList(res.Files); len(files) > 0 {
		sb.WriteString("\n" + st.Heading.Render("Files") + "  " + wrap(fmt.Sprintf("%d in %s", len(files), dir), tw-7) + "\n")
	}
	// Streams failing for the same reason (a used-up budget, a rejected
	// token) share one line, so the reason is read once and the table stays
	// in view.
	var reasons []string
	failed := map[string][]string{}
	var rows strings.Builder
	rows.WriteString(st.Heading.Render(fmt.Sprintf("%-20s %10s %8s  %s", "Stream", "Records", "Time", "Result")) + "\n")
	for _, p := range snap.Streams {
		t := ""
		if !p.Started.IsZero() && !p.Ended.IsZero() {
			t = dur(p.Ended.Sub(p.Started))
		}
		result := "done"
		switch p.State {
		case StateFailed:
			result = "failed"
			why := "stopped early"
			switch {
			case stopped && isCancel(p.Err) && p.Started.IsZero():
				result, why = "not started", ""
			case stopped && isCancel(p.Err):
				result, why = "stopped", ""
			case p.Err != nil:
				why = b.Explain(p.Err)
			}
			if why != "" {
				if failed[why] == nil {
					reasons = append(reasons, why)
				}
				failed[why] = append(failed[why], p.Name)
			}
		case StateQueued:
			result = "not started"
		case StateRunning, StateWaiting:
			result = "stopped"
		}
		if res.Dropped[p.Name] {
			result += ", not kept"
		}
		line := fmt.Sprintf("%s %10s %8s  %s", fit(p.Name, 20), num(p.Records), t, result)
		if result != "done" {
			line = st.Warn.Render(line)
		}
		rows.WriteString(line + "\n")
	}
	if len(reasons) > 0 {
		sb.WriteString("\n" + st.Error.Render("What failed") + "\n")
		for _, why := range reasons {
			sb.WriteString(wrap("✗ "+strings.Join(failed[why], ", ")+": "+why, tw) + "\n")
		}
	}
	cmd := res.Command
	if cmd == "" {
		abs := plan
		abs.OutDir = dir
		fullOnly := map[string]bool{}
		for _, si := range b.Streams() {
			fullOnly[si.Name] = !si.SupportsIncremental
		}
		cmd = HeadlessCommand(b.Profile(), b.Demo(), abs, fullOnly)
	}
	sb.WriteString("\n" + st.Heading.Render("Run the same sync without the UI") + "\n")
	sb.WriteString(wrapCommand(cmd, tw) + "\n")
	if started(snap) || runErr == nil {
		sb.WriteString("\n" + rows.String())
	}
	return o, sb.String()
}

// started reports whether any stream began.
func started(snap Snapshot) bool {
	for _, p := range snap.Streams {
		if p.State != StateQueued {
			return true
		}
	}
	return false
}

// isCancel reports an error caused by the user stopping the run.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || err != nil && strings.Contains(err.Error(), "context canceled")
}

// fileList flattens the per-stream files to base names, sorted.
func fileList(files map[string][]string) []string {
	var out []string
	for _, fs := range files {
		for _, f := range fs {
			out = append(out, filepath.Base(f))
		}
	}
	sort.Strings(out)
	return out
}

// HeadlessCommand is the `pdx sync --no-tui` line that repeats plan. One
// --mode covers the plan when every stream that can be incremental has the
// same mode (full-only streams are read in full under either); otherwise
// the per-stream modes come from the saved profile.
func HeadlessCommand(profile string, demo bool, plan Plan, fullOnly map[string]bool) string {
	args := []string{"pdx", "sync", "--no-tui"}
	if demo {
		args = append(args, "--demo")
	} else if profile != "" {
		args = append(args, "--profile", shellQuote(profile))
	}
	var names []string
	modes := map[Mode]bool{}
	for _, c := range plan.Streams {
		names = append(names, c.Stream)
		if !fullOnly[c.Stream] {
			modes[c.Mode] = true
		}
	}
	args = append(args, "--streams", strings.Join(names, ","))
	if len(modes) == 1 {
		for m := range modes {
			args = append(args, "--mode", map[Mode]string{Incremental: "incremental", FullRefresh: "full"}[m])
		}
	}
	args = append(args, "--format", string(plan.Format), "--out", shellQuote(plan.OutDir))
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func newSummaryStep(c *Common, text string) *summaryStep {
	s := &summaryStep{c: c, text: text, vp: viewport.New(c.Width, c.Height)}
	s.vp.SetContent(text)
	return s
}

func (s *summaryStep) Init() tea.Cmd { return nil }

func (s *summaryStep) SetSize(w, h int) {
	s.w, s.h = w, h
	s.vp.Width, s.vp.Height = max(10, w-2), max(3, h)
	s.vp.SetContent(s.text)
}

func (s *summaryStep) Help() []key.Binding {
	k := s.c.Keys
	h := []key.Binding{k.Quit}
	if s.canRetry {
		h = append([]key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "change the output"))}, h...)
	}
	if s.vp.TotalLineCount() > s.vp.Height {
		h = append([]key.Binding{k.Up, k.Down}, h...)
	}
	return h
}

func (s *summaryStep) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(km, s.c.Keys.Quit) || km.Type == tea.KeyEnter:
			return tea.Quit
		case km.Type == tea.KeyEsc && s.canRetry:
			return func() tea.Msg { return backMsg{} }
		}
	}
	var cmd tea.Cmd
	s.vp, cmd = s.vp.Update(msg)
	return cmd
}

func (s *summaryStep) View() string { return s.vp.View() }

// wrapCommand breaks a long command at argument boundaries with shell line
// continuations, so it can still be copied and pasted as is; a stream list
// too long for one line becomes several --streams flags (they add up).
func wrapCommand(cmd string, w int) string {
	fields := strings.Fields(cmd)
	var args []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if f == "--streams" && i+1 < len(fields) && len(f)+1+len(fields[i+1])+4 > w {
			for _, chunk := range chunkList(fields[i+1], w-len(f)-5) {
				args = append(args, f+" "+chunk)
			}
			i++
			continue
		}
		if valueFlags[f] && i+1 < len(fields) {
			f += " " + fields[i+1] // a flag and its value stay on one line
			i++
		}
		args = append(args, f)
	}
	var lines []string
	cur := ""
	for _, a := range args {
		switch {
		case cur == "":
			cur = a
		case len(cur)+1+len(a)+2 > w:
			lines = append(lines, cur+" \\")
			cur = "  " + a
		default:
			cur += " " + a
		}
	}
	return strings.Join(append(lines, cur), "\n")
}

var valueFlags = map[string]bool{"--profile": true, "--streams": true, "--mode": true, "--format": true, "--out": true}

// chunkList splits "a,b,c" into comma lists of at most w characters.
func chunkList(list string, w int) []string {
	var out []string
	cur := ""
	for _, item := range strings.Split(list, ",") {
		switch {
		case cur == "":
			cur = item
		case len(cur)+1+len(item) > w:
			out = append(out, cur)
			cur = item
		default:
			cur += "," + item
		}
	}
	return append(out, cur)
}
