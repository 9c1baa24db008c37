package app

// The company's daily API budget after a run (issue 12 item 9): how much
// pdx left for everyone else, and when it comes back, said as an estimate
// ("around 00:00 UTC") until pdx has seen a reset happen.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/state"
)

// resetWindow is how close two meter readings must be for a rise between
// them to date the reset (a rise across a longer gap says only that a reset
// happened somewhere in it).
const resetWindow = 2 * time.Hour

// budgetWatch is a sink that notes the budget meter: the first and last
// readings of the run and a reset seen during it.
type budgetWatch struct {
	now   func() time.Time
	mu    sync.Mutex
	first *state.BudgetMemo
	last  state.BudgetMemo
	seen  time.Time
}

func (w *budgetWatch) Emit(_ context.Context, ev engine.Event) error {
	if ev.Kind != engine.Budget || !ev.Budget.Known {
		return nil
	}
	at := ev.Time
	if at.IsZero() {
		at = w.now()
	}
	m := state.BudgetMemo{Limit: ev.Budget.Limit, Remaining: ev.Budget.Remaining, At: at.UTC()}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first == nil {
		w.first = &m
	} else if rose(w.last, m) {
		w.seen = m.At
	}
	w.last = m
	return nil
}

// rose says the budget came back between readings a and b: more than
// half the limit more left later, within resetWindow (answers of parallel
// requests arrive out of order, so small rises are noise).
func rose(a, b state.BudgetMemo) bool {
	return !a.At.IsZero() && b.Limit > 0 && b.Remaining-a.Remaining > b.Limit/2 && b.At.Sub(a.At) <= resetWindow && b.At.After(a.At)
}

// memo is what to remember after the run, given what was remembered.
func (w *budgetWatch) memo(prev state.BudgetMemo) (state.BudgetMemo, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first == nil {
		return prev, false
	}
	out := w.last
	out.ResetSeen = prev.ResetSeen
	switch {
	case !w.seen.IsZero():
		out.ResetSeen = w.seen
	case rose(prev, *w.first):
		out.ResetSeen = w.first.At
	}
	return out, true
}

// nextReset is when the budget comes back after now: at the time of day
// of a reset pdx saw (rounded to the hour, as readings are minutes apart),
// else the client's guess, midnight UTC (estimated).
func nextReset(m state.BudgetMemo, guess, now time.Time) (time.Time, bool) {
	if m.ResetSeen.IsZero() {
		return guess, true
	}
	tod := m.ResetSeen.UTC().Round(time.Hour)
	y, mo, d := now.UTC().Date()
	at := time.Date(y, mo, d, tod.Hour(), 0, 0, 0, time.UTC)
	for !at.After(now) {
		at = at.Add(24 * time.Hour)
	}
	return at, false
}

// ResetText says when the budget comes back: "around 00:00 UTC" while it
// is an estimate, else "at 01:00 UTC"; with the date when not today.
func (s Summary) ResetText(now time.Time) string {
	at := s.BudgetReset.UTC()
	when := at.Format("15:04 UTC")
	if y, m, d := at.Date(); now.UTC().YearDay() != at.YearDay() || now.UTC().Year() != y {
		when = fmt.Sprintf("%s on %d-%02d-%02d", when, y, m, d)
	}
	if s.BudgetResetEstimated {
		return "around " + when + " (estimated: Pipedrive does not say; pdx learns it once it sees a reset)"
	}
	return "at " + when + " (as pdx saw it reset before)"
}

// BudgetText says what the stop left for the company's other users.
func (s Summary) BudgetText() string {
	b := s.Budget
	switch {
	case !b.Known:
		return "daily API budget exhausted"
	case s.BudgetReserve > 0:
		return fmt.Sprintf("daily API budget down to pdx's reserve: %d of %d tokens left for the company's other integrations (reserve %d)", b.Remaining, b.Limit, s.BudgetReserve)
	}
	return fmt.Sprintf("daily API budget exhausted: %d of %d tokens left", b.Remaining, b.Limit)
}
