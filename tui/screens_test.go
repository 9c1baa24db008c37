package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"github.com/pdxhq/pdx/source/engine"
)

// Screens are compared without colour so CI and terminals agree; regenerate
// the goldens with `go test ./tui -update`.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// newRoot builds a root model at 80x24 with a frozen clock.
func newRoot(fb *fakeBackend) *Model {
	c := NewCommon(fb, true, frozen)
	m := New(context.Background(), c)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m
}

// press sends keys to the root without running commands (enough for
// screens that only react to keys).
func press(m *Model, seq string) {
	for _, k := range keyMsgs(seq) {
		m.Update(k)
	}
}

// checkScreen compares the screen to its golden and checks it fits.
func checkScreen(t *testing.T, m *Model, w, h int) {
	t.Helper()
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i+1, n, w, l)
		}
	}
	golden.RequireEqual(t, []byte(v))
}

func TestScreenConnectChoose(t *testing.T) {
	m := newRoot(&fakeBackend{})
	if m.Step() != StepConnect {
		t.Fatalf("step %v, want Connect without credentials", m.Step())
	}
	checkScreen(t, m, 80, 24)
}

func TestScreenConnectToken(t *testing.T) {
	m := newRoot(&fakeBackend{})
	press(m, "enter secret")
	if strings.Contains(m.View(), "secret") {
		t.Fatal("the token is shown in clear")
	}
	checkScreen(t, m, 80, 24)
}

func TestScreenConnected(t *testing.T) {
	m := newRoot(&fakeBackend{})
	press(m, "enter")
	m.Update(verifiedMsg{id: Identity{User: "Ada Lovelace", Company: "Acme Ltd"}, where: `in the OS keyring (service "pdx", profile "default")`})
	checkScreen(t, m, 80, 24)
}

func TestScreenStreams(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	m.Update(whoamiMsg{id: Identity{User: "Ada Lovelace", Company: "Acme Ltd"}, budget: Budget{Known: true, Limit: 30000, Remaining: 25000}})
	press(m, "down space down m")
	checkScreen(t, m, 80, 24)
}

func TestScreenStreamsFiltered(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	press(m, "/ fields")
	checkScreen(t, m, 80, 24)
}

func TestScreenOutput(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true, settings: Settings{Format: FormatCSV, OutDir: "exports"}})
	m.Update(streamsDoneMsg{choices: []Choice{{"deals", engine.Incremental}}})
	if m.Step() != StepOutput {
		t.Fatalf("step %v", m.Step())
	}
	checkScreen(t, m, 80, 24)
}

