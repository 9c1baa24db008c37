package tui

import (
	"context"
	"fmt"
	"github.com/pdxhq/pdx/source/client"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Step names the screens in flow order.
type Step int

const (
	StepConnect Step = iota
	StepStreams
	StepOutput
	StepRun
	StepSummary
)

var stepNames = []string{"Connect", "Streams", "Output", "Run", "Summary"}

func (s Step) String() string { return stepNames[s] }

// whoamiMsg is the background check of a saved credential.
type whoamiMsg struct {
	id     Identity
	budget Budget
	err    error
}

// Model is the root Bubble Tea model: it owns the shared Common, routes
// messages to the current step and moves between steps.
type Model struct {
	c       *Common
	ctx     context.Context
	step    Step
	connect *connectStep
	streams *streamsStep
	output  *outputStep
	run     *runStep
	summary *summaryStep

	who         Identity
	budget      Budget
	notice      string // one-line status under the header (e.g. save failed)
	plan        Plan
	outcome     Outcome
	watch       bool          // only Run and Summary (pdx sync in a terminal)
	crash       string        // a panic caught in Update or View (a bug)
	runEnded    chan struct{} // closed once Backend.Run returned
	lastRun     runDoneMsg    // written by the run goroutine before runEnded closes
	interrupted bool          // the screen closed before the run ended
}

// New builds the root model. ctx bounds the sync a run starts.
func New(ctx context.Context, c *Common) *Model {
	m := &Model{c: c, ctx: ctx}
	set := c.Backend.Settings()
	m.streams = newStreamsStep(c, c.Backend.Streams(), set.Streams)
	if c.Backend.HasCredentials() {
		m.step = StepStreams
	} else {
		m.step = StepConnect
		m.connect = newConnectStep(c, false, "")
	}
	return m
}

// Step is the current screen (for tests).
func (m *Model) Step() Step { return m.step }

// Outcome is what happened, once the program ended.
func (m *Model) Outcome() Outcome { return m.outcome }

// RunEnded is closed when a started sync has returned (nil if none started).
func (m *Model) RunEnded() <-chan struct{} { return m.runEnded }

func (m *Model) Init() tea.Cmd {
	if m.watch {
		return m.startRun()
	}
	if m.step == StepStreams {
		b := m.c.Backend
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(m.ctx, verifyTimeout)
			defer cancel()
			id, bu, err := b.Whoami(ctx)
			return whoamiMsg{id: id, budget: bu, err: err}
		}
	}
	return m.current().Init()
}

func (m *Model) current() component {
	switch m.step {
	case StepConnect:
		return m.connect
	case StepStreams:
		return m.streams
	case StepOutput:
		return m.output
	case StepRun:
		return m.run
	}
	return m.summary
}

// bodyHeight is what is left for a step after the header and help line.
func (m *Model) bodyHeight() int { return max(3, m.c.Height-3) }

func (m *Model) resize() {
	w, h := m.c.Width-2, m.bodyHeight()
	for _, c := range []component{m.connect, m.streams, m.output, m.run, m.summary} {
		if c != nil && !isNilComponent(c) {
			c.SetSize(w, h)
		}
	}
}

// isNilComponent catches typed nil pointers stored in the interface.
func isNilComponent(c component) bool {
	switch v := c.(type) {
	case *connectStep:
		return v == nil
	case *streamsStep:
		return v == nil
	case *outputStep:
		return v == nil
	case *runStep:
		return v == nil
	case *summaryStep:
		return v == nil
	}
	return false
}

// Update routes msg; a bug that panics in a step becomes a plain message
// on screen instead of a stack trace over the user's terminal.
func (m *Model) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	if m.crash != "" {
		if _, ok := msg.(tea.KeyMsg); ok {
			return m, tea.Quit
		}
		return m, nil
	}
	defer func() {
		if r := recover(); r != nil {
			m.crashed(r)
			cmd = nil
		}
	}()
	return m.update(msg)
}

