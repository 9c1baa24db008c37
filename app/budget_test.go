package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/state"
)

// TestBudgetReserve is issue 12 item 9: pdx stops before the company's
// daily budget is drained, leaving the reserve (default 10% of the limit)
// to others, with state saved; "0" spends it all as before.
func TestBudgetReserve(t *testing.T) {
	// deals and persons cost 90 tokens at this scale (pages of 500 at 10
	// tokens): more than the day's 60.
	const daily = 60
	tests := []struct {
		reserve  string
		wantLeft int64 // at least this much is left for others
		maxLeft  int64 // and less than one more page (10 tokens) above it
	}{
		{"", 6, 6 + 9},
		{"25%", 15, 15 + 9},
		{"30", 30, 30 + 9},
		{"0", 0, 9},
	}
	for _, tt := range tests {
		t.Run("reserve="+tt.reserve, func(t *testing.T) {
			e := newEnv(t, pipedrivetest.Options{Seed: 4, Scale: 3000, DailyBudget: daily})
			p := e.prof
			// One stream at a time: the check is made before each request,
			// so requests already in flight when the meter crosses the
			// reserve spend into it (see client.Options.Reserve).
			p.Streams, p.BudgetReserve, p.Concurrency = []string{"deals", "persons"}, tt.reserve, 1
			p.OutDir = filepath.Join(e.out, "x")
			sum := e.run(t, p, nil)
			_, left := e.srv.Budget()
			if !sum.BudgetExhausted || sum.OK() {
				t.Fatalf("the run did not stop for the budget: %+v", sum)
			}
			if left < tt.wantLeft || left > tt.maxLeft {
				t.Errorf("left %d tokens of %d, want %d..%d", left, daily, tt.wantLeft, tt.maxLeft)
			}
			if sum.Budget.Remaining != left {
				t.Errorf("summary says %d left, the server %d", sum.Budget.Remaining, left)
			}
			st, _ := e.states.Load("test")
			if len(st.Streams()) == 0 {
				t.Error("no state saved at the budget stop")
			}
			if !sum.BudgetResetEstimated || !strings.Contains(sum.ResetText(time.Now()), "around") {
				t.Errorf("reset not said as an estimate: %q", sum.ResetText(time.Now()))
			}
			if tt.reserve != "0" && !strings.Contains(sum.BudgetText(), "left for the company's other integrations") {
				t.Errorf("budget text %q", sum.BudgetText())
			}
			t.Logf("reserve %q: stopped with %d of %d tokens left (%s)", tt.reserve, left, daily, sum.BudgetText())
		})
	}
}

// TestBudgetResetSeen: a rise of the meter within a run, or between the
// last run and this one when close in time, dates the reset; the next
// reset is then said at that time of day, not as an estimate.
func TestBudgetResetSeen(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 22, 50, 0, 0, time.UTC)
	reading := func(at time.Time, rem int64) engine.Event {
		return engine.Event{Kind: engine.Budget, Time: at, Budget: engine.BudgetInfo{Known: true, Limit: 1000, Remaining: rem}}
	}
	tests := []struct {
		name     string
		prev     state.BudgetMemo
		events   []engine.Event
		wantSeen time.Time
	}{
		{"falling only", state.BudgetMemo{}, []engine.Event{reading(t0, 500), reading(t0.Add(time.Minute), 400)}, time.Time{}},
		{"rise in the run", state.BudgetMemo{}, []engine.Event{reading(t0, 50), reading(t0.Add(70*time.Minute), 990)}, t0.Add(70 * time.Minute)},
		{"rise since the last run", state.BudgetMemo{Remaining: 10, At: t0}, []engine.Event{reading(t0.Add(time.Hour), 990)}, t0.Add(time.Hour)},
		{"rise after a long gap says nothing", state.BudgetMemo{Remaining: 10, At: t0}, []engine.Event{reading(t0.Add(30*time.Hour), 990)}, time.Time{}},
		{"an old sighting is kept", state.BudgetMemo{Remaining: 10, At: t0, ResetSeen: t0.Add(-48 * time.Hour)}, []engine.Event{reading(t0.Add(time.Minute), 5)}, t0.Add(-48 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &budgetWatch{now: time.Now}
			for _, ev := range tt.events {
				_ = w.Emit(context.Background(), ev)
			}
			m, ok := w.memo(tt.prev)
			if !ok || !m.ResetSeen.Equal(tt.wantSeen) {
				t.Fatalf("memo %+v (%v), want reset seen %v", m, ok, tt.wantSeen)
			}
			at, est := nextReset(m, t0.Add(24*time.Hour), t0.Add(2*time.Hour))
			if est != tt.wantSeen.IsZero() {
				t.Errorf("estimated = %v", est)
			}
			if !est && (at.Hour() != tt.wantSeen.Round(time.Hour).Hour() || !at.After(t0.Add(2*time.Hour))) {
				t.Errorf("next reset %v from a reset seen at %v", at, tt.wantSeen)
			}
		})
	}
}