// runScreen puts the root on the Run step with a tracker fed by events.
func runScreen(t *testing.T, w, h int, evs []engine.Event) *Model {
	t.Helper()
	fb := &fakeBackend{hasCreds: true}
	m := newRoot(fb)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.plan = Plan{Streams: []Choice{{"deals", engine.Incremental}, {"persons", engine.Incremental}, {"organizations", engine.Incremental}, {"users", engine.FullRefresh}}, Format: FormatJSONL, OutDir: "/data/out"}
	tr := NewTracker(m.plan.Streams, map[string]int64{"deals": 200}, frozen)
	for _, ev := range evs {
		if err := tr.Emit(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	m.put(StepRun, newRunStep(m.c, testFormats, m.plan, tr, func() {}, make(chan runDoneMsg)))
	m.runScreen().start = t0.Add(-10 * time.Second)
	m.goTo(StepRun)
	m.Update(tickMsg{})
	return m
}

func midRunEvents() []engine.Event {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	return []engine.Event{
		{Kind: engine.Budget, Budget: engine.BudgetInfo{Known: true, Limit: 30000, Remaining: 22500}},
		{Kind: engine.StreamStarted, Stream: "deals", Time: at(-10)},
		{Kind: engine.Records, Stream: "deals", Time: at(-1), Stats: engine.StreamStats{Records: 100, Tokens: 20}},
		{Kind: engine.StreamStarted, Stream: "persons", Time: at(-8)},
		{Kind: engine.Records, Stream: "persons", Time: at(-2), Stats: engine.StreamStats{Records: 1234, Tokens: 130}},
		{Kind: engine.RateLimited, Stream: "persons", Time: at(-1), Wait: 5 * time.Second},
		{Kind: engine.StreamStarted, Stream: "users", Time: at(-10)},
		{Kind: engine.StreamComplete, Stream: "users", Time: at(-9), Stats: engine.StreamStats{Records: 12, Tokens: 2}},
	}
}

func TestScreenRun(t *testing.T) {
	m := runScreen(t, 80, 24, midRunEvents())
	checkScreen(t, m, 80, 24)
}

func TestScreenRunStopPrompt(t *testing.T) {
	m := runScreen(t, 80, 24, midRunEvents())
	press(m, "q")
	if !m.runScreen().confirming {
		t.Fatal("q did not ask to stop")
	}
	checkScreen(t, m, 80, 24)
}

// A narrow and short terminal still gets a screen that fits, and growing it
// again uses the space.
func TestRunScreenResizes(t *testing.T) {
	m := runScreen(t, 80, 24, midRunEvents())
	for _, sz := range [][2]int{{60, 12}, {120, 40}, {80, 24}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		v := m.View()
		if n := strings.Count(v, "\n") + 1; n != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], n)
		}
		for _, l := range strings.Split(v, "\n") {
			if ansi.StringWidth(l) > sz[0] {
				t.Errorf("%dx%d: line too wide: %q", sz[0], sz[1], l)
			}
		}
	}
}

// waitText waits until the program's output shows all the strings.
func waitText(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	var seen []byte
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen = append(seen, b...)
		plain := ansi.Strip(string(seen))
		for _, w := range want {
			if !strings.Contains(plain, w) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

func TestFlowConnectPickRunSummary(t *testing.T) {
	fb := &fakeBackend{script: twoStreamScript(), settings: Settings{OutDir: "/tmp/pdx-export"}}
	c := NewCommon(fb, true, frozen)
	m := New(context.Background(), c)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) // API token
	tm.Type("good")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "The token works")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "Choose what to export")
	tm.Send(tea.KeyMsg{Type: tea.KeyDown}) // persons
	tm.Send(tea.KeyMsg{Type: tea.KeyDown}) // organizations
	tm.Send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "Where should the data go?")
	tm.Send(tea.KeyMsg{Type: tea.KeyDown}) // CSV
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "Run the same sync without the UI")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)

	if len(fb.saved) != 1 || fb.saved[0] != "good" {
		t.Errorf("saved tokens %v", fb.saved)
	}
	wantPlan := Plan{Streams: []Choice{{"deals", engine.Incremental}, {"persons", engine.Incremental}}, Format: FormatCSV, OutDir: "/tmp/pdx-export"}
	if len(fb.plans) != 1 || !equalPlan(fb.plans[0], wantPlan) {
		t.Errorf("plan %+v, want %+v", fb.plans, wantPlan)
	}
	if len(fb.savedSets) != 1 || fb.savedSets[0].Format != FormatCSV || len(fb.savedSets[0].Streams) != 2 {
		t.Errorf("choices not remembered: %+v", fb.savedSets)
	}
	o := final.Outcome()
	if !o.Ran || o.Failed != 1 || o.Stopped {
		t.Errorf("outcome %+v", o)
	}
	golden.RequireEqual(t, []byte(final.View()))
}

func equalPlan(a, b Plan) bool {
	if a.Format != b.Format || a.OutDir != b.OutDir || len(a.Streams) != len(b.Streams) {
		return false
	}
	for i := range a.Streams {
		if a.Streams[i] != b.Streams[i] {
			return false
		}
	}
	return true
}