// crashed stops a running sync (it saves state) and keeps the reason.
func (m *Model) crashed(r any) {
	m.crash = fmt.Sprint(r)
	if m.run != nil && m.run.cancel != nil {
		m.run.cancel()
	}
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.KeyMsg:
		// Fast typing (or tmux send-keys) can deliver several runes in one
		// message; keys like "/" must still act one by one.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
			var cmds []tea.Cmd
			for _, r := range msg.Runes {
				_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt, Paste: msg.Paste})
				cmds = append(cmds, cmd)
			}
			return m, tea.Batch(cmds...)
		}
		// Ctrl-C quits at once except during a run, where it asks first.
		if msg.String() == "ctrl+c" && m.step != StepRun && m.step != StepSummary {
			return m, tea.Quit
		}
	case whoamiMsg:
		if client.IsBudgetExhausted(msg.err) {
			// Pipedrive answered, with the day's budget used up: the
			// credentials work, the budget is what is missing (after a
			// budget stop this is the usual first answer).
			bu := Budget{Known: true, Exhausted: true}
			if at, ok := client.BudgetResetAt(msg.err); ok {
				bu.ResetAt = at
			}
			m.budget = bu
			m.streams.SetBudget(bu, m.who.User)
			m.notice = "Credentials saved; " + m.c.Backend.Explain(msg.err)
			return m, nil
		}
		if msg.err != nil {
			// Stay: a network blip must not force a new login. The notice
			// says what happened and how to connect again.
			m.notice = "Saved credentials not confirmed (press c to connect again): " + m.c.Backend.Explain(msg.err)
			return m, nil
		}
		m.notice = ""
		m.who, m.budget = msg.id, msg.budget
		m.streams.SetBudget(msg.budget, msg.id.User)
		return m, nil
	case connectedMsg:
		if m.step != StepConnect {
			return m, nil
		}
		m.who, m.budget, m.notice = msg.id, msg.budget, ""
		m.streams.SetBudget(msg.budget, msg.id.User)
		return m, m.goTo(StepStreams)
	case reconnectMsg:
		m.connect = newConnectStep(m.c, true, "")
		return m, m.goTo(StepConnect)
	case backMsg:
		switch m.step {
		case StepConnect:
			return m, m.goTo(StepStreams)
		case StepOutput:
			return m, m.goTo(StepStreams)
		case StepSummary:
			if m.summary.canRetry && !m.watch {
				m.output = newOutputStep(m.c, m.plan.Format, m.plan.OutDir)
				return m, m.goTo(StepOutput)
			}
		}
		return m, nil
	case streamsDoneMsg:
		if m.step != StepStreams {
			return m, nil // a late duplicate
		}
		m.plan.Streams = msg.choices
		set := m.c.Backend.Settings()
		m.output = newOutputStep(m.c, set.Format, set.OutDir)
		return m, m.goTo(StepOutput)
	case outputDoneMsg:
		if m.step != StepOutput {
			return m, nil // a late duplicate: never start a second run
		}
		m.plan.Format, m.plan.OutDir = msg.format, msg.dir
		return m, m.startRun()
	case runDoneMsg:
		return m, m.finishRun(msg)
	}
	return m, m.current().Update(msg)
}

func (m *Model) goTo(s Step) tea.Cmd {
	m.step = s
	m.resize()
	return m.current().Init()
}

