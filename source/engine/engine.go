package engine

// The engine's public API (stable; other packages build on it): Mode
// (FullRefresh, Incremental), ConfiguredStream, Options, Run, Result
// (OK, Err, BudgetExhausted), StreamResult, DefaultConcurrency, ParseTime,
// FormatState, plus the event contract in event.go. (Token estimates are
// app.EstimateStreams'.)
//
// State, per stream, is a JSON object keyed by the stream's cursor field:
// {"update_time":"2024-05-01T10:00:00Z"} ({"modified":...} for users), RFC
// 3339 UTC whole seconds, the max cursor seen among records already handed
// to the sink; {} when nothing is known. Incoming states also accept the old
// Airbyte connector's values ("2021-06-01 10:10:10"), offsets and dates.
//   - server-side streams (updated_since): a Checkpoint after every page;
//     resuming re-reads the boundary (updated_since is inclusive), so any
//     emitted state loses nothing;
//   - client-side streams: everything is read, records with cursor >= state
//     are emitted, one Checkpoint at the end; archived lists also compare
//     archive_time, and their state is the max of both times, plus when
//     the list was last swept whole:
//     {"update_time":T,"swept_at":S,"sweep_from":F} (see archivedScan in
//     source/streams; deals_archived reads by updated_since between sweeps,
//     leads_archived the tail of its update_time order from "tail_start",
//     see read_sorted_tail.go);
//   - call_logs (TailWatermark): where the last read ended,
//     {"offset":N,"last_id":"..."}, after every page (see read_tail.go);
//   - child streams (deal_products): per parent listing, the max update_time
//     of the parents whose children were all emitted:
//     {"parents":{"deals":T1,"deals_archived":T2},"update_time":min(T1,T2)}
//     (see childState);
//   - full refresh: one Checkpoint at the end, Count = records;
//   - a stream that fails re-emits its last good state (Count = the records
//     since) before StreamIncomplete, so it always has a resume point.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// Mode is a stream's sync mode, named as in the Airbyte protocol.
type Mode string

const (
	FullRefresh Mode = "full_refresh"
	Incremental Mode = "incremental"
)

// ConfiguredStream is one stream of the configured catalog.
type ConfiguredStream struct {
	Name string
	Mode Mode
}

// DefaultConcurrency is how many streams run at once by default. Every
// stream shares one rate limiter, so more workers do not fetch faster once
// the burst window is full; 3 keeps the window busy while one stream waits
// on its sink or a retry, and matches what Pipedrive's own connector uses.
const DefaultConcurrency = 3

// Options configure a Run.
type Options struct {
	Client  *client.Client
	Streams []ConfiguredStream
	// State maps a stream name to its stream_state object. The old Airbyte
	// connector's values ({"update_time":"2021-06-01 10:10:10"}) are accepted.
	State map[string]json.RawMessage
	// StartDate is the earliest update time to read (zero = all history): an
	// updated_since floor for server-side streams, a filter for client-side.
	StartDate   time.Time
	Concurrency int // default DefaultConcurrency
	Sink        Sink
	Now         func() time.Time // event timestamps; default time.Now
	// Estimates are the previous run's record counts per stream, reported on
	// StreamQueued (optional).
	Estimates map[string]int64
	// MaxTokens caps the tokens the run spends (0: no cap). Child streams
	// stop before a request that, with the next parent page, would pass it
	// (see ErrTokenCap); parentless lists, a request per 500 records, are
	// not stopped. Child streams read at the same time may each pass it by
	// one request, and a child's own pages after its first are not checked.
	MaxTokens int64
	// SweepArchived makes archived lists read by updated_since (deals_archived)
	// sweep their whole list this run, as they do at most once per
	// streams.ArchiveSweepEvery anyway (a run that reconciles deletes sets
	// it: it pays for whole listings already).
	SweepArchived bool
}

// StreamResult is how one stream ended.
type StreamResult struct {
	Name     string
	Complete bool
	Err      error       // nil when Complete
	Failure  FailureType // set when !Complete
	Stats    StreamStats
	State    json.RawMessage // the last state emitted (nil if none)
}

// Result is the outcome of a Run.
type Result struct {
	Streams []StreamResult // in the order of Options.Streams
	Budget  BudgetInfo
}

// OK reports whether every stream completed.
func (r Result) OK() bool {
	for _, s := range r.Streams {
		if !s.Complete {
			return false
		}
	}
	return true
}

// BudgetExhausted reports whether a stream stopped because the daily API
// budget ran out (the CLI exits 3), and when the budget resets.
func (r Result) BudgetExhausted() (time.Time, bool) {
	for _, s := range r.Streams {
		if s.Err != nil && client.IsBudgetExhausted(s.Err) {
			at, _ := client.BudgetResetAt(s.Err)
			return at, true
		}
	}
	return time.Time{}, false
}

// Err summarises the failed streams (nil when all completed). A budget
// error, if any, is the one wrapped so errors.As(*client.BudgetError) works.
func (r Result) Err() error {
	var failed []string
	var first, budget error
	for _, s := range r.Streams {
		if s.Complete {
			continue
		}
		failed = append(failed, s.Name)
		if first == nil {
			first = s.Err
		}
		if budget == nil && client.IsBudgetExhausted(s.Err) {
			budget = s.Err
		}
	}
	if len(failed) == 0 {
		return nil
	}
	cause := first
	if budget != nil {
		cause = budget
	}
	return fmt.Errorf("%d stream(s) incomplete (%v): %w", len(failed), failed, cause)
}

// ErrUnknownStream is returned by Run for a configured stream that is not in
// the streams table.
var ErrUnknownStream = errors.New("unknown stream")

