// Package engine runs a configured catalog of Pipedrive streams: concurrency
// across streams under one shared rate limiter, per-stream state and
// checkpoints. It never prints and never touches the disk: everything it does
// is reported as Events to a Sink (the Airbyte writer, the file writers, the
// TUI and the headless progress printer are all sinks).
package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/plural"
)

// Sink receives the engine's events. Emit is called from several stream
// goroutines at once, so implementations must be safe for concurrent use;
// the events of one stream arrive in order. Emit for Records and Checkpoint
// must return only once the sink has durably handed the records over (a file
// writer flushes before it persists the state of a Checkpoint). A non-nil
// error fails the stream that emitted the event. Observers that only watch
// (a UI) must return quickly and never block the engine.
type Sink interface {
	Emit(ctx context.Context, ev Event) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, ev Event) error

// Emit calls f.
func (f SinkFunc) Emit(ctx context.Context, ev Event) error { return f(ctx, ev) }

// Kind says what an Event reports.
type Kind uint8

const (
	// StreamQueued: the stream is part of the run and waits for a worker.
	// Stats.Estimate holds the expected record count when known (-1 otherwise).
	StreamQueued Kind = iota + 1
	// StreamStarted: the stream's first request is about to be sent;
	// Message says in one line how it will be read (the plan).
	StreamStarted
	// Records: one page of raw records, exactly as the API returned them.
	Records
	// Checkpoint: State is the stream's state covering every record emitted so
	// far; Count is the number of records since the previous Checkpoint.
	Checkpoint
	// RateLimited: the stream waits Wait before its next request. Emitted
	// when the wait begins; Throttled says why (the burst window's turn, or
	// a 429), so a sink never calls pacing "rate limited" by Pipedrive.
	RateLimited
	// Budget: the daily token budget changed (Stream is empty).
	Budget
	// Log: a human-readable message (never containing a secret).
	Log
	// StreamComplete: the stream finished; its last Checkpoint came before.
	StreamComplete
	// StreamIncomplete: the stream stopped early; Err and Failure say why.
	StreamIncomplete
	// ParentsCovered (child streams read per batch of parent ids, such as
	// deal_products): the Records events before it hold the complete child
	// set of each of Parents, every page of their batch read. A sink can
	// diff that set against what it delivered before, to find the children
	// removed from a parent (no list reports those). A batch that failed or
	// was cut by the token cap is never reported. It comes before the
	// Checkpoint that covers these parents.
	ParentsCovered
)

// String names the kind for logs and tests.
func (k Kind) String() string {
	switch k {
	case StreamQueued:
		return "queued"
	case StreamStarted:
		return "started"
	case Records:
		return "records"
	case Checkpoint:
		return "checkpoint"
	case RateLimited:
		return "rate_limited"
	case Budget:
		return "budget"
	case Log:
		return "log"
	case StreamComplete:
		return "complete"
	case StreamIncomplete:
		return "incomplete"
	case ParentsCovered:
		return "parents_covered"
	}
	return "unknown"
}

// FailureType classifies a failed stream the way the Airbyte protocol does.
type FailureType string

const (
	ConfigError    FailureType = "config_error"    // the user must fix something (token, permissions, plan)
	SystemError    FailureType = "system_error"    // a bug or an unexpected API answer
	TransientError FailureType = "transient_error" // try again later (network, 5xx, budget exhausted)
)

// LogLevel of a Log event, named as in the Airbyte protocol.
type LogLevel string

const (
	LevelDebug LogLevel = "DEBUG"
	LevelInfo  LogLevel = "INFO"
	LevelWarn  LogLevel = "WARN"
	LevelError LogLevel = "ERROR"
)

// StreamStats are cumulative counters of one stream, carried on every event
// of that stream so an observer never has to add anything up.
type StreamStats struct {
	Records  int64         // records emitted
	Pages    int64         // pages fetched
	Bytes    int64         // response body bytes read
	Tokens   int64         // API tokens spent (the operations' x-token-cost)
	Requests int64         // HTTP requests sent, retries included
	Waits    int64         // rate-limit waits
	Waited   time.Duration // total time spent waiting for the rate limiter
	Estimate int64         // expected total records, -1 when unknown
}

// BudgetInfo is the company's daily API token budget as last reported by the
// API headers (x-daily-ratelimit-token-*): the client's Budget, one type for
// the idea. Known is false until a response carried them; Exhausted is set
// when the API refused a request because the budget is gone, ResetAt is
// when it comes back (midnight server time).
type BudgetInfo = client.Budget

// Event is one thing the engine reports. Only the fields of its Kind are set.
type Event struct {
	Kind    Kind
	Stream  string
	Time    time.Time
	Records []json.RawMessage // Records
	State   json.RawMessage   // Checkpoint: the stream_state object
	Count   int64             // Checkpoint: records since the previous Checkpoint
	Stats   StreamStats       // every stream event
	Wait    time.Duration     // RateLimited
	// Throttled is true when the wait follows a 429 answer; false when it
	// is pdx's own pacing (the stream's turn in the burst window, which all
	// streams share, earlier-started ones first).
	Throttled bool        // RateLimited
	Budget    BudgetInfo  // Budget
	Err       error       // StreamIncomplete
	Failure   FailureType // StreamIncomplete
	Level     LogLevel    // Log
	Message   string      // Log; StreamStarted: the plan
	Parents   []string    // ParentsCovered: parent ids, as the child request carries them
	// Narrates, on a Log, names the stream event whose facts the message
	// repeats in words (the plan of StreamStarted, the stats of
	// StreamComplete and StreamIncomplete) for sinks that only show logs,
	// such as Airbyte's; a sink printing those events itself skips it.
	Narrates Kind
}

// Summary is the stats as one phrase: "1,868 records, 4 pages, 4 requests,
// 40 tokens", then the rate-limit waits if there were any. Waited is summed
// over the stream's requests, which wait at the same time when pages are
// prefetched or children fetched in parallel, so it can exceed the
// stream's elapsed time: the phrase says so.
func (s StreamStats) Summary() string {
	out := plural.Count(s.Records, "record") + ", " + plural.Count(s.Pages, "page") + ", " +
		plural.Count(s.Requests, "request") + ", " + plural.Count(s.Tokens, "token")
	if w := s.WaitSummary(); w != "" {
		out += ", " + w
	}
	return out
}

// WaitSummary is "4 rate-limit waits, 1.2s summed over concurrent requests"
// or "1 rate-limit wait of 100ms" ("" when the stream never waited).
func (s StreamStats) WaitSummary() string {
	step := 100 * time.Millisecond
	if s.Waited < step {
		step = time.Millisecond // not "0s"
	}
	waited := s.Waited.Round(step).String()
	switch s.Waits {
	case 0:
		return ""
	case 1:
		return "1 rate-limit wait of " + waited
	}
	return plural.Count(s.Waits, "rate-limit wait") + ", " + waited + " summed over concurrent requests"
}

// MultiSink fans events out to several sinks in order; the first error wins.
// Put the durable writer first and watchers after it, so a watcher never sees
// a Checkpoint the writer failed to persist.
func MultiSink(sinks ...Sink) Sink {
	return SinkFunc(func(ctx context.Context, ev Event) error {
		for _, s := range sinks {
			if err := s.Emit(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}
