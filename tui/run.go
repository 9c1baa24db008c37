package tui

import (
	"context"
	"fmt"
	"github.com/pdxhq/pdx/source/engine"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// refreshEvery is how often the run screen pulls a snapshot: engine events
// of any rate are coalesced into at most this many redraws.
const refreshEvery = 100 * time.Millisecond

type tickMsg struct{}

// runDoneMsg says the backend's Run returned.
type runDoneMsg struct {
	res Result
	err error
}

// runStep is the live progress screen.
type runStep struct {
	c          *Common
	formats    []FormatInfo
	plan       Plan
	tracker    *Tracker
	snap       Snapshot
	start      time.Time
	w, h       int
	offset     int
	manual     bool // the user scrolled: stop following the active streams
	confirming bool
	stopping   bool
	cancel     context.CancelFunc
	done       chan runDoneMsg
	finished   bool
}

func newRunStep(c *Common, formats []FormatInfo, plan Plan, tracker *Tracker, cancel context.CancelFunc, done chan runDoneMsg) *runStep {
	s := &runStep{c: c, formats: formats, plan: plan, tracker: tracker, cancel: cancel, done: done, start: c.Now()}
	s.snap = tracker.Snapshot()
	s.SetSize(c.Width, c.Height)
	return s
}

func tick() tea.Cmd { return tea.Tick(refreshEvery, func(time.Time) tea.Msg { return tickMsg{} }) }

// waitDone turns the end of the run into a message.
func waitDone(ch <-chan runDoneMsg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

func (s *runStep) Init() tea.Cmd { return tea.Batch(tick(), waitDone(s.done)) }

func (s *runStep) SetSize(w, h int) { s.w, s.h = w, h }

func (s *runStep) Help() []key.Binding {
	k := s.c.Keys
	switch {
	case s.stopping:
		return nil
	case s.confirming:
		return []key.Binding{k.Yes, k.No}
	}
	return []key.Binding{k.Up, k.Down, k.Stop}
}

func (s *runStep) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tickMsg:
		s.snap = s.tracker.Snapshot()
		s.follow()
		if s.finished {
			return nil
		}
		return tick()
	case tea.KeyMsg:
		k := s.c.Keys
		if s.stopping {
			if msg.String() == "ctrl+c" {
				return tea.Quit // Run still waits for the state to be saved
			}
			return nil
		}
		if s.confirming {
			switch {
			// A second Ctrl-C is as clear an answer as y.
			case key.Matches(msg, k.Yes) || msg.String() == "ctrl+c":
				s.confirming, s.stopping = false, true
				s.cancel()
			case key.Matches(msg, k.No):
				s.confirming = false
			}
			return nil
		}
		switch {
		case key.Matches(msg, k.Stop):
			s.confirming = true
		case key.Matches(msg, k.Up):
			s.manual = true
			s.scroll(-1)
		case key.Matches(msg, k.Down):
			s.manual = true
			s.scroll(1)
		case key.Matches(msg, k.PageUp):
			s.manual = true
			s.scroll(-s.rowsHeight())
		case key.Matches(msg, k.PageDn):
			s.manual = true
			s.scroll(s.rowsHeight())
		}
	}
	return nil
}

// follow keeps the first active stream in view (streams run in order, so
// finished ones scroll away above), until the user scrolls.
func (s *runStep) follow() {
	if s.manual {
		return
	}
	for i, p := range s.snap.Streams {
		if p.State == StateRunning || p.State == StateWaiting {
			s.offset = 0
			s.scroll(i - 1)
			return
		}
	}
}

func (s *runStep) scroll(d int) {
	maxOff := len(s.snap.Streams) - s.rowsHeight()
	s.offset = max(0, min(s.offset+d, maxOff))
}

// rowsHeight is how many stream rows fit under the header and above the
// status line.
func (s *runStep) rowsHeight() int {
	return max(1, s.h-5-max(1, lipgloss.Height(s.status())))
}

