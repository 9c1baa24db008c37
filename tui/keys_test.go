package tui

import (
	"fmt"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// During a run the first Ctrl-C asks; a second one stops (the run's
// context is cancelled, so it saves its state), as y does; n keeps going.
func TestRunStopKeys(t *testing.T) {
	tests := []struct {
		keys     string
		stopping bool
	}{
		{"ctrl+c", false},
		{"ctrl+c ctrl+c", true},
		{"q ctrl+c", true},
		{"ctrl+c y", true},
		{"ctrl+c n", false},
	}
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			m := runScreen(t, 80, 24, nil)
			cancelled := false
			m.runScreen().cancel = func() { cancelled = true }
			press(m, tt.keys)
			r := m.runScreen()
			if r.stopping != tt.stopping || cancelled != tt.stopping {
				t.Errorf("stopping=%v cancelled=%v, want %v", r.stopping, cancelled, tt.stopping)
			}
			if want := !tt.stopping && !strings.HasSuffix(tt.keys, "n"); r.confirming != want {
				t.Errorf("confirming=%v, want %v", r.confirming, want)
			}
			if tt.stopping && !strings.Contains(ansi.Strip(m.View()), "Stopping: finishing the current page") {
				t.Errorf("no stopping notice:\n%s", ansi.Strip(m.View()))
			}
		})
	}
}

// follow sends keys to the root and feeds the messages their commands
// produce (back, again, done...) back to it, as the program would.
func follow(m *Model, seq string) {
	for _, k := range keyMsgs(seq) {
		_, cmd := m.Update(k)
		if cmd == nil {
			continue
		}
		for _, msg := range runQuick(cmd) {
			m.Update(msg)
		}
	}
}

// "?" lists every key on every screen, and closes again; where a field
// takes text it is a character.
func TestAllKeysEveryScreen(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *Model)
		want  string // on the "?" screen
	}{
		{"connect", func(m *Model) {}, "All keys on this screen"},
		{"streams", func(m *Model) { follow(m, "esc"); /* to Connect */ follow(m, "esc") }, "g/home"},
		{"output", func(m *Model) { follow(m, "enter") }, "All keys on this screen"},
		{"run", func(m *Model) {
			*m = *runScreen(t, 80, 24, nil)
		}, "All keys on this screen"},
		{"summary", func(m *Model) {
			m.put(StepSummary, newSummaryStep(m.c, "done"))
			m.summaryScreen().canAgain = true
			m.step = StepSummary
		}, "r run again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{hasCreds: tt.name != "connect"}
			m := newRoot(fb)
			tt.setup(m)
			step := m.Step()
			before := ansi.Strip(m.View())
			if !strings.Contains(before, "? all keys") {
				t.Errorf("the help line does not offer ?:\n%s", before)
			}
			follow(m, "?")
			v := ansi.Strip(m.View())
			if !strings.Contains(v, tt.want) || !strings.Contains(v, "ctrl+c") {
				t.Errorf("after ? the screen lacks %q:\n%s", tt.want, v)
			}
			follow(m, "?")
			if got := ansi.Strip(m.View()); got != before || m.Step() != step {
				t.Errorf("a second ? did not bring the screen back:\n%s", got)
			}
		})
	}
	t.Run("typed into the token field", func(t *testing.T) {
		m := newRoot(&fakeBackend{})
		follow(m, "enter") // API token
		follow(m, "?")
		if v := ansi.Strip(m.View()); strings.Contains(v, "All keys on this screen") {
			t.Errorf("? in the token field opened the key list:\n%s", v)
		}
	})
}

// Home/End and g/G jump to the first and last stream.
func TestStreamsHomeEnd(t *testing.T) {
	tests := []struct {
		keys string
		want string // the stream under the cursor
	}{
		{"G", "pipelines"},
		{"G g", "deals"},
		{"end", "pipelines"},
		{"down down end home", "deals"},
	}
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			m := newRoot(&fakeBackend{hasCreds: true})
			for _, w := range strings.Fields(tt.keys) {
				switch w {
				case "home":
					m.Update(tea.KeyMsg{Type: tea.KeyHome})
				case "end":
					m.Update(tea.KeyMsg{Type: tea.KeyEnd})
				default:
					press(m, w)
				}
			}
			s := m.streamsScreen()
			if got := s.all[s.visible()[s.cursor]].Name; got != tt.want {
				t.Errorf("cursor on %s, want %s", got, tt.want)
			}
		})
	}
}

