package engine

// One stream's run: its events, stats, failure classification and the
// choice of read strategy. The strategies are one per file: read_server.go
// (v2 updated_since), read_keyset.go (v1 updated_since), read_all.go (full
// and client-side cursor), read_newest.go (sorted newest first, stopping at
// the state) and read_children.go (child streams).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// lookup finds a stream's definition: the table's row. (Tests add
// definitions no row uses yet, such as a child by path parameter; see
// export_test.go.)
var lookup = streams.Lookup

// rateLimitedEventMin is the shortest pacing wait reported as a RateLimited
// event. At the lowest plan nearly every request waits ~100 ms for the burst
// window; those are counted in Stats.Waits/Waited but not each announced, so
// observers are not flooded. 429 waits are always announced.
const rateLimitedEventMin = time.Second

// streamRun is one stream's progress through a run. The worker goroutine
// owns it, except that the client may report observations from its page
// prefetching goroutine: stats are guarded by smu, and emu serialises the
// stream's events so a sink sees them one at a time, in order.
type streamRun struct {
	def     streams.Stream
	mode    Mode
	opts    *Options
	state   time.Time  // incoming cursor (zero: none)
	parents childState // a child stream's incoming cursors per parent listing
	tail    tailState  // a TailWatermark stream's incoming watermark
	// sweep is an archived list's last whole sweep (incoming); sweepOut
	// the one its states record (the same, until this run sweeps).
	sweep, sweepOut sweepState
	budgetObs       func(client.Observation)
	refused         *refusal  // shared by the run's streams
	cap             *tokenCap // shared by the run's streams

	emu       sync.Mutex
	smu       sync.Mutex
	stats     StreamStats
	sinceCkpt int64           // records emitted since the last Checkpoint
	lastState json.RawMessage // last state emitted
	err       error
	failure   FailureType
}

func (r *streamRun) emit(ctx context.Context, ev Event) error {
	r.emu.Lock()
	defer r.emu.Unlock()
	ev.Stream = r.def.Name
	ev.Time = r.opts.Now()
	ev.Stats = r.snapshot()
	return r.opts.Sink.Emit(ctx, ev)
}

func (r *streamRun) snapshot() StreamStats {
	r.smu.Lock()
	defer r.smu.Unlock()
	return r.stats
}

func (r *streamRun) addPages(n int64) {
	r.smu.Lock()
	r.stats.Pages += n
	r.smu.Unlock()
}

func (r *streamRun) logf(ctx context.Context, level LogLevel, format string, args ...any) {
	// The event names the stream; the message does not repeat it.
	_ = r.emit(ctx, Event{Kind: Log, Level: level, Message: fmt.Sprintf(format, args...)})
}

// narrate logs msg as the words for the stream event of kind k (Event.Narrates).
func (r *streamRun) narrate(ctx context.Context, level LogLevel, k Kind, msg string) {
	_ = r.emit(ctx, Event{Kind: Log, Level: level, Message: msg, Narrates: k})
}

// refusal remembers the first error that refuses the whole account (a
// rejected token or grant, an inactive company), shared by a run's streams.
type refusal struct{ err atomic.Pointer[error] }

func (f *refusal) get() error {
	if p := f.err.Load(); p != nil {
		return *p
	}
	return nil
}

// set keeps the first error: later refusals are consequences of it.
func (f *refusal) set(err error) { f.err.CompareAndSwap(nil, &err) }

// accountRefused reports whether err refuses every request of the run: 401
// (after any OAuth refresh) or 402 (company account inactive). A 403 is
// about one entity's permission, so other streams go on.
func accountRefused(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusPaymentRequired)
}

// sinkError marks an error returned by the sink, so it is not mistaken for
// an API problem.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return "write " + e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

func (r *streamRun) fail(err error) {
	r.err, r.failure = err, FailureOf(err)
}

// observe turns client observations into stream stats and events.
func (r *streamRun) observe(ctx context.Context) func(client.Observation) {
	return func(o client.Observation) {
		switch o.Kind {
		case client.ObsRequest:
			r.smu.Lock()
			r.stats.Requests++
			r.stats.Tokens += int64(o.Cost)
			r.stats.Bytes += int64(o.Bytes)
			r.smu.Unlock()
			r.cap.add(o.Cost)
		case client.ObsWait:
			if o.Reason == "retry" {
				return
			}
			r.smu.Lock()
			r.stats.Waits++
			r.stats.Waited += o.Wait
			r.smu.Unlock()
			if o.Reason == "429" || o.Wait >= rateLimitedEventMin {
				_ = r.emit(ctx, Event{Kind: RateLimited, Wait: o.Wait, Throttled: o.Reason == "429"})
			}
		case client.ObsRetry:
			r.logf(ctx, LevelWarn, "retrying after a transient error (attempt %d, in %s): %v", o.Attempt, o.Wait.Round(time.Millisecond), o.Err)
		case client.ObsBudget:
			r.budgetObs(o)
		}
	}
}

