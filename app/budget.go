package app

// The company's daily API budget after a run (issue 12 item 9): how much
// pdx left for everyone else, and when it comes back, said as an estimate
// ("around 00:00 UTC") until pdx has seen a reset happen.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/pdxhq/pdx/source/client"
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

// NominalDailyBudget is the smallest daily budget a company has: 30,000
// tokens, Lite's multiplier 1, one seat (pipedrive-facts section 8). Before
// pdx has seen an account's budget it plans with this floor, said as such:
// a real account has at least this much, so a backfill takes at most the
// days it gives.
const NominalDailyBudget = 30000

// Allowance is what runs may spend of the company's daily budget: the
// meter (Known false: never read, so NominalDailyBudget stands in), less
// the reserve pdx leaves to the company's other integrations, and at most
// the run's token cap.
type Allowance struct {
	Budget    client.Budget
	Reserve   client.Reserve
	MaxTokens int64 // the per-run cap (0: none)
}

// Backfill is how long a read of Tokens takes at an Allowance, a run a day
// (the budget comes back daily; a per-run cap also binds per run, so more
// runs a day would go faster, up to the budget).
type Backfill struct {
	Tokens int64
	// Today is what a run may spend now, Daily what a run may spend on a
	// later day, once the budget came back.
	Today, Daily int64
	// Days the read takes, today being the first (1: it fits today); 0
	// when no run may spend anything (a reserve of the whole budget).
	Days int64
	// Limit is the daily budget it rests on, Kept the reserve of it left
	// to the company's other integrations.
	Limit, Kept int64
	Nominal     bool // the budget is NominalDailyBudget: none seen yet
	Capped      bool // the per-run cap, not the budget, sets Daily
}

// Backfill says how many days a read of tokens takes at a.
func (a Allowance) Backfill(tokens int64) Backfill {
	b := a.Budget
	out := Backfill{Tokens: tokens}
	if !b.Known || b.Limit <= 0 {
		b = client.Budget{Limit: NominalDailyBudget, Remaining: NominalDailyBudget}
		out.Nominal = true
	}
	keep := a.Reserve.Of(b.Limit)
	out.Limit, out.Kept = b.Limit, keep
	out.Daily = max(b.Limit-keep, 0)
	out.Today = max(b.Remaining-keep, 0)
	if b.Exhausted {
		out.Today = 0
	}
	if a.MaxTokens > 0 && a.MaxTokens < out.Daily {
		out.Daily, out.Capped = a.MaxTokens, true
	}
	out.Today = min(out.Today, out.Daily)
	switch {
	case tokens <= out.Today:
		out.Days = 1
	case out.Daily > 0:
		out.Days = 1 + (tokens-out.Today+out.Daily-1)/out.Daily
	}
	return out
}

// Fits reports whether the read fits what a run may spend today.
func (b Backfill) Fits() bool { return b.Days == 1 }

// Text says how long the read takes: "within today's budget", or "about 4
// days at this account's budget"; at the cap or the nominal budget, which.
func (b Backfill) Text() string {
	switch {
	case b.Days == 0:
		return "never: the budget reserve leaves no tokens to spend"
	case b.Fits():
		return "within today's budget"
	case b.Capped:
		return fmt.Sprintf("about %d days at the cap of %s tokens per run (a run a day)", b.Days, humanize.Comma(b.Daily))
	case b.Nominal:
		return fmt.Sprintf("about %d days at the smallest plan's %s tokens a day (nominal: pdx has not seen this account's budget yet)", b.Days, humanize.Comma(NominalDailyBudget))
	}
	return fmt.Sprintf("about %d days at this account's budget", b.Days)
}

// Short is Text in fewer words, for a narrow line.
func (b Backfill) Short() string {
	switch {
	case b.Days == 0:
		return "never: the reserve leaves nothing"
	case b.Fits():
		return "fits today"
	case b.Capped:
		return fmt.Sprintf("about %d days at the %s cap", b.Days, humanize.Comma(b.Daily))
	case b.Nominal:
		return fmt.Sprintf("about %d days (nominal budget)", b.Days)
	}
	return fmt.Sprintf("about %d days at this budget", b.Days)
}

// BudgetNow is the budget a run would meet now, from the last reading m:
// that reading, or the whole limit when the budget came back since (a
// reset after m.At, as nextReset places it). Known is false without a
// reading.
func BudgetNow(m state.BudgetMemo, now time.Time) client.Budget {
	if m.Limit <= 0 || m.At.IsZero() {
		return client.Budget{}
	}
	b := client.Budget{Known: true, Limit: m.Limit, Remaining: m.Remaining}
	y, mo, d := m.At.UTC().Date()
	guess := time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
	if at, _ := nextReset(m, guess, m.At); !now.Before(at) {
		b.Remaining = m.Limit
	}
	return b
}