func (s *runStep) View() string {
	st := s.c.Styles
	now := s.c.Now()
	var b strings.Builder
	elapsed := now.Sub(s.start)
	var recs, toks int64
	var done, failed int
	for _, p := range s.snap.Streams {
		recs += p.Records
		toks += p.Tokens
		switch p.State {
		case StateDone:
			done++
		case StateFailed:
			failed++
		}
	}
	overall := fmt.Sprintf("%d/%d streams done · %s records · %s · %s tokens · %s",
		done, len(s.snap.Streams), num(recs), rate(recs, elapsed), num(toks), dur(elapsed))
	if ansi.StringWidth(overall) > s.w-9 {
		// Narrow terminals: the same figures in fewer words, not cut off.
		overall = fmt.Sprintf("%d/%d done · %s rec · %s · %s tok · %s",
			done, len(s.snap.Streams), num(recs), short(rate(recs, elapsed)), num(toks), dur(elapsed))
	}
	if failed > 0 {
		overall += " · " + st.Error.Render(fmt.Sprintf("%d failed", failed))
	}
	dir := s.plan.OutDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if s.plan.OutDir == "-" {
		dir = "standard output"
	}
	b.WriteString(fit(fmt.Sprintf("Writing %s to %s", s.format().runName(), dir), s.w-2) + "\n")
	b.WriteString(st.Heading.Render("Overall") + "  " + overall + "\n")
	b.WriteString(st.Heading.Render("Budget ") + "  " + s.budgetLine() + "\n\n")

	rows := s.snap.Streams
	height := s.rowsHeight()
	off := min(s.offset, max(0, len(rows)-height))
	end := min(len(rows), off+height)
	for i := off; i < end; i++ {
		b.WriteString(s.row(rows[i], now))
		b.WriteByte('\n')
	}
	if off > 0 || end < len(rows) {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  showing %d-%d of %d streams (↑/↓ to scroll)", off+1, end, len(rows))))
	}
	b.WriteByte('\n')
	b.WriteString(s.status())
	return b.String()
}

// status is the text under the table: the stop question, a note. It is
// wrapped, not cut, and the table gives up rows for it (rowsHeight).
func (s *runStep) status() string {
	st := s.c.Styles
	switch {
	case s.stopping:
		return st.Warn.Render(fit("Stopping: finishing the current page and saving state…", s.w-2))
	case s.confirming:
		msg := "Stop the sync? Records already written are kept and state is saved, so the next run resumes."
		if s.unfinishedFullRefresh() {
			msg += " A full refresh still running is not kept: it starts over next time."
		}
		return st.Warn.Render(wrap(msg, s.w-2))
	case s.snap.LastWarning != "":
		return st.Warn.Render(wrap("Note: "+s.snap.LastWarning, s.w-2))
	}
	return ""
}

// budgetLine is the daily API budget meter.
func (s *runStep) budgetLine() string {
	bu := s.snap.Budget
	switch {
	case bu.Exhausted:
		msg := "daily API budget used up: the sync stops and saves state"
		if !bu.ResetAt.IsZero() {
			msg += "; it resets at " + bu.ResetAt.Format("15:04 MST")
		}
		return s.c.Styles.Error.Render(msg)
	case !bu.Known || bu.Limit <= 0:
		return s.c.Styles.Muted.Render("daily API budget not reported yet")
	}
	pct := float64(bu.Remaining) / float64(bu.Limit)
	line := bar(20, pct, s.c.Styles) + fmt.Sprintf(" %s of %s tokens left today", num(bu.Remaining), num(bu.Limit))
	if ansi.StringWidth(line) > s.w-9 {
		line = bar(10, pct, s.c.Styles) + fmt.Sprintf(" %s of %s left", num(bu.Remaining), num(bu.Limit))
	}
	return line
}

const (
	colName   = 20
	colRecs   = 9
	colRate   = 8
	colState  = 13
	colTokens = 10 // "12,345 tok": a long run spends thousands per stream
)

// unfinishedFullRefresh reports a full refresh into its own file still
// under way: stopping drops its hidden partial file.
func (s *runStep) unfinishedFullRefresh() bool {
	if !s.format().StagesFullRefresh {
		return false
	}
	full := map[string]bool{}
	for _, c := range s.plan.Streams {
		full[c.Stream] = c.Mode == engine.FullRefresh
	}
	for _, p := range s.snap.Streams {
		if full[p.Name] && p.State != StateDone && p.State != StateFailed {
			return true
		}
	}
	return false
}