func TestFlowStopSavesState(t *testing.T) {
	started := make(chan struct{})
	fb := &fakeBackend{hasCreds: true, block: true, started: started, settings: Settings{Streams: []Choice{{"deals", engine.Incremental}}, Format: FormatJSONL, OutDir: "o"},
		script: twoStreamScript()[:6]}
	c := NewCommon(fb, true, frozen)
	m := New(context.Background(), c)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitText(t, tm, "Choose what to export")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "Where should the data go?")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	<-started
	waitText(t, tm, "Overall")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	waitText(t, tm, "Stop the sync?")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'y'}})
	waitText(t, tm, "Sync stopped by you", "State is saved")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if o := final.Outcome(); !o.Stopped || !o.Ran {
		t.Errorf("outcome %+v", o)
	}
	select {
	case <-final.RunEnded():
	default:
		t.Error("the run had not returned when the summary showed")
	}
	out := ansi.Strip(final.View())
	if !strings.Contains(out, "deals") || !strings.Contains(out, "stopped") {
		t.Errorf("summary:\n%s", out)
	}
}

// Watch (pdx sync in a terminal) starts on the progress screen and ends on
// the summary, without the wizard.
func TestWatchRunsAndSummarizes(t *testing.T) {
	script := twoStreamScript()
	var started bool
	run := func(ctx context.Context, obs engine.Sink) (Result, error) {
		started = true
		for _, ev := range script {
			if err := obs.Emit(ctx, ev); err != nil {
				return Result{}, err
			}
		}
		return Result{Files: map[string][]string{"deals": {"/o/deals.jsonl"}}, StateSaved: true}, nil
	}
	c := NewCommon(watchBackend{WatchOptions{Profile: "work", Run: run, Plan: Plan{
		Streams: []Choice{{"deals", engine.Incremental}, {"persons", engine.FullRefresh}}, Format: FormatJSONL, OutDir: "/o"}}}, true, frozen)
	m := &Model{c: c, ctx: context.Background(), plan: Plan{Streams: []Choice{{"deals", engine.Incremental}, {"persons", engine.FullRefresh}}, Format: FormatJSONL, OutDir: "/o"}, step: StepRun, watch: true}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitText(t, tm, "Run the same sync without the UI", "pdx sync --no-tui --profile work --streams deals,persons")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if !started {
		t.Fatal("the run never started")
	}
	if o := final.Outcome(); o.Failed != 1 || !o.Ran {
		t.Errorf("outcome %+v", o)
	}
	if v := ansi.Strip(final.View()); strings.Contains(v, "Connect") || !strings.Contains(v, "Run › Summary") {
		t.Errorf("watch mode shows the wizard's steps:\n%s", v)
	}
}

// A bug that panics inside a step (here: a step that was never built)
// becomes a plain message; the next key quits.
func TestPanicBecomesAMessage(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	m.step = StepSummary // m.summaryScreen() is nil: its Update panics
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyDown}); cmd != nil {
		t.Error("a crashed update returned a command")
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "pdx hit a bug") || strings.Contains(v, "goroutine") {
		t.Errorf("crash screen:\n%s", v)
	}
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter}); cmd == nil {
		t.Error("a key should quit after a crash")
	}
	// View panicking is caught the same way.
	m2 := newRoot(&fakeBackend{hasCreds: true})
	m2.step = StepRun // m2.run is nil
	if v := ansi.Strip(m2.View()); !strings.Contains(v, "pdx hit a bug") {
		t.Errorf("view crash screen:\n%s", v)
	}
}

