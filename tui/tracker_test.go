package tui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
)

func TestTrackerStates(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	boom := errors.New("boom")
	tests := []struct {
		name   string
		events []engine.Event
		want   StreamProgress
	}{
		{"queued keeps the previous count as total", []engine.Event{
			{Kind: engine.StreamQueued, Stream: "deals", Stats: engine.StreamStats{Estimate: -1}},
		}, StreamProgress{Name: "deals", State: StateQueued, Total: 200}},
		{"an estimate from the engine wins", []engine.Event{
			{Kind: engine.StreamQueued, Stream: "deals", Stats: engine.StreamStats{Estimate: 500}},
		}, StreamProgress{Name: "deals", State: StateQueued, Total: 500}},
		{"an estimate cannot override a total marked unknowable", []engine.Event{
			{Kind: engine.StreamQueued, Stream: "inc", Stats: engine.StreamStats{Estimate: 500}},
		}, StreamProgress{Name: "inc", State: StateQueued, Total: -1}},
		{"records make it running with cumulative counts", []engine.Event{
			{Kind: engine.StreamStarted, Stream: "deals", Time: at(1)},
			{Kind: engine.Records, Stream: "deals", Time: at(2), Stats: engine.StreamStats{Records: 100, Tokens: 10}},
			{Kind: engine.Records, Stream: "deals", Time: at(3), Stats: engine.StreamStats{Records: 150, Tokens: 20}},
		}, StreamProgress{Name: "deals", State: StateRunning, Total: 200, Records: 150, Tokens: 20, Started: at(1)}},
		{"rate limit waits with a deadline", []engine.Event{
			{Kind: engine.StreamStarted, Stream: "deals", Time: at(1)},
			{Kind: engine.RateLimited, Stream: "deals", Time: at(2), Wait: 7 * time.Second},
		}, StreamProgress{Name: "deals", State: StateWaiting, Total: 200, Started: at(1), WaitUntil: at(9)}},
		{"a 429 wait is marked throttled", []engine.Event{
			{Kind: engine.StreamStarted, Stream: "deals", Time: at(1)},
			{Kind: engine.RateLimited, Stream: "deals", Time: at(2), Wait: 7 * time.Second, Throttled: true},
		}, StreamProgress{Name: "deals", State: StateWaiting, Total: 200, Started: at(1), WaitUntil: at(9), Throttled: true}},
		{"the next page ends the wait", []engine.Event{
			{Kind: engine.StreamStarted, Stream: "deals", Time: at(1)},
			{Kind: engine.RateLimited, Stream: "deals", Time: at(2), Wait: 7 * time.Second},
			{Kind: engine.Records, Stream: "deals", Time: at(9), Stats: engine.StreamStats{Records: 1}},
		}, StreamProgress{Name: "deals", State: StateRunning, Total: 200, Records: 1, Started: at(1), WaitUntil: at(9)}},
		{"complete", []engine.Event{
			{Kind: engine.StreamStarted, Stream: "deals", Time: at(1)},
			{Kind: engine.StreamComplete, Stream: "deals", Time: at(5), Stats: engine.StreamStats{Records: 7}},
		}, StreamProgress{Name: "deals", State: StateDone, Total: 200, Records: 7, Started: at(1), Ended: at(5)}},
		{"incomplete keeps the reason", []engine.Event{
			{Kind: engine.StreamStarted, Stream: "deals", Time: at(1)},
			{Kind: engine.StreamIncomplete, Stream: "deals", Time: at(5), Err: boom, Failure: engine.SystemError},
		}, StreamProgress{Name: "deals", State: StateFailed, Total: 200, Started: at(1), Ended: at(5), Err: boom, Failure: engine.SystemError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker([]Choice{{Stream: "deals", Mode: engine.Incremental}, {Stream: "inc", Mode: engine.Incremental}}, map[string]int64{"deals": 200, "inc": -1}, frozen)
			for _, ev := range tt.events {
				if err := tr.Emit(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
			}
			got := tr.Snapshot().Streams[0]
			if tt.want.Name == "inc" {
				got = tr.Snapshot().Streams[1]
			}
			tt.want.Mode = engine.Incremental
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestTrackerBudgetLogAndUnknownStream(t *testing.T) {
	tr := NewTracker(nil, nil, frozen)
	ctx := context.Background()
	_ = tr.Emit(ctx, engine.Event{Kind: engine.Budget, Budget: engine.BudgetInfo{Known: true, Limit: 100, Remaining: 40}})
	_ = tr.Emit(ctx, engine.Event{Kind: engine.Log, Level: engine.LevelInfo, Message: "info"})
	_ = tr.Emit(ctx, engine.Event{Kind: engine.Log, Level: engine.LevelWarn, Message: "slow down"})
	_ = tr.Emit(ctx, engine.Event{Kind: engine.Records, Stream: "deal_products", Stats: engine.StreamStats{Records: 3}})
	s := tr.Snapshot()
	if s.Budget.Remaining != 40 || s.LastWarning != "slow down" {
		t.Errorf("budget/warning: %+v %q", s.Budget, s.LastWarning)
	}
	if len(s.Streams) != 1 || s.Streams[0].Name != "deal_products" || s.Streams[0].Records != 3 {
		t.Errorf("unplanned stream not shown: %+v", s.Streams)
	}
}

// The engine emits from many goroutines while the UI snapshots; run with
// -race. Emit must never wait on the UI: it only takes a short mutex.
func TestTrackerConcurrentEmit(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	var plan []Choice
	for _, n := range names {
		plan = append(plan, Choice{Stream: n})
	}
	tr := NewTracker(plan, nil, frozen)
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			for i := int64(1); i <= 1000; i++ {
				_ = tr.Emit(context.Background(), engine.Event{Kind: engine.Records, Stream: n, Stats: engine.StreamStats{Records: i}})
			}
		}(n)
	}
	stop := make(chan struct{})
	go func() { wg.Wait(); close(stop) }()
	snaps := 0
	for done := false; !done; {
		select {
		case <-stop:
			done = true
		default:
			_ = tr.Snapshot()
			snaps++
		}
	}
	for _, s := range tr.Snapshot().Streams {
		if s.Records != 1000 {
			t.Errorf("%s: %d records, want 1000", s.Name, s.Records)
		}
	}
	if got := tr.Snapshot().Events; got != 4000 {
		t.Errorf("events %d, want 4000", got)
	}
}