// startRun remembers the choices and starts the sync in the background.
func (m *Model) startRun() tea.Cmd {
	b := m.c.Backend
	if m.watch {
		// nothing to remember: the choices came from the command line
	} else if err := b.SaveSettings(Settings{Streams: m.plan.Streams, Format: m.plan.Format, OutDir: m.plan.OutDir}); err != nil {
		m.notice = "Could not remember these choices for next time: " + b.Explain(err)
	}
	// The previous count is this run's total only when the stream is read
	// in full; an incremental run from saved state reads just the changes,
	// so its bar must not pretend (-1 also overrides the engine's estimate).
	modes := map[string]Mode{}
	for _, c := range m.plan.Streams {
		modes[c.Stream] = c.Mode
	}
	totals := map[string]int64{}
	for _, si := range b.Streams() {
		switch {
		case modes[si.Name] == Incremental && si.HasState:
			totals[si.Name] = -1
		case si.LastCount > 0:
			totals[si.Name] = si.LastCount
		}
	}
	tracker := NewTracker(m.plan.Streams, totals, m.c.Now)
	ctx, cancel := context.WithCancel(m.ctx)
	done := make(chan runDoneMsg, 1)
	m.runEnded = make(chan struct{})
	plan, ended := m.plan, m.runEnded
	go func() {
		defer close(ended)
		res, err := safeRun(ctx, b, plan, tracker)
		m.lastRun = runDoneMsg{res: res, err: err}
		done <- m.lastRun
	}()
	m.run = newRunStep(m.c, plan, tracker, cancel, done)
	return m.goTo(StepRun)
}

// safeRun turns a panic in the run into an error, so the screen never shows
// a stack trace.
func safeRun(ctx context.Context, b Backend, plan Plan, obs *Tracker) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error during the sync: %v", r)
		}
	}()
	return b.Run(ctx, plan, obs)
}

func (m *Model) finishRun(msg runDoneMsg) tea.Cmd {
	r := m.run
	r.finished = true
	r.cancel()
	r.snap = r.tracker.Snapshot()
	stopped := r.stopping
	o, text := summarize(m.c.Backend, m.plan, r.snap, msg.res, msg.err, stopped, m.interrupted, m.c.Now().Sub(r.start), m.c.Styles, m.c.Width)
	o.Summary = text
	m.outcome = o
	m.summary = newSummaryStep(m.c, text)
	m.summary.canRetry = msg.err != nil && !started(r.snap) && !m.watch
	return m.goTo(StepSummary)
}

func (m *Model) View() (v string) {
	if m.crash == "" {
		defer func() {
			if r := recover(); r != nil {
				m.crashed(r)
				v = m.crashView()
			}
		}()
	} else {
		return m.crashView()
	}
	st := m.c.Styles
	var crumbs []string
	for i, n := range stepNames {
		if m.watch && Step(i) < StepRun {
			continue
		}
		if Step(i) == m.step {
			crumbs = append(crumbs, st.CrumbOn.Render(n))
		} else {
			crumbs = append(crumbs, st.Crumb.Render(n))
		}
	}
	title := st.Title.Render("pdx")
	if m.c.Backend.Demo() {
		title += st.Warn.Render(" demo")
	}
	left := title + "  " + strings.Join(crumbs, st.Muted.Render(" › "))
	who := m.c.Backend.Profile()
	if m.who.Company != "" {
		who = m.who.User + " @ " + m.who.Company
	}
	rightW := max(0, m.c.Width-2-lipgloss.Width(left)-2)
	header := left + "  " + st.Muted.Render(right(fit(who, min(rightW, lipgloss.Width(who))), rightW))
	second := ""
	if m.notice != "" {
		second = st.Warn.Render(fit(m.notice, m.c.Width-2))
	}
	// Every line is cut to the terminal's width and the body to its
	// height, so no component can make the screen scroll or wrap.
	w := max(1, m.c.Width-2)
	lines := strings.Split(m.current().View(), "\n")
	h := m.bodyHeight()
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	help := fit(m.c.HelpLine(m.current().Help()), w)
	screen := fit(header, w) + "\n" + fit(second, w) + "\n" + strings.Join(lines, "\n") + "\n" + help
	return st.App.Render(screen)
}

// crashView replaces the screen after a bug.
func (m *Model) crashView() string {
	st := m.c.Styles
	msg := "pdx hit a bug and cannot go on (" + m.crash + "). Records already written are kept and a running sync was stopped with its state saved. Please report this message. Press any key to quit."
	return st.App.Render(st.Error.Render("Something went wrong inside pdx") + "\n\n" + wrap(msg, m.c.Width-4))
}