// With more streams than rows, the view follows the active stream until the
// user scrolls.
func TestRunFollowsActiveStream(t *testing.T) {
	var plan []Choice
	var evs []engine.Event
	for i := 0; i < 30; i++ {
		name := fmt.Sprintf("stream_%02d", i)
		plan = append(plan, Choice{Stream: name})
		switch {
		case i < 20:
			evs = append(evs, engine.Event{Kind: engine.StreamComplete, Stream: name})
		case i == 20:
			evs = append(evs, engine.Event{Kind: engine.StreamStarted, Stream: name})
		}
	}
	m := newRoot(&fakeBackend{hasCreds: true})
	tr := NewTracker(plan, nil, frozen)
	for _, ev := range evs {
		_ = tr.Emit(context.Background(), ev)
	}
	m.plan = Plan{Streams: plan, Format: FormatJSONL, OutDir: "/o"}
	m.put(StepRun, newRunStep(m.c, testFormats, m.plan, tr, func() {}, make(chan runDoneMsg)))
	m.goTo(StepRun)
	m.Update(tickMsg{})
	if v := m.View(); !strings.Contains(v, "stream_20") || strings.Contains(v, "stream_00") {
		t.Errorf("the running stream is not followed:\n%s", v)
	}
	press(m, "pgup")
	m.Update(tickMsg{})
	if v := m.View(); !strings.Contains(v, "stream_00") {
		t.Errorf("scrolling up did not stick:\n%s", v)
	}
}

func TestScreenStreamsAllKeys(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	press(m, "?")
	v := ansi.Strip(m.View())
	for _, want := range []string{`c\s+change account`, `a\s+all`, `n\s+none`, `pgdn\s+page down`} {
		if !regexp.MustCompile(want).MatchString(v) {
			t.Errorf("the full help lacks %q", want)
		}
	}
	checkScreen(t, m, 80, 24)
	press(m, "?")
	if strings.Contains(ansi.Strip(m.View()), "change account") {
		t.Error("? did not close the full help")
	}
}

func TestBudgetLine(t *testing.T) {
	tests := []struct {
		b    engine.BudgetInfo
		want string
	}{
		{engine.BudgetInfo{}, "daily API budget not reported yet"},
		{engine.BudgetInfo{Known: true, Limit: 30000, Remaining: 7500}, "█████░░░░░░░░░░░░░░░ 7,500 of 30,000 tokens left today"},
		{engine.BudgetInfo{Known: true, Limit: 30000, Exhausted: true, ResetAt: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)},
			"daily API budget used up: the sync stops and saves state; it resets at 00:00 UTC"},
	}
	for _, tt := range tests {
		m := runScreen(t, 80, 24, []engine.Event{{Kind: engine.Budget, Budget: tt.b}})
		if got := ansi.Strip(m.runScreen().budgetLine()); got != tt.want {
			t.Errorf("budget %+v:\n got %q\nwant %q", tt.b, got, tt.want)
		}
	}
}

// screenLog is a program's output that can be waited on.
type screenLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	wake chan struct{}
}

func newScreenLog() *screenLog { return &screenLog{wake: make(chan struct{}, 1)} }

func (l *screenLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor blocks until the output (ANSI stripped) shows s, or fails.
func (l *screenLog) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		l.mu.Lock()
		seen := strings.Contains(ansi.Strip(l.buf.String()), s)
		l.mu.Unlock()
		if seen {
			return
		}
		select {
		case <-l.wake:
		case <-deadline:
			t.Errorf("timed out waiting for %q", s)
			return
		}
	}
}