// inputError is a Run error caused by what the caller was given (the
// catalog's streams and modes, a saved state): the user must fix it, so it
// classifies as a config error (Airbyte's FailureClassifier), not a bug.
type inputError struct{ err error }

func (e *inputError) Error() string            { return e.err.Error() }
func (e *inputError) Unwrap() error            { return e.err }
func (e *inputError) FailureType() FailureType { return ConfigError }

func inputErr(format string, args ...any) error {
	return &inputError{fmt.Errorf(format, args...)}
}

// Run reads the configured streams and reports everything to opts.Sink. Its
// error is only for problems with the whole run (bad options, an unknown
// stream, an unreadable state: those caused by the input have a
// FailureType() of ConfigError); a stream that fails ends with
// StreamIncomplete and is reported in Result. Cancelling ctx stops every stream after its last Checkpoint.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Client == nil {
		return Result{}, errors.New("engine: no client")
	}
	if opts.Sink == nil {
		return Result{}, errors.New("engine: no sink")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	runs := make([]*streamRun, 0, len(opts.Streams))
	refused := &refusal{}
	runCap := &tokenCap{max: opts.MaxTokens}
	seen := map[string]bool{}
	for _, cs := range opts.Streams {
		st, ok := lookup(cs.Name)
		if !ok {
			return Result{}, inputErr("%w %q", ErrUnknownStream, cs.Name)
		}
		if seen[cs.Name] {
			return Result{}, inputErr("stream %q configured twice", cs.Name)
		}
		seen[cs.Name] = true
		mode := cs.Mode
		switch mode {
		case "":
			mode = FullRefresh
		case FullRefresh:
		case Incremental:
			if !st.SupportsIncremental() {
				return Result{}, inputErr("stream %q does not support incremental sync", cs.Name)
			}
		default:
			return Result{}, inputErr("stream %q: unknown sync mode %q", cs.Name, cs.Mode)
		}
		r := &streamRun{def: st, mode: mode, opts: &opts, refused: refused, cap: runCap}
		if mode == Incremental {
			cur, err := parseState(st, opts.State[cs.Name])
			if err != nil {
				return Result{}, inputErr("stream %q: %w", cs.Name, err)
			}
			r.state = cur
			if st.Strategy == streams.TailWatermark {
				if r.tail, err = parseTailState(opts.State[cs.Name]); err != nil {
					return Result{}, inputErr("stream %q: %w", cs.Name, err)
				}
			}
			if st.ArchiveTime != "" {
				if r.sweep, err = parseSweepState(opts.State[cs.Name]); err != nil {
					return Result{}, inputErr("stream %q: %w", cs.Name, err)
				}
				r.sweepOut = r.sweep
			}
			if st.Parent != nil {
				if r.parents, err = parseChildState(st, opts.State[cs.Name]); err != nil {
					return Result{}, inputErr("stream %q: %w", cs.Name, err)
				}
			}
		}
		r.stats.Estimate = -1
		if n, ok := opts.Estimates[cs.Name]; ok {
			r.stats.Estimate = n
		}
		runs = append(runs, r)
	}

	// Budget changes are reported once per change for the whole run.
	var budgetMu sync.Mutex
	var lastBudget BudgetInfo
	budgetObs := func(o client.Observation) {
		if o.Kind != client.ObsBudget {
			return
		}
		bi := budgetInfo(o.Budget)
		budgetMu.Lock()
		changed := bi != lastBudget
		lastBudget = bi
		budgetMu.Unlock()
		if changed {
			_ = opts.Sink.Emit(ctx, Event{Kind: Budget, Time: opts.Now(), Budget: bi})
		}
	}

	for _, r := range runs {
		r.budgetObs = budgetObs
		if err := r.emit(ctx, Event{Kind: StreamQueued}); err != nil {
			r.fail(err)
		}
	}

	// Streams are served by the client in the order they started
	// (client.WithPriority): when several have a request ready, the oldest
	// sends first. Served alike, the streams would all progress at once and
	// the longest (deal_products: a chain of requests, each waiting for the
	// one before) would be left alone at the end, sending one request per
	// round trip while the burst window idles; ranked, it keeps its pace from
	// the start and the later streams fill the gaps around it.
	work := make(chan *streamRun)
	var wg sync.WaitGroup
	var started atomic.Int64
	for i := 0; i < opts.Concurrency && i < len(runs); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				r.run(client.WithPriority(ctx, started.Add(1)))
			}
		}()
	}
	for _, r := range startOrder(runs) {
		work <- r
	}
	close(work)
	wg.Wait()

	res := Result{Budget: budgetInfo(opts.Client.Budget())}
	for _, r := range runs {
		res.Streams = append(res.Streams, StreamResult{
			Name: r.def.Name, Complete: r.err == nil, Err: r.err, Failure: r.failure,
			Stats: r.stats, State: r.lastState,
		})
	}
	return res, nil
}

// startOrder is the order the streams start in: child streams first (a
// request per batch of parents, each waiting for the one before: the longest
// chains of a run), then the others as configured. With the oldest stream
// served first (see Run), a child stream keeps its pace from the start
// instead of ending the run alone.
func startOrder(runs []*streamRun) []*streamRun {
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b *streamRun) int {
		switch {
		case a.def.Parent != nil && b.def.Parent == nil:
			return -1
		case a.def.Parent == nil && b.def.Parent != nil:
			return 1
		}
		return 0
	})
	return out
}

func budgetInfo(b client.Budget) BudgetInfo {
	return BudgetInfo{Known: b.Known, Limit: b.Limit, Remaining: b.Remaining, Exhausted: b.Exhausted, ResetAt: b.ResetAt}
}