func (r *streamRun) run(ctx context.Context) {
	if r.err != nil {
		_ = r.emit(ctx, Event{Kind: StreamIncomplete, Err: r.err, Failure: r.failure})
		return
	}
	if err := ctx.Err(); err != nil {
		r.fail(err)
		_ = r.emit(context.WithoutCancel(ctx), Event{Kind: StreamIncomplete, Err: r.err, Failure: r.failure})
		return
	}
	if err := r.refused.get(); err != nil {
		// The credentials or the account were refused for an earlier stream:
		// every request of this one would be refused too.
		r.fail(fmt.Errorf("read %s: not started, Pipedrive refused an earlier request: %w", r.def.Name, err))
		_ = r.emit(ctx, Event{Kind: StreamIncomplete, Err: r.err, Failure: r.failure})
		return
	}
	defer func() {
		if accountRefused(r.err) {
			r.refused.set(r.err)
		}
	}()
	cctx := client.WithObserver(ctx, r.observe(ctx))
	plan := r.plan()
	if err := r.emit(ctx, Event{Kind: StreamStarted, Message: plan}); err != nil {
		r.fail(&sinkError{err})
	} else {
		r.narrate(ctx, LevelInfo, StreamStarted, plan)
		r.warnFutureFloor(ctx)
		var err error
		switch {
		case r.def.Parent != nil:
			err = r.readChildren(cctx)
		case r.def.Strategy == streams.TailWatermark:
			err = r.readTail(cctx)
		case r.def.Strategy == streams.ServerUpdatedSince && r.def.Paging == streams.V1Offset:
			err = r.readV1Keyset(cctx)
		case r.mode == Incremental && r.def.Strategy == streams.ServerUpdatedSince:
			err = r.readServerIncremental(cctx)
		case r.mode == Incremental && r.def.Strategy == streams.NewestFirst && !r.floor().IsZero():
			err = r.readNewestFirst(cctx)
		case r.mode == Incremental && r.def.Strategy == streams.SortedTail && !r.floor().IsZero():
			err = r.readSortedTail(cctx)
		default:
			err = r.readAll(cctx)
		}
		if err != nil {
			r.fail(fmt.Errorf("read %s: %w", r.def.Name, err))
		}
	}
	summary := r.snapshot().Summary()
	if r.err == nil {
		r.narrate(ctx, LevelInfo, StreamComplete, "complete: "+summary)
		// A sink finishes its output on StreamComplete (final flush, fsync,
		// rename): if that fails, the stream has not been written.
		err := r.emit(ctx, Event{Kind: StreamComplete})
		if err == nil {
			return
		}
		r.fail(fmt.Errorf("read %s: finish the output: %w", r.def.Name, &sinkError{err}))
	}
	r.narrate(context.WithoutCancel(ctx), LevelWarn, StreamIncomplete, fmt.Sprintf("stopped after %s: %v", summary, r.err))
	// Flush the last good state so the stream still has a resume point (and
	// recordCount covers what was emitted since); not after a sink failure.
	fctx := context.WithoutCancel(ctx)
	var se *sinkError
	if !errors.As(r.err, &se) && (r.lastState == nil || r.sinceCkpt > 0) {
		last := r.lastState
		if last == nil {
			last = r.incomingState()
		}
		_ = r.checkpoint(fctx, last)
	}
	_ = r.emit(fctx, Event{Kind: StreamIncomplete, Err: r.err, Failure: r.failure})
}

// futureSlack is how far ahead of this machine's clock a floor may be
// before it is called "in the future" (the API's clock and ours differ by
// seconds, not hours).
const futureSlack = time.Hour

// warnFutureFloor says so when the floor is in the future: the read will
// return nothing, which is otherwise indistinguishable from "no changes".
func (r *streamRun) warnFutureFloor(ctx context.Context) {
	floor, now := r.floor(), r.opts.Now()
	if floor.IsZero() || !floor.After(now.Add(futureSlack)) {
		return
	}
	what, fix := "saved state's cursor", "check this machine's clock, or reset the stream's state (pdx state reset)"
	if sd := r.opts.StartDate; floor.Equal(sd) {
		what, fix = "start date", "check the start_date setting"
	}
	r.logf(ctx, LevelWarn, "the %s %s is in the future (now %s): no record can have changed after it, so this read returns none; %s",
		what, FormatState(floor), FormatState(now), fix)
}