// SIGTERM or a closed terminal (the caller's ctx ends) mid-run: the sync
// stops at a page boundary, Run waits for it, and the summary says so.
func TestRunInterruptedByContext(t *testing.T) {
	started := make(chan struct{})
	fb := &fakeBackend{hasCreds: true, block: true, started: started, script: twoStreamScript()[:6],
		settings: Settings{Streams: []Choice{{"deals", engine.Incremental}}, Format: FormatJSONL, OutDir: "/o"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in, keys := io.Pipe()
	defer keys.Close()
	out := newScreenLog()
	go func() {
		defer cancel() // on any failure too, so Run returns
		out.waitFor(t, "Choose what to export")
		_, _ = keys.Write([]byte("\r"))
		out.waitFor(t, "Where should the data go?")
		_, _ = keys.Write([]byte("\r"))
		_, _ = keys.Write([]byte("\r"))
		select {
		case <-started:
		case <-time.After(15 * time.Second):
			t.Error("the run never started")
		}
	}()
	o, err := Run(ctx, Options{Backend: fb, In: in, Out: out, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Interrupted || o.Stopped || !o.Ran {
		t.Errorf("outcome %+v", o)
	}
	if !strings.Contains(o.Summary, "Sync interrupted") || !strings.Contains(o.Summary, "State is saved") {
		t.Errorf("summary:\n%s", o.Summary)
	}
}

// NO_COLOR: even on a colour terminal the styles emit no colour, and the
// screen still marks selection and state with characters.
func TestNoColorStyles(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	for _, noColor := range []bool{true, false} {
		c := NewCommon(&fakeBackend{hasCreds: true}, noColor, frozen)
		m := New(context.Background(), c)
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		v := m.View()
		hasColor := strings.Contains(v, "38;5;")
		if hasColor == noColor {
			t.Errorf("noColor=%v: colour escapes present=%v", noColor, hasColor)
		}
		if !strings.Contains(ansi.Strip(v), "[x] deals") {
			t.Errorf("noColor=%v: selection not shown in characters", noColor)
		}
	}
}

func TestStreamsBudgetWarning(t *testing.T) {
	tests := []struct {
		width      int
		cost, days string
	}{
		{80, "Estimated: ~30 API tokens · budget today: 25 of 30,000 left", "Over today's budget: about 2 days at this account's budget, a run a day."},
		{60, "Cost ~30 tokens · today 25 of 30,000 left", "Over today's budget: about 2 days at this budget."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.width), func(t *testing.T) {
			m := newRoot(&fakeBackend{hasCreds: true, days: "about 2 days at this account's budget", daysShort: "about 2 days at this budget"})
			m.Update(tea.WindowSizeMsg{Width: tt.width, Height: 24})
			m.Update(whoamiMsg{budget: Budget{Known: true, Limit: 30000, Remaining: 25}})
			v := ansi.Strip(m.View())
			// The advice is whole, on its own line (it used to be cut off).
			for _, want := range []string{tt.cost, tt.days} {
				if !strings.Contains(v, want) {
					t.Errorf("lacks %q:\n%s", want, v)
				}
			}
		})
	}
}

// TestStreamsBackfillDays: the stream under the cursor, picked or not,
// shows its cost, why it reads every page even incrementally, and, when
// it does not fit today's budget, how many days its backfill takes; a
// narrow screen gets the short form, never a cut-off number of days.
func TestStreamsBackfillDays(t *testing.T) {
	costs := map[string]StreamCost{
		"persons":       {Tokens: 98000, Complete: true, Days: "about 4 days at this account's budget", DaysShort: "about 4 days at this budget", DayCount: 4},
		"organizations": {Tokens: 20, Complete: false, Scan: "reads every page: the API has no sort or filter"},
		"deal_fields": {Tokens: 2000000, Complete: true, Scan: "reads every page: the API has no sort or filter",
			Days: "about 67 days at the smallest plan's 30,000 tokens a day (nominal: pdx has not seen this account's budget yet)", DaysShort: "about 67 days (nominal budget)", DayCount: 67},
	}
	tests := []struct {
		width int
		keys  string
		want  string
	}{
		{80, "", "≈ 10 tokens"},
		{80, "down", "≈ 98,000 tokens · about 4 days at this account's budget"},
		{80, "down down", "≥ 20 tokens · reads every page: the API has no sort or filter"},
		{80, "down down down", "≈ 2,000,000 tokens · about 67 days (nominal budget) · reads every page:…"},
		{60, "down", "≈ 98,000 tokens · about 4 days at this account's budget"},
		{40, "down", "≈ 98,000 tokens · about 4 days at…"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.width, tt.keys), func(t *testing.T) {
			m := newRoot(&fakeBackend{hasCreds: true, costs: costs})
			m.Update(tea.WindowSizeMsg{Width: tt.width, Height: 24})
			m.Update(whoamiMsg{budget: Budget{Known: true, Limit: 30000, Remaining: 25000}})
			press(m, tt.keys)
			lines := strings.Split(ansi.Strip(m.View()), "\n")
			var got string
			for _, l := range lines {
				if strings.HasPrefix(strings.TrimSpace(l), "≈") || strings.HasPrefix(strings.TrimSpace(l), "≥") {
					got = strings.TrimSpace(l)
				}
			}
			if got != tt.want {
				t.Errorf("cost line %q, want %q\n%s", got, tt.want, strings.Join(lines, "\n"))
			}
			// The list's column: every stream's cost, the days when over
			// today's budget; none on a narrow screen.
			for stream, cell := range map[string]string{"deals": "~10", "persons": "~98k 4d", "organizations": "≥20", "deal_fields": "~2.0M 67d"} {
				rows := 0
				for _, l := range lines {
					if strings.Contains(l, "] "+stream+" ") {
						rows++
						if has := strings.Contains(l, " "+cell+" "); has != (tt.width >= minCostWidth) {
							t.Errorf("%s's row %q: cost %q shown %v at %d columns", stream, l, cell, has, tt.width)
						}
					}
				}
				if rows != 1 {
					t.Errorf("%d rows of %s", rows, stream)
				}
			}
		})
	}
}

// Token counts in the thousands (any long run) show whole at 80 columns,
// and every row still fits the terminal.
func TestRunRowShowsLargeTokenCounts(t *testing.T) {
	tests := []struct {
		tokens int64
		want   string
	}{
		{2, "2 tok"},
		{1180, "1,180 tok"},
		{12345, "12,345 tok"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			m := runScreen(t, 80, 24, []engine.Event{
				{Kind: engine.StreamStarted, Stream: "deals", Time: t0.Add(-10 * time.Second)},
				{Kind: engine.Records, Stream: "deals", Time: t0.Add(-time.Second), Stats: engine.StreamStats{Records: 2950, Tokens: tt.tokens}},
			})
			v := ansi.Strip(m.View())
			var row string
			for _, l := range strings.Split(v, "\n") {
				if strings.Contains(l, " deals ") {
					row = l
				}
				if ansi.StringWidth(l) > 80 {
					t.Errorf("line too wide: %q", l)
				}
			}
			if !strings.HasSuffix(strings.TrimRight(row, " "), " "+tt.want) {
				t.Errorf("deals row %q does not end with %q", row, tt.want)
			}
		})
	}
}

// The stop question says when stopping drops a full refresh under way.
func TestStopPromptFullRefresh(t *testing.T) {
	started := func(s string) engine.Event {
		return engine.Event{Kind: engine.StreamStarted, Stream: s, Time: t0.Add(-5 * time.Second)}
	}
	completed := engine.Event{Kind: engine.StreamComplete, Stream: "users", Time: t0, Stats: engine.StreamStats{Records: 12}}
	tests := []struct {
		name   string
		evs    []engine.Event
		format Format
		want   bool
	}{
		{"full refresh running", []engine.Event{started("users")}, FormatJSONL, true},
		{"full refresh queued", nil, FormatCSV, true},
		{"full refresh done", []engine.Event{started("users"), completed}, FormatJSONL, false},
		{"airbyte keeps every record", []engine.Event{started("users")}, FormatAirbyte, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := runScreen(t, 80, 24, tt.evs)
			m.runScreen().plan.Format = tt.format
			press(m, "q")
			v := ansi.Strip(m.View())
			if got := strings.Contains(v, "is not kept: it starts over"); got != tt.want {
				t.Errorf("prompt mentions the dropped full refresh: %v, want %v\n%s", got, tt.want, v)
			}
		})
	}
}