// row draws one stream: icon, name, bar, records, rate, state, tokens.
func (s *runStep) row(p StreamProgress, now time.Time) string {
	st := s.c.Styles
	// Narrow terminals drop the rate and token columns before the bar.
	wide := s.w >= 2+colName+colRecs+colRate+colState+colTokens+5+10
	fixed := 2 + colName + colRecs + colState + 3
	if wide {
		fixed += colRate + colTokens + 2
	}
	barW := max(4, min(s.w-fixed, 40))
	frame := int(now.UnixMilli() / refreshEvery.Milliseconds())
	icon, state := "", ""
	var style lipgloss.Style
	switch p.State {
	case StateQueued:
		icon, state, style = "·", "queued", st.Muted
	case StateRunning:
		frames := spinner.MiniDot.Frames
		icon, state, style = frames[frame%len(frames)], "running", st.Text
	case StateWaiting:
		left := p.WaitUntil.Sub(now)
		icon, style = "◷", st.Muted
		if p.Throttled {
			style = st.Warn // Pipedrive refused a request: worth a colour
		}
		switch {
		case left > 0 && p.Throttled:
			state = "429, wait " + dur((left+time.Second-1)/time.Second*time.Second)
		case left > 0:
			// pdx's own pacing: the stream's turn comes (earlier streams
			// go first), nothing is wrong.
			state = "turn in " + dur((left+time.Second-1)/time.Second*time.Second)
		default:
			state = "running"
		}
	case StateDone:
		icon, state, style = "✓", "done", st.OK
	case StateFailed:
		icon, state, style = "✗", "failed", st.Error
	}
	var b string
	switch {
	case p.State == StateDone:
		b = bar(barW, 1, st)
	case p.Total > 0:
		b = bar(barW, float64(p.Records)/float64(p.Total), st)
	case p.State == StateRunning || p.State == StateWaiting:
		b = activity(barW, frame, st)
	default:
		b = st.Muted.Render(strings.Repeat("░", barW))
	}
	var elapsed time.Duration
	if !p.Started.IsZero() {
		end := now
		if !p.Ended.IsZero() {
			end = p.Ended
		}
		elapsed = end.Sub(p.Started)
	}
	line := style.Render(icon) + " " + fit(p.Name, colName) + " " + b + " " + right(num(p.Records), colRecs) + " "
	if wide {
		r := ""
		if p.State != StateQueued {
			r = short(rate(p.Records, elapsed))
		}
		line += right(r, colRate) + " "
	}
	line += style.Render(fit(state, colState))
	if wide {
		line += " " + right(num(p.Tokens)+" tok", colTokens)
	}
	return line
}

// activity is an indeterminate bar: a block sliding back and forth, so the
// screen never pretends to know a total it does not.
func activity(w, frame int, st Styles) string {
	const block = 3
	span := max(1, w-block)
	pos := frame % (2 * span)
	if pos >= span {
		pos = 2*span - pos
	}
	return st.Muted.Render(strings.Repeat("░", pos)) +
		st.Selected.Render(strings.Repeat("▓", block)) +
		st.Muted.Render(strings.Repeat("░", max(0, w-pos-block)))
}

// rate is records per second over d, "-" before there is anything to say.
func rate(n int64, d time.Duration) string {
	if d < time.Second/2 || n == 0 {
		return "- rec/s"
	}
	return num(int64(float64(n)/d.Seconds())) + " rec/s"
}

// short is rate without the unit word, for the narrow column.
func short(r string) string { return strings.TrimSuffix(r, " rec/s") + "/s" }

// bar is a determinate progress bar of w cells at fraction f (0..1).
func bar(w int, f float64, st Styles) string {
	f = max(0, min(1, f))
	full := int(f*float64(w) + 0.5)
	return st.Selected.Render(strings.Repeat("█", full)) + st.Muted.Render(strings.Repeat("░", w-full))
}

// format is the plan's format as the registry describes it.
func (s *runStep) format() FormatInfo {
	for _, f := range s.formats {
		if f.Name == s.plan.Format {
			return f
		}
	}
	return FormatInfo{Name: s.plan.Format, Label: string(s.plan.Format)}
}