// Esc leaves each screen for the one before it, as the footers say; the
// Summary offers the same run again and the stream picker.
func TestBackAndAgain(t *testing.T) {
	tests := []struct {
		name string
		ran  bool // a run ended first: the keys are the Summary's
		keys string
		want Step
	}{
		{"esc on streams goes to connect", false, "esc", StepConnect},
		{"and esc on connect comes back", false, "esc esc", StepStreams},
		{"esc with a filter clears it first", false, "/ de enter esc", StepStreams},
		{"esc on output goes to streams", false, "enter esc", StepStreams},
		{"summary r runs again", true, "r", StepRun},
		{"summary s goes to streams", true, "s", StepStreams},
		{"summary q quits", true, "q", StepSummary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{hasCreds: true}
			m := newRoot(fb)
			if tt.ran {
				m.Update(streamsDoneMsg{choices: []Choice{{"deals", engine.Incremental}}})
				m.Update(outputDoneMsg{format: FormatJSONL, dir: "o"})
				<-m.RunEnded()
				m.Update(<-m.runScreen().done)
				if v := ansi.Strip(m.View()); !strings.Contains(v, "r run again") || !strings.Contains(v, "s streams") {
					t.Errorf("the Summary does not offer r and s:\n%s", v)
				}
			}
			follow(m, tt.keys)
			if m.Step() != tt.want {
				t.Errorf("step %v, want %v\n%s", m.Step(), tt.want, ansi.Strip(m.View()))
			}
			if tt.keys == "r" {
				<-m.RunEnded()
				if len(fb.plans) != 2 || fb.plans[1].Streams[0].Stream != "deals" {
					t.Errorf("r ran %v, want the same plan twice", fb.plans)
				}
			}
		})
	}
}

// The demo does not offer an OAuth sign-in it cannot do.
func TestDemoOffersNoOAuth(t *testing.T) {
	m := newRoot(&fakeBackend{demo: true})
	follow(m, "down")
	v := ansi.Strip(m.View())
	if strings.Contains(v, "OAuth") {
		t.Errorf("the demo offers OAuth:\n%s", v)
	}
	if m.connectScreen().cursor != 0 {
		t.Error("down moved to a hidden OAuth choice")
	}
}

// A notice under the header (here: the budget after a budget stop) is
// wrapped in full, never cut, and the screen still fits (issue 15.7).
func TestNoticeWrappedInFull(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 20}} {
		t.Run(fmt.Sprint(size[0]), func(t *testing.T) {
			m := newRoot(&fakeBackend{hasCreds: true})
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			reset := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
			m.Update(whoamiMsg{err: &client.BudgetError{Op: "GET /v1/users/me", Limit: 30000, ResetAt: reset}})
			v := ansi.Strip(m.View())
			lines := strings.Split(v, "\n")
			if len(lines) != size[1] {
				t.Errorf("%d lines, want %d", len(lines), size[1])
			}
			squash := strings.NewReplacer(" ", "", "\n", "")
			notice := strings.Join(lines[1:1+len(m.noticeLines())], "\n")
			if squash.Replace(notice) != squash.Replace(m.notice) || strings.Contains(notice, "…") {
				t.Errorf("notice %q not shown in full:\n%s", m.notice, v)
			}
			if !strings.Contains(lines[len(lines)-1], "ctrl+c") {
				t.Errorf("the help line is gone: %q", lines[len(lines)-1])
			}
		})
	}
}