// The help line fits any width by dropping bindings from the end, keeps
// "?" (which lists them all), and never cuts a binding in half.
func TestHelpLineFits(t *testing.T) {
	tests := []struct {
		width      int
		want, gone []string
	}{
		// The keys that leave the screen stay at any width (issue 15.5).
		{80, []string{"space select", "enter next", "esc back", "? all keys", "ctrl+c quit"}, nil},
		{60, []string{"enter next", "esc back", "? all keys", "ctrl+c quit"}, []string{"/ filter"}},
		{40, []string{"esc back", "? all keys", "ctrl+c quit"}, []string{"enter next"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.width), func(t *testing.T) {
			m := newRoot(&fakeBackend{hasCreds: true})
			m.Update(tea.WindowSizeMsg{Width: tt.width, Height: 24})
			lines := strings.Split(ansi.Strip(m.View()), "\n")
			help := lines[len(lines)-1]
			if ansi.StringWidth(help) > tt.width {
				t.Errorf("help line too wide: %q", help)
			}
			if strings.Contains(help, "…") {
				t.Errorf("help line cut: %q", help)
			}
			for _, w := range tt.want {
				if !strings.Contains(help, w) {
					t.Errorf("help line %q lacks %q", help, w)
				}
			}
			for _, g := range tt.gone {
				if strings.Contains(help, g) {
					t.Errorf("help line %q has %q", help, g)
				}
			}
		})
	}
}

