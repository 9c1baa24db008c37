package tui

import (
	"context"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/engine"
)

// StreamState is where one stream of a run stands.
type StreamState int

const (
	StateQueued StreamState = iota
	StateRunning
	StateWaiting // waiting for the rate limiter
	StateDone
	StateFailed
)

// StreamProgress is a point-in-time copy of one stream's progress.
type StreamProgress struct {
	Name      string
	Mode      engine.Mode
	State     StreamState
	Records   int64
	Tokens    int64
	Requests  int64
	Total     int64 // expected records; <= 0 when unknown (-1: not knowable, ignore estimates)
	Started   time.Time
	Ended     time.Time
	WaitUntil time.Time
	// Throttled: the wait follows a 429 (else it is the stream's turn in
	// the rate limit's window, which all streams share).
	Throttled bool
	Err       error
	Failure   engine.FailureType
}

// Snapshot is a consistent copy of the whole run's progress.
type Snapshot struct {
	Streams []StreamProgress
	Budget  engine.BudgetInfo
	// LastWarning is the latest WARN/ERROR log line, for the status line.
	LastWarning string
	Events      int64
}

// Tracker is the UI's engine.Sink: Emit only copies counters under a mutex
// (never blocks on the UI, never keeps records), and the UI reads Snapshot
// on its own tick, which coalesces any event rate into ~10 redraws a second.
type Tracker struct {
	mu      sync.Mutex
	now     Clock
	index   map[string]int
	streams []StreamProgress
	budget  engine.BudgetInfo
	warning string
	events  int64
}

// NewTracker prepares one row per chosen stream, in the plan's order, with
// the previous run's counts as totals where known.
func NewTracker(plan []Choice, totals map[string]int64, now Clock) *Tracker {
	if now == nil {
		now = time.Now
	}
	t := &Tracker{now: now, index: make(map[string]int, len(plan))}
	for _, c := range plan {
		t.index[c.Stream] = len(t.streams)
		t.streams = append(t.streams, StreamProgress{Name: c.Stream, Mode: c.Mode, Total: totals[c.Stream]})
	}
	return t
}

// Emit implements engine.Sink.
func (t *Tracker) Emit(_ context.Context, ev engine.Event) error {
	at := ev.Time
	if at.IsZero() {
		at = t.now()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events++
	switch ev.Kind {
	case engine.Budget:
		t.budget = ev.Budget
		return nil
	case engine.Log:
		if ev.Level == engine.LevelWarn || ev.Level == engine.LevelError {
			t.warning = ev.Message
		}
		return nil
	}
	if ev.Stream == "" {
		return nil
	}
	i, ok := t.index[ev.Stream]
	if !ok {
		// A stream the plan did not name (a child stream the engine added):
		// show it rather than hide work.
		i = len(t.streams)
		t.index[ev.Stream] = i
		t.streams = append(t.streams, StreamProgress{Name: ev.Stream})
	}
	s := &t.streams[i]
	if ev.Stats.Records > s.Records {
		s.Records = ev.Stats.Records
	}
	if ev.Stats.Tokens > s.Tokens {
		s.Tokens = ev.Stats.Tokens
	}
	s.Requests = ev.Stats.Requests
	switch ev.Kind {
	case engine.StreamQueued:
		if ev.Stats.Estimate > 0 && s.Total >= 0 {
			s.Total = ev.Stats.Estimate
		}
	case engine.StreamStarted:
		s.State, s.Started = StateRunning, at
	case engine.Records, engine.Checkpoint:
		if s.State == StateQueued || s.State == StateWaiting {
			s.State = StateRunning
		}
		if s.Started.IsZero() {
			s.Started = at
		}
	case engine.RateLimited:
		s.State, s.WaitUntil, s.Throttled = StateWaiting, at.Add(ev.Wait), ev.Throttled
		if s.Started.IsZero() {
			s.Started = at
		}
	case engine.StreamComplete:
		s.State, s.Ended = StateDone, at
	case engine.StreamIncomplete:
		s.State, s.Ended, s.Err, s.Failure = StateFailed, at, ev.Err, ev.Failure
	}
	return nil
}

// Snapshot copies the current progress.
func (t *Tracker) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Snapshot{
		Streams:     append([]StreamProgress(nil), t.streams...),
		Budget:      t.budget,
		LastWarning: t.warning,
		Events:      t.events,
	}
}