// Narrow terminals (issue 15.5): the header keeps the whole name by
// showing only the current step; descriptions are shortened at a word,
// never cut inside one; the picker says what this run reads of the stream
// under the cursor and when it was last synced here (15.6).
func TestNarrowPicker(t *testing.T) {
	synced := time.Date(2026, 3, 1, 18, 5, 0, 0, time.UTC)
	for _, size := range [][2]int{{80, 24}, {60, 20}} {
		t.Run(fmt.Sprint(size[0]), func(t *testing.T) {
			fb := &fakeBackend{hasCreds: true, streams: func(all []StreamInfo) {
				all[1].Cursor, all[1].Synced = "2026-03-01T18:00:00Z", synced
				all[3].Description = "Deal field definitions, custom fields included and more words"
			}}
			m := newRoot(fb)
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m.Update(whoamiMsg{id: Identity{User: "Ann Example", Company: "Example Holdings"}})
			v := ansi.Strip(m.View())
			lines := strings.Split(v, "\n")
			if !strings.Contains(lines[0], "Ann Example @ Example Holdings") {
				t.Errorf("header cuts the name: %q", lines[0])
			}
			if !strings.Contains(lines[0], "Streams") {
				t.Errorf("header lost the current step: %q", lines[0])
			}
			words := map[string]bool{}
			for _, si := range fb.Streams() {
				for _, w := range strings.Fields(si.Description) {
					words[strings.TrimRight(w, ",")] = true
				}
			}
			for _, l := range lines[5:] {
				if i := strings.Index(l, "…"); i > 0 {
					f := strings.Fields(l[:i])
					if last := strings.TrimRight(f[len(f)-1], ","); !words[last] {
						t.Errorf("a description cut inside a word (%q): %q", last, l)
					}
				}
			}
			follow(m, "down")                                           // persons: incremental from its cursor
			v = strings.Join(strings.Fields(ansi.Strip(m.View())), " ") // the detail wraps
			for _, want := range []string{"persons · incremental: the changes since 1 Mar 2026 18:00"} {
				if !strings.Contains(v, want) {
					t.Errorf("picker lacks %q:\n%s", want, v)
				}
			}
			if !strings.Contains(v, "last synced here 1 Mar 2026 18:05") {
				t.Errorf("picker does not say when persons was last synced:\n%s", v)
			}
			follow(m, "m") // persons to full refresh
			if v = strings.Join(strings.Fields(ansi.Strip(m.View())), " "); !strings.Contains(v, "persons · full refresh: reads all of it") {
				t.Errorf("after m the picker does not say it reads all:\n%s", v)
			}
			follow(m, "up") // deals: incremental, nothing here yet
			if v = strings.Join(strings.Fields(ansi.Strip(m.View())), " "); !strings.Contains(v, "new: all") || !strings.Contains(v, "deals · new here: reads all of it") {
				t.Errorf("deals (no state here) not shown as a first full read:\n%s", v)
			}
		})
	}
}

// The picker's detail says when an incremental read still reads every page
// (the table's ScansAll), so "only the changes" never reads as cheap.
func TestPickerSaysScansAll(t *testing.T) {
	for _, tc := range []struct {
		stream string
		want   string
	}{
		{"tasks", "tasks · incremental: the changes since 1 Mar 2026 18:00, reading every page to find them"},
		{"persons", "persons · incremental: the changes since 1 Mar 2026 18:00 ·"},
	} {
		t.Run(tc.stream, func(t *testing.T) {
			st, ok := streams.Lookup(tc.stream)
			if !ok || st.ScansAll() != (tc.stream == "tasks") {
				t.Fatalf("the table no longer has %s scanning all (%v): pick another stream", tc.stream, st.ScansAll())
			}
			fb := &fakeBackend{hasCreds: true, streams: func(all []StreamInfo) {
				all[1].Name, all[1].Cursor = tc.stream, "2026-03-01T18:00:00Z"
			}}
			m := newRoot(fb)
			m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
			m.Update(whoamiMsg{id: Identity{User: "Ann Example", Company: "Example Holdings"}})
			follow(m, "down")
			if v := strings.Join(strings.Fields(ansi.Strip(m.View())), " "); !strings.Contains(v, tc.want) {
				t.Errorf("picker lacks %q:\n%s", tc.want, v)
			}
		})
	}
}
