package tui

import (
	"context"
	"fmt"
	"github.com/pdxhq/pdx/source/engine"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/pdxhq/pdx/source/client"
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
	c   *Common
	ctx context.Context
	// step is the current screen; screens holds every screen built so far,
	// keyed by its step: the one routing path (current) and one resize.
	step    Step
	screens map[Step]component

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
	allKeys     bool          // "?": every key of the current screen instead of its body
}

// backTo is where esc leaves each screen for (Summary only when the run
// can be retried with another output: see backMsg).
var backTo = map[Step]Step{StepConnect: StepStreams, StepStreams: StepConnect, StepOutput: StepStreams, StepSummary: StepOutput}

// New builds the root model. ctx bounds the sync a run starts.
func New(ctx context.Context, c *Common) *Model {
	m := &Model{c: c, ctx: ctx}
	set := c.Backend.Settings()
	m.put(StepStreams, newStreamsStep(c, c.Backend, c.Backend.Streams(), set.Streams))
	if c.Backend.HasCredentials() {
		m.step = StepStreams
	} else {
		m.step = StepConnect
		m.put(StepConnect, newConnectStep(c, c.Backend, false, ""))
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

func (m *Model) current() component { return m.screens[m.step] }

// screen is the step's screen as its own type (nil if not built yet).
func screen[T component](m *Model, s Step) T {
	c, _ := m.screens[s].(T)
	return c
}

// put makes sc the screen of step s.
func (m *Model) put(s Step, sc component) {
	if m.screens == nil {
		m.screens = map[Step]component{}
	}
	m.screens[s] = sc
}

func (m *Model) connectScreen() *connectStep { return screen[*connectStep](m, StepConnect) }
func (m *Model) streamsScreen() *streamsStep { return screen[*streamsStep](m, StepStreams) }
func (m *Model) runScreen() *runStep         { return screen[*runStep](m, StepRun) }
func (m *Model) summaryScreen() *summaryStep { return screen[*summaryStep](m, StepSummary) }

// bodyHeight is what is left for a step after the header and help line.
func (m *Model) bodyHeight() int { return max(3, m.c.Height-2-len(m.noticeLines())) }

func (m *Model) resize() {
	w, h := m.c.Width-2, m.bodyHeight()
	for _, c := range m.screens {
		c.SetSize(w, h)
	}
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
	before := m.notice
	defer func() {
		if m.notice != before {
			m.resize() // the notice's lines come out of the body
		}
	}()
	return m.update(msg)
}

// crashed stops a running sync (it saves state) and keeps the reason.
func (m *Model) crashed(r any) {
	m.crash = fmt.Sprint(r)
	if r := m.runScreen(); r != nil && r.cancel != nil {
		r.cancel()
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
		if m.allKeys {
			m.allKeys = false // any key closes the list; esc and ? only that
			if msg.String() == "esc" || msg.String() == "?" {
				return m, nil
			}
		} else if msg.String() == "?" && m.helpHere() {
			m.allKeys = true
			return m, nil
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
			m.streamsScreen().SetBudget(bu, m.who.User)
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
		m.streamsScreen().SetBudget(msg.budget, msg.id.User)
		return m, nil
	case connectedMsg:
		if m.step != StepConnect {
			return m, nil
		}
		m.who, m.budget, m.notice = msg.id, msg.budget, ""
		m.streamsScreen().SetBudget(msg.budget, msg.id.User)
		return m, m.goTo(StepStreams)
	case reconnectMsg:
		m.put(StepConnect, newConnectStep(m.c, m.c.Backend, true, ""))
		return m, m.goTo(StepConnect)
	case backMsg:
		to, ok := backTo[m.step]
		switch {
		case !ok || m.watch:
			return m, nil
		case m.step == StepSummary && !m.summaryScreen().canRetry:
			return m, nil
		case to == StepConnect:
			m.put(StepConnect, newConnectStep(m.c, m.c.Backend, true, ""))
		case to == StepOutput:
			m.put(StepOutput, newOutputStep(m.c, m.c.Backend.Formats(), m.plan.Format, m.plan.OutDir))
		}
		return m, m.goTo(to)
	case againMsg:
		if m.step != StepSummary || m.watch {
			return m, nil
		}
		if msg.to == StepRun {
			return m, m.startRun()
		}
		return m, m.goTo(StepStreams)
	case streamsDoneMsg:
		if m.step != StepStreams {
			return m, nil // a late duplicate
		}
		m.plan.Streams = msg.choices
		set := m.c.Backend.Settings()
		m.put(StepOutput, newOutputStep(m.c, m.c.Backend.Formats(), set.Format, set.OutDir))
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
	m.step, m.allKeys = s, false
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
	// A bar is determinate only with this run's real total: the stream's
	// full size for a run that reads all of it; an incremental run from
	// saved state reads just the changes, and a count left by one is no
	// full size (-1 also overrides the engine's estimate).
	modes := map[string]engine.Mode{}
	for _, c := range m.plan.Streams {
		modes[c.Stream] = c.Mode
	}
	totals := map[string]int64{}
	for _, si := range b.Streams() {
		md, picked := modes[si.Name]
		if !picked {
			continue
		}
		totals[si.Name] = -1
		if n, ok := si.FullSize(); ok && n > 0 && si.ReadsAll(md) {
			totals[si.Name] = n
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
	m.put(StepRun, newRunStep(m.c, m.c.Backend.Formats(), plan, tracker, cancel, done))
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
	r := m.runScreen()
	r.finished = true
	r.cancel()
	r.snap = r.tracker.Snapshot()
	stopped := r.stopping
	o, text := summarize(m.c.Backend, m.plan, r.snap, msg.res, msg.err, stopped, m.interrupted, m.c.Now().Sub(r.start), m.c.Styles, m.c.Width)
	o.Summary = text
	m.outcome = o
	sum := newSummaryStep(m.c, text)
	sum.canRetry = msg.err != nil && !started(r.snap) && !m.watch
	sum.canAgain = !m.watch
	m.put(StepSummary, sum)
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
	if rightW < lipgloss.Width(who) && !m.watch {
		// Narrow: the breadcrumb gives way to the current step and where it
		// is in the flow, before the name is cut.
		left = title + "  " + st.CrumbOn.Render(m.step.String()) + st.Muted.Render(fmt.Sprintf(" %d/%d", m.step+1, len(stepNames)))
		rightW = max(0, m.c.Width-2-lipgloss.Width(left)-2)
	}
	header := left + "  " + st.Muted.Render(right(fit(who, min(rightW, lipgloss.Width(who))), rightW))
	var second []string
	for _, l := range m.noticeLines() {
		second = append(second, st.Warn.Render(fit(l, m.c.Width-2)))
	}
	// Every line is cut to the terminal's width and the body to its
	// height, so no component can make the screen scroll or wrap.
	w := max(1, m.c.Width-2)
	body := m.current().View()
	if m.allKeys {
		body = m.allKeysView()
	}
	lines := strings.Split(body, "\n")
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
	help := fit(m.c.HelpLine(m.help()), w)
	screen := fit(header, w) + "\n" + strings.Join(second, "\n") + "\n" + strings.Join(lines, "\n") + "\n" + help
	return st.App.Render(screen)
}

// crashView replaces the screen after a bug.
func (m *Model) crashView() string {
	st := m.c.Styles
	msg := "pdx hit a bug and cannot go on (" + m.crash + "). Records already written are kept and a running sync was stopped with its state saved. Please report this message. Press any key to quit."
	return st.App.Render(st.Error.Render("Something went wrong inside pdx") + "\n\n" + wrap(msg, m.c.Width-4))
}