// plan says in one line how the stream will be read.
func (r *streamRun) plan() string {
	floor := r.floor()
	from := "all history"
	if !floor.IsZero() {
		from = "records updated since " + FormatState(floor)
	}
	switch {
	case r.def.Parent != nil && r.def.Parent.FixedOnly():
		return fmt.Sprintf("%s: every record, one list per set of params (%d)", r.mode, len(r.def.Parent.Parents))
	case r.def.Parent != nil:
		return fmt.Sprintf("%s: for each of the %s (%s), %d per request", r.mode, strings.Join(r.def.Parent.Streams(), " and "), r.childFrom(), max(r.def.Parent.Batch, 1))
	case r.def.Strategy == streams.TailWatermark && r.mode == Incremental && r.tail.Offset > 0:
		return fmt.Sprintf("%s: the records after the %d read so far (the last of them checked still in place; the list is append-only)", r.mode, r.tail.Offset)
	case r.def.Cursor == "":
		return fmt.Sprintf("%s: every record", r.mode)
	case floor.IsZero() && r.mode == Incremental: // nothing to filter by yet
		return fmt.Sprintf("%s: %s (no saved cursor yet)", r.mode, from)
	case floor.IsZero():
		return fmt.Sprintf("%s: %s", r.mode, from)
	case r.def.ArchiveTime != "" && r.def.Strategy == streams.ServerUpdatedSince && r.mode == Incremental && !floor.IsZero() && !r.sweepDue():
		return fmt.Sprintf("%s: %s, filtered by the API (updated_since); the whole list is swept at least daily for records archived without an update (last %s)", r.mode, from, FormatState(r.sweep.At))
	case r.def.Strategy == streams.SortedTail && r.mode == Incremental && !floor.IsZero() && !r.sweepDue():
		return fmt.Sprintf("%s: %s, the tail of the list sorted by %s from offset %d (no time filter); the whole list is swept at least daily for records archived without an update (last %s)", r.mode, from, r.def.Cursor, r.sweep.TailStart, FormatState(r.sweep.At))
	case r.def.ArchiveTime != "" && !floor.IsZero(): // a sweep, or a list read whole every time
		return fmt.Sprintf("%s: records updated or archived since %s, filtered here (no list filters by %s)", r.mode, FormatState(floor), r.def.ArchiveTime)
	case r.def.Strategy == streams.ServerUpdatedSince:
		return fmt.Sprintf("%s: %s, filtered by the API (updated_since)", r.mode, from)
	case r.def.Strategy == streams.NewestFirst && r.mode == Incremental && !floor.IsZero():
		return fmt.Sprintf("%s: %s, newest first, stopping at the first older record (the API sorts by %s but has no time filter)", r.mode, from, r.def.Cursor)
	case r.def.Unordered:
		return fmt.Sprintf("%s: %s, filtered here: every page is read (the API has no sort and no time filter)", r.mode, from)
	default:
		return fmt.Sprintf("%s: %s, filtered here (the API has no time filter)", r.mode, from)
	}
}

// stateOf is the stream_state for cursor: an archived list's also keeps
// its sweep.
func (r *streamRun) stateOf(cursor time.Time) json.RawMessage {
	if r.def.ArchiveTime != "" {
		return encodeArchivedState(r.def, cursor, r.sweepOut)
	}
	return encodeState(r.def, cursor)
}

// incomingState re-encodes the state the stream started from.
func (r *streamRun) incomingState() json.RawMessage {
	if r.def.Strategy == streams.TailWatermark {
		return r.tail.encode()
	}
	return r.stateOf(r.state)
}

// sweepDue reports whether an archived list read by updated_since is swept
// whole this run: never swept, the last sweep ArchiveSweepEvery ago (or
// in this machine's future), or asked for (Options.SweepArchived).
func (r *streamRun) sweepDue() bool {
	at, now := r.sweep.At, r.opts.Now()
	return r.opts.SweepArchived || at.IsZero() || now.Sub(at) >= streams.ArchiveSweepEvery || at.After(now.Add(futureSlack))
}

func (r *streamRun) checkpoint(ctx context.Context, state json.RawMessage) error {
	if err := r.emit(ctx, Event{Kind: Checkpoint, State: state, Count: r.sinceCkpt}); err != nil {
		return &sinkError{err}
	}
	r.lastState = state
	r.sinceCkpt = 0
	return nil
}

func (r *streamRun) records(ctx context.Context, recs []json.RawMessage) error {
	if len(recs) == 0 {
		return nil
	}
	r.smu.Lock()
	r.stats.Records += int64(len(recs))
	r.smu.Unlock()
	r.sinceCkpt += int64(len(recs))
	if err := r.emit(ctx, Event{Kind: Records, Records: recs}); err != nil {
		return &sinkError{err}
	}
	return nil
}

// floor is the earliest update time to read: the state in incremental mode,
// raised to the start date.
func (r *streamRun) floor() time.Time { return r.floorFrom(r.state) }

// floorFrom is floor for a given incoming cursor (a child stream has one per
// parent listing).
func (r *streamRun) floorFrom(state time.Time) time.Time {
	f := time.Time{}
	if r.mode == Incremental {
		f = state
	}
	if sd := r.opts.StartDate; !sd.IsZero() && r.def.Cursor != "" && sd.After(f) {
		f = sd
	}
	return f
}

func updatedSince(t time.Time) url.Values {
	if t.IsZero() {
		return nil
	}
	return url.Values{"updated_since": {FormatState(t)}}
}

// childFrom says from when each parent listing of a child stream is read.
func (r *streamRun) childFrom() string {
	var parts []string
	for _, src := range r.def.Parent.Parents {
		from := "all"
		if f := r.floorFrom(r.parents[src.Key()]); !f.IsZero() {
			from = "updated since " + FormatState(f)
		}
		parts = append(parts, src.Key()+": "+from)
	}
	return strings.Join(parts, "; ")
}