// At 60 columns the overall and budget lines say everything in fewer words
// instead of being cut off.
func TestRunHeaderNarrow(t *testing.T) {
	tests := []struct {
		width int
		want  []string
	}{
		{80, []string{"Overall  1/4 streams done · 1,346 records · 134 rec/s · 152 tokens · 10s", "22,500 of 30,000 tokens left today"}},
		{60, []string{"Overall  1/4 done · 1,346 rec · 134/s · 152 tok · 10s", "Budget   ████████░░ 22,500 of 30,000 left"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.width), func(t *testing.T) {
			m := runScreen(t, tt.width, 24, midRunEvents())
			v := ansi.Strip(m.View())
			for _, l := range strings.Split(v, "\n") {
				if (strings.Contains(l, "Overall") || strings.Contains(l, "Budget")) && strings.Contains(l, "…") {
					t.Errorf("cut: %q", l)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(v, w) {
					t.Errorf("screen lacks %q:\n%s", w, v)
				}
			}
		})
	}
}

// With more streams than rows, the stop question and a long note still show
// whole: the table gives up rows for them, and the screen keeps its size.
func TestRunStatusNotCut(t *testing.T) {
	var choices []Choice
	for i := range 31 {
		choices = append(choices, Choice{fmt.Sprintf("stream_%02d", i), engine.FullRefresh})
	}
	long := "deal_products: saved state exists but /home/anna/exports/deal_products.jsonl is missing; it starts over"
	tests := []struct {
		name string
		keys string
		evs  []engine.Event
		want string
	}{
		{"stop question", "q", nil, "A full refresh still running is not kept: it starts over next time."},
		{"note", "", []engine.Event{{Kind: engine.Log, Level: engine.LevelWarn, Message: long}}, "it starts over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := runScreen(t, 80, 24, nil)
			m.plan.Streams = choices
			tr := NewTracker(choices, nil, frozen)
			for _, ev := range tt.evs {
				if err := tr.Emit(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
			}
			m.put(StepRun, newRunStep(m.c, testFormats, m.plan, tr, func() {}, make(chan runDoneMsg)))
			m.goTo(StepRun)
			m.Update(tickMsg{})
			if tt.keys != "" {
				press(m, tt.keys)
			}
			v := ansi.Strip(m.View())
			if n := strings.Count(v, "\n") + 1; n != 24 {
				t.Errorf("%d lines", n)
			}
			flat := strings.Join(strings.Fields(v), " ")
			if !strings.Contains(flat, tt.want) {
				t.Errorf("status cut, lacks %q:\n%s", tt.want, v)
			}
			if !strings.Contains(v, "showing 1-") {
				t.Errorf("no scroll hint:\n%s", v)
			}
		})
	}
}
