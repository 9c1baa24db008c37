package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/pdxhq/pdx/source/engine"
)

func TestSummarize(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	done := StreamProgress{Name: "deals", State: StateDone, Records: 200, Started: at(0), Ended: at(4)}
	failed := StreamProgress{Name: "persons", State: StateFailed, Records: 50, Started: at(0), Ended: at(3), Err: errRejected, Failure: engine.ConfigError}
	cancelled := StreamProgress{Name: "persons", State: StateFailed, Records: 50, Started: at(0), Ended: at(3), Err: fmt.Errorf("read: %w", context.Canceled)}
	queued := StreamProgress{Name: "users", State: StateQueued}
	neverStarted := StreamProgress{Name: "notes", State: StateFailed, Err: context.Canceled}
	budget := engine.BudgetInfo{Known: true, Limit: 100, Exhausted: true, ResetAt: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name     string
		snap     Snapshot
		runErr   error
		stopped  bool
		want     Outcome
		contains []string
		absent   []string
	}{
		{"all done", Snapshot{Streams: []StreamProgress{done}}, nil, false, Outcome{Ran: true},
			[]string{"✓ Sync finished in 1m05s: 200 records from 1 streams.", "deals                       200       4s  done"},
			[]string{"What failed", "State is saved"}},
		{"a failure is explained", Snapshot{Streams: []StreamProgress{done, failed}}, nil, false, Outcome{Ran: true, Failed: 1},
			[]string{"1 failed stream", "✗ persons: Pipedrive rejected the API token", "State is saved"}, []string{"401 unauthorized"}},
		{"stopped by the user", Snapshot{Streams: []StreamProgress{done, cancelled, queued, neverStarted}}, nil, true, Outcome{Ran: true, Stopped: true, Failed: 3},
			[]string{"Sync stopped by you", "persons                      50       3s  stopped", "users                         0           not started", "notes                         0           not started"},
			[]string{"What failed", "context canceled"}},
		{"budget exhausted", Snapshot{Streams: []StreamProgress{done}, Budget: budget}, nil, false, Outcome{Ran: true, BudgetExhausted: true},
			[]string{"Daily API budget used up", "resets around 00:00 UTC (estimated)"}, nil},
		{"the run could not start", Snapshot{}, errors.New("boom"), false, Outcome{Ran: true},
			[]string{"The sync could not run.", "Something went wrong: boom"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := Plan{Streams: []Choice{{"deals", Incremental}}, Format: FormatJSONL, OutDir: "/out"}
			o, text := summarize(&fakeBackend{}, plan, tt.snap, Result{StateSaved: true}, tt.runErr, tt.stopped, false, 65*time.Second, NewStyles(true), 80)
			text = ansi.Strip(text)
			tt.want.Err = tt.runErr
			if o != tt.want {
				t.Errorf("outcome %+v, want %+v", o, tt.want)
			}
			for _, c := range tt.contains {
				if !strings.Contains(text, c) {
					t.Errorf("summary lacks %q:\n%s", c, text)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(text, c) {
					t.Errorf("summary has %q:\n%s", c, text)
				}
			}
			if !strings.Contains(text, "pdx sync --no-tui --profile default --streams deals") {
				t.Errorf("no headless command:\n%s", text)
			}
		})
	}
}

// The account key reopens Connect from the picker; esc comes back.
func TestReconnectAndBack(t *testing.T) {
	m := newRoot(&fakeBackend{hasCreds: true})
	for _, msg := range drive(m.streams, "c") {
		m.Update(msg)
	}
	if m.Step() != StepConnect {
		t.Fatalf("step %v after c, want Connect", m.Step())
	}
	for _, msg := range drive(m.connect, "esc") {
		m.Update(msg)
	}
	if m.Step() != StepStreams {
		t.Fatalf("step %v after esc, want Streams", m.Step())
	}
}

func TestWrapCommand(t *testing.T) {
	long := HeadlessCommand("default", true, Plan{Streams: []Choice{
		{"activities", Incremental}, {"deal_products", Incremental}, {"deals", Incremental}, {"deals_archived", Incremental},
		{"files", Incremental}, {"leads", Incremental}, {"leads_archived", Incremental}, {"notes", Incremental},
		{"organizations", Incremental}, {"persons", Incremental}, {"products", Incremental}}, Format: FormatJSONL, OutDir: "/tmp/pdx-demo"}, nil)
	got := wrapCommand(long, 76)
	want := `pdx sync --no-tui --demo \
  --streams activities,deal_products,deals,deals_archived,files,leads \
  --streams leads_archived,notes,organizations,persons,products \
  --mode incremental --format jsonl --out /tmp/pdx-demo`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, l := range strings.Split(got, "\n") {
		if len(l) > 76 {
			t.Errorf("line longer than 76: %q", l)
		}
	}
	if short := "pdx sync --no-tui --demo --streams deals --format csv --out x"; wrapCommand(short, 76) != short {
		t.Errorf("a short command was wrapped: %q", wrapCommand(short, 76))
	}
}

// Records of a full refresh the writer dropped are not "saved".
func TestSummarizeDroppedFullRefresh(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	snap := Snapshot{Streams: []StreamProgress{
		{Name: "activities", State: StateFailed, Records: 500, Started: at(0), Ended: at(3), Err: context.Canceled},
		{Name: "call_logs", State: StateFailed, Records: 300, Started: at(0), Ended: at(3), Err: context.Canceled},
	}}
	plan := Plan{Streams: []Choice{{"activities", Incremental}, {"call_logs", FullRefresh}}, Format: FormatJSONL, OutDir: "/out"}
	res := Result{StateSaved: true, Dropped: map[string]bool{"call_logs": true}}
	_, text := summarize(&fakeBackend{}, plan, snap, res, nil, true, false, 3*time.Second, NewStyles(true), 80)
	text = ansi.Strip(text)
	for _, want := range []string{
		"Sync stopped by you after 3s: 500 records saved.",
		"Full-refresh streams that did not finish were not kept",
		"call_logs                   300       3s  stopped, not kept",
		"activities                  500       3s  stopped\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

// Streams that failed for the same reason share one line.
func TestSummarizeGroupsFailures(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	fail := func(name string, err error) StreamProgress {
		return StreamProgress{Name: name, State: StateFailed, Records: 5, Started: at(0), Ended: at(1), Err: err, Failure: engine.ConfigError}
	}
	other := errors.New("disk full")
	snap := Snapshot{Streams: []StreamProgress{fail("deals", errRejected), fail("notes", other), fail("persons", errRejected)}}
	plan := Plan{Streams: []Choice{{"deals", Incremental}, {"notes", Incremental}, {"persons", Incremental}}, Format: FormatJSONL, OutDir: "/out"}
	_, text := summarize(&fakeBackend{}, plan, snap, Result{}, nil, false, false, time.Second, NewStyles(true), 200)
	text = ansi.Strip(text)
	if n := strings.Count(text, "Pipedrive rejected the API token"); n != 1 {
		t.Errorf("the shared reason appears %d times:\n%s", n, text)
	}
	for _, want := range []string{"✗ deals, persons: Pipedrive rejected the API token", "✗ notes: "} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}
