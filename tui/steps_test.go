package tui

import (
	"context"
	"errors"
	"github.com/pdxhq/pdx/source/engine"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/pdxhq/pdx/source/client"
)

// keyMsgs turns "down space m enter" into key messages; a word that is not
// a key name is typed rune by rune.
func keyMsgs(seq string) []tea.KeyMsg {
	named := map[string]tea.KeyType{
		"up": tea.KeyUp, "down": tea.KeyDown, "enter": tea.KeyEnter, "esc": tea.KeyEsc,
		"tab": tea.KeyTab, "space": tea.KeySpace, "ctrl+c": tea.KeyCtrlC, "backspace": tea.KeyBackspace,
		"pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
	}
	var out []tea.KeyMsg
	for _, w := range strings.Fields(seq) {
		if k, ok := named[w]; ok {
			if k == tea.KeySpace {
				out = append(out, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			} else {
				out = append(out, tea.KeyMsg{Type: k})
			}
			continue
		}
		for _, r := range w {
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
	}
	return out
}

// drive sends keys to a component and returns the messages its commands
// produced that the root would handle (commands that block, like cursor
// blinks, are not run).
func drive(c component, seq string) []tea.Msg {
	var msgs []tea.Msg
	for _, k := range keyMsgs(seq) {
		if cmd := c.Update(k); cmd != nil {
			msgs = append(msgs, runQuick(cmd)...)
		}
	}
	return msgs
}

// runQuick runs a command and keeps the messages the flow cares about.
func runQuick(cmd tea.Cmd) []tea.Msg {
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	msg := <-done
	switch m := msg.(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range m {
			if c != nil {
				out = append(out, runQuick(c)...)
			}
		}
		return out
	case streamsDoneMsg, reconnectMsg, backMsg, againMsg, connectedMsg, verifiedMsg, outputDoneMsg:
		return []tea.Msg{m}
	}
	return nil
}

func TestStreamsStep(t *testing.T) {
	all := (&fakeBackend{}).Streams()
	tests := []struct {
		name       string
		remembered []Choice
		keys       string
		want       []Choice
		wantErr    string
		done       bool
	}{
		{name: "first run picks the core records, incremental", keys: "enter", done: true,
			want: []Choice{{"deals", engine.Incremental}, {"persons", engine.Incremental}, {"organizations", engine.Incremental}}},
		{name: "space toggles the stream under the cursor", keys: "down space enter", done: true,
			want: []Choice{{"deals", engine.Incremental}, {"organizations", engine.Incremental}}},
		{name: "m switches a stream to full refresh", keys: "m enter", done: true,
			want: []Choice{{"deals", engine.FullRefresh}, {"persons", engine.Incremental}, {"organizations", engine.Incremental}}},
		{name: "m on a full-only stream explains", keys: "down down down m", wantErr: "only supports full refresh",
			want: []Choice{{"deals", engine.Incremental}, {"persons", engine.Incremental}, {"organizations", engine.Incremental}}},
		{name: "none then enter refuses an empty run", keys: "n enter", wantErr: "Pick at least one stream"},
		{name: "all selects everything", keys: "a", want: []Choice{{"deals", engine.Incremental}, {"persons", engine.Incremental},
			{"organizations", engine.Incremental}, {"deal_fields", engine.FullRefresh}, {"person_fields", engine.FullRefresh}, {"users", engine.FullRefresh}, {"pipelines", engine.FullRefresh}}},
		{name: "filter narrows what all/none touch", keys: "n / fields enter a", want: []Choice{{"deal_fields", engine.FullRefresh}, {"person_fields", engine.FullRefresh}}},
		{name: "esc clears the filter", keys: "/ sales enter space esc down space", want: []Choice{
			{"deals", engine.Incremental}, {"organizations", engine.Incremental}, {"pipelines", engine.FullRefresh}}},
		{name: "remembered choices and modes come back", remembered: []Choice{{"users", engine.FullRefresh}, {"deals", engine.FullRefresh}, {"gone", engine.FullRefresh}},
			keys: "enter", done: true, want: []Choice{{"deals", engine.FullRefresh}, {"users", engine.FullRefresh}}},
		{name: "remembered incremental on a full-only stream falls back", remembered: []Choice{{"users", engine.Incremental}},
			want: []Choice{{"users", engine.FullRefresh}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCommon(&fakeBackend{}, true, frozen)
			s := newStreamsStep(c, &fakeBackend{}, all, tt.remembered)
			msgs := drive(s, tt.keys)
			if got := s.Choices(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("choices = %v, want %v", got, tt.want)
			}
			var done *streamsDoneMsg
			for _, m := range msgs {
				if d, ok := m.(streamsDoneMsg); ok {
					done = &d
				}
			}
			if (done != nil) != tt.done {
				t.Fatalf("done message = %v, want %v", done != nil, tt.done)
			}
			if done != nil && !reflect.DeepEqual(done.choices, tt.want) {
				t.Errorf("done choices = %v", done.choices)
			}
			if !strings.Contains(s.errText, tt.wantErr) || (tt.wantErr == "") != (s.errText == "") {
				t.Errorf("error text %q, want %q", s.errText, tt.wantErr)
			}
		})
	}
}

// TestStreamsStepLeavesOutBackfills: the first selection leaves out a
// core stream whose first read takes more than today's budget; a
// remembered one keeps it.
func TestStreamsStepLeavesOutBackfills(t *testing.T) {
	fb := &fakeBackend{costs: map[string]StreamCost{"persons": {Tokens: 98000, Complete: true, Days: "about 4 days at this account's budget", DayCount: 4}}}
	c := NewCommon(fb, true, frozen)
	for _, tt := range []struct {
		remembered, want []Choice
	}{
		{nil, []Choice{{"deals", engine.Incremental}, {"organizations", engine.Incremental}}},
		{[]Choice{{"persons", engine.Incremental}}, []Choice{{"persons", engine.Incremental}}},
	} {
		if got := newStreamsStep(c, fb, fb.Streams(), tt.remembered).Choices(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("remembered %v: choices %v, want %v", tt.remembered, got, tt.want)
		}
	}
}

func TestStreamsStepScrollsToCursor(t *testing.T) {
	c := NewCommon(&fakeBackend{}, true, frozen)
	s := newStreamsStep(c, &fakeBackend{}, (&fakeBackend{}).Streams(), nil)
	s.SetSize(78, 8) // body of 3 list lines
	drive(s, "down down down down down down")
	if !strings.Contains(s.View(), "pipelines") {
		t.Errorf("the cursor's stream is not on screen:\n%s", s.View())
	}
	if strings.Contains(s.View(), "deals ") {
		t.Errorf("the list did not scroll:\n%s", s.View())
	}
}

func TestConnectStep(t *testing.T) {
	tests := []struct {
		name      string
		demo      bool
		keys      string
		wantPhase connectPhase
		wantSaved []string
		wantErr   string
		connected bool
	}{
		{name: "oauth is explained, not a dead end", keys: "down enter", wantPhase: phaseChoose, wantErr: "not available yet"},
		{name: "empty token asks for one", keys: "enter enter", wantPhase: phaseToken, wantErr: "Paste your API token first"},
		{name: "rejected token says what to do", keys: "enter bad enter", wantPhase: phaseToken, wantErr: "Personal preferences > API"},
		{name: "good token is verified, saved, then continues", keys: "enter good enter enter", wantPhase: phaseConnected, wantSaved: []string{"good"}, connected: true},
		{name: "demo token is prefilled", demo: true, keys: "enter enter", wantPhase: phaseConnected, wantSaved: []string{"demo-token"}},
		{name: "esc goes back to the choice", keys: "enter esc", wantPhase: phaseChoose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{demo: tt.demo}
			c := NewCommon(fb, true, frozen)
			s := newConnectStep(c, c.Backend, false, "")
			var connected bool
			for _, k := range keyMsgs(tt.keys) {
				cmd := s.Update(k)
				if cmd == nil {
					continue
				}
				// feed verification results back, as the runtime would
				for _, m := range runQuick(cmd) {
					switch m.(type) {
					case verifiedMsg:
						s.Update(m)
					case connectedMsg:
						connected = true
					}
				}
			}
			if s.phase != tt.wantPhase {
				t.Errorf("phase %d, want %d", s.phase, tt.wantPhase)
			}
			if !reflect.DeepEqual(fb.saved, tt.wantSaved) {
				t.Errorf("saved %v, want %v", fb.saved, tt.wantSaved)
			}
			if !strings.Contains(s.errText, tt.wantErr) || (tt.wantErr == "") != (s.errText == "") {
				t.Errorf("error %q, want %q", s.errText, tt.wantErr)
			}
			if connected != tt.connected {
				t.Errorf("connected %v, want %v", connected, tt.connected)
			}
			if tt.wantPhase == phaseToken && tt.wantErr != "" && s.input.Value() != "" {
				t.Errorf("the rejected token is still in the field")
			}
			if strings.Contains(s.View(), "good") {
				t.Errorf("the token is visible on screen:\n%s", s.View())
			}
		})
	}
}

func TestHeadlessCommand(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		demo    bool
		plan    Plan
		want    string
	}{
		{"one mode", "work", false, Plan{Streams: []Choice{{"deals", engine.Incremental}, {"persons", engine.Incremental}}, Format: FormatCSV, OutDir: "out"},
			"pdx sync --no-tui --profile work --streams deals,persons --mode incremental --format csv --out out"},
		{"mixed modes come from the saved profile", "default", false, Plan{Streams: []Choice{{"deals", engine.Incremental}, {"persons", engine.FullRefresh}}, Format: FormatJSONL, OutDir: "/tmp/x"},
			"pdx sync --no-tui --profile default --streams deals,persons --format jsonl --out /tmp/x"},
		{"full-only streams do not mix the mode", "default", false, Plan{Streams: []Choice{{"deals", engine.Incremental}, {"users", engine.FullRefresh}}, Format: FormatJSONL, OutDir: "/tmp/x"},
			"pdx sync --no-tui --profile default --streams deals,users --mode incremental --format jsonl --out /tmp/x"},
		{"demo and a directory that needs quoting", "x", true, Plan{Streams: []Choice{{"deals", engine.FullRefresh}}, Format: FormatAirbyte, OutDir: "my data/it's"},
			`pdx sync --no-tui --demo --streams deals --mode full --format airbyte --out 'my data/it'\''s'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HeadlessCommand(tt.profile, tt.demo, tt.plan, map[string]bool{"users": true}); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestValidDir(t *testing.T) {
	tests := []struct {
		dir     string
		format  Format
		wantErr string
	}{
		{"exports", FormatJSONL, ""},
		{"  ", FormatCSV, "enter a directory"},
		{"-", FormatCSV, "only with Airbyte"},
		{"-", FormatAirbyte, ""},
		{"a\x00b", FormatJSONL, "invalid character"},
	}
	for _, tt := range tests {
		err := validDir(tt.dir, tt.format, testFormats)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("validDir(%q, %s) = %v, want %q", tt.dir, tt.format, err, tt.wantErr)
		}
	}
}

// Several runes in one key message (fast typing) act like separate keys.
func TestCoalescedRunes(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/deal")})
	if !m.streamsScreen().filtering || m.streamsScreen().filter.Value() != "deal" {
		t.Errorf("filtering=%v value=%q, want the filter to hold \"deal\"", m.streamsScreen().filtering, m.streamsScreen().filter.Value())
	}
}

// With OAuth available, the UI steps aside for the sign-in and then shows
// who signed in; a failed sign-in says so and stays on the choice.
func TestConnectOAuthCommand(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{{"true", nil, "Signed in with OAuth"}, {"false", errors.New("oauth: access was denied"), "did not finish"}} {
		t.Run(tt.name, func(t *testing.T) {
			fo := &fakeOAuth{err: tt.err}
			fb := &fakeBackend{oauth: fo}
			m := New(context.Background(), NewCommon(fb, true, frozen))
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
			waitText(t, tm, "sign in through the browser")
			tm.Send(tea.KeyMsg{Type: tea.KeyDown})
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			waitText(t, tm, tt.want)
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
			final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
			if tt.err == nil && final.connectScreen().phase != phaseConnected {
				t.Errorf("phase %v after a successful sign-in", final.connectScreen().phase)
			}
		})
	}
}

// A late duplicate of "output chosen" (messages in flight while the form
// completes) never starts a second run.
func TestOneRunPerChoice(t *testing.T) {
	fb := &fakeBackend{hasCreds: true}
	m := New(context.Background(), NewCommon(fb, true, frozen))
	m.Update(streamsDoneMsg{choices: []Choice{{"deals", engine.Incremental}}})
	m.Update(outputDoneMsg{format: FormatJSONL, dir: "o"})
	m.Update(outputDoneMsg{format: FormatJSONL, dir: "o"})
	m.Update(streamsDoneMsg{choices: []Choice{{"users", engine.FullRefresh}}})
	<-m.RunEnded()
	if len(fb.plans) != 1 || m.Step() != StepRun {
		t.Errorf("%d runs started, step %v", len(fb.plans), m.Step())
	}
}

// A run that cannot start (say, an unwritable directory) offers esc back to
// the output choice, and a second try runs.
func TestRetryAfterFailedStart(t *testing.T) {
	fb := &fakeBackend{hasCreds: true, runErr: errors.New("mkdir /proc/x: no such file or directory")}
	m := New(context.Background(), NewCommon(fb, true, frozen))
	m.Update(streamsDoneMsg{choices: []Choice{{"deals", engine.Incremental}}})
	m.Update(outputDoneMsg{format: FormatJSONL, dir: "/proc/x"})
	<-m.RunEnded()
	m.Update(<-m.runScreen().done)
	if m.Step() != StepSummary || !m.summaryScreen().canRetry {
		t.Fatalf("step %v canRetry %v", m.Step(), m.summaryScreen() != nil && m.summaryScreen().canRetry)
	}
	for _, msg := range drive(m.summaryScreen(), "esc") {
		m.Update(msg)
	}
	if m.Step() != StepOutput {
		t.Fatalf("esc led to %v, want Output", m.Step())
	}
	fb.runErr = nil
	m.Update(outputDoneMsg{format: FormatJSONL, dir: "ok"})
	<-m.RunEnded()
	if len(fb.plans) != 2 || fb.plans[1].OutDir != "ok" {
		t.Errorf("plans %+v", fb.plans)
	}
}

// A bar has a total only when the previous count means something for this
// run: not for an incremental read continuing from saved state, and not for
// a full refresh when that count may be an incremental run's changes (issue
// 15.1: a count left by an incremental run is no full size).
func TestRunTotals(t *testing.T) {
	tests := []struct {
		mode, last engine.Mode
		want       int64
	}{
		{engine.Incremental, "", -1},
		{engine.Incremental, engine.FullRefresh, -1},
		{engine.FullRefresh, engine.FullRefresh, 500},
		{engine.FullRefresh, engine.Incremental, -1},
		{engine.FullRefresh, "", -1},
	}
	for _, tt := range tests {
		fb := &fakeBackend{hasCreds: true, lastModes: map[string]engine.Mode{"persons": tt.last}}
		m := New(context.Background(), NewCommon(fb, true, frozen))
		m.Update(streamsDoneMsg{choices: []Choice{{"deals", engine.Incremental}, {"persons", tt.mode}}})
		m.Update(outputDoneMsg{format: FormatJSONL, dir: "o"})
		<-m.RunEnded()
		snap := m.runScreen().tracker.Snapshot()
		if snap.Streams[0].Total != 200 || snap.Streams[1].Total != tt.want {
			t.Errorf("%s after %q: totals deals=%d persons=%d, want 200 and %d", tt.mode, tt.last, snap.Streams[0].Total, snap.Streams[1].Total, tt.want)
		}
	}
}

// A failed check of saved credentials is a notice, not a forced login.
func TestWhoamiFailureIsANotice(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	m.Update(whoamiMsg{err: errRejected})
	if m.Step() != StepStreams {
		t.Fatalf("step %v, want to stay on Streams", m.Step())
	}
	if v := m.View(); !strings.Contains(v, "Saved credentials not confirmed (press c to connect again): Pipedrive") {
		t.Errorf("no notice:\n%s", v)
	}
}

// After a budget stop, the saved credentials' check answers with the
// budget error: the notice says budget, not credentials (issue 12 item 9).
func TestWhoamiBudgetIsNotACredentialProblem(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	reset := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	m.Update(whoamiMsg{err: &client.BudgetError{Op: "GET /v1/users/me", Limit: 30000, ResetAt: reset}})
	if m.Step() != StepStreams {
		t.Fatalf("step %v, want to stay on Streams", m.Step())
	}
	v := m.View()
	if strings.Contains(v, "not confirmed") || strings.Contains(v, "press c to connect again") {
		t.Errorf("a budget answer blames the credentials:\n%s", v)
	}
	if !strings.Contains(m.notice, "Credentials saved") || !m.budget.Exhausted || !m.budget.ResetAt.Equal(reset) {
		t.Errorf("notice %q, budget %+v", m.notice, m.budget)
	}
}
