package airbyte

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/engine"
)

// Sink turns engine events into protocol messages on a Writer:
//
//	StreamStarted    -> TRACE STREAM_STATUS STARTED
//	Records          -> RUNNING (once), then one RECORD per record, data as the API sent it
//	Checkpoint       -> STATE type STREAM, sourceStats.recordCount = RECORDs since the previous STATE
//	StreamComplete   -> COMPLETE
//	StreamIncomplete -> INCOMPLETE, then TRACE ERROR with failure_type and stream_descriptor
//	Log              -> LOG (masked)
//
// Every stream gets STARTED, RUNNING and a final status even when the engine
// skips a step, because the platform (and CAT) require that order. A record
// for a stream outside the configured catalog is refused (an error fails
// that stream), never written.
type Sink struct {
	w          *Writer
	mask       *Masker
	configured map[string]bool

	mu      sync.Mutex
	streams map[string]*streamTrack
	budget  bool // the daily budget ran out during the run
}

type streamTrack struct {
	started, running bool
	final            string // COMPLETE | INCOMPLETE | ""
	failure          engine.FailureType
	sinceState       int64 // RECORDs since the last STATE
	records          int64
	states           int64
}

// NewSink returns a sink writing to w, masking LOG and TRACE text with m,
// accepting records only of the configured streams (all when nil).
func NewSink(w *Writer, m *Masker, configured []string) *Sink {
	s := &Sink{w: w, mask: m, streams: map[string]*streamTrack{}}
	if configured != nil {
		s.configured = map[string]bool{}
		for _, n := range configured {
			s.configured[n] = true
		}
	}
	return s
}

// rateLimitLogAfter: waits at least this long are logged, so a slow sync is
// explained in the platform's logs without flooding them with short pauses.
const rateLimitLogAfter = 10 * time.Second

// Emit implements engine.Sink.
func (s *Sink) Emit(_ context.Context, ev engine.Event) error {
	switch ev.Kind {
	case engine.StreamStarted:
		return s.ensure(ev.Stream, StatusStarted)
	case engine.Records:
		if s.configured != nil && !s.configured[ev.Stream] {
			return fmt.Errorf("records for stream %q, which is not in the configured catalog", ev.Stream)
		}
		if err := s.ensure(ev.Stream, StatusRunning); err != nil {
			return err
		}
		if err := s.w.Records(ev.Stream, ev.Records); err != nil {
			return err
		}
		s.mu.Lock()
		t := s.streams[ev.Stream]
		t.sinceState += int64(len(ev.Records))
		t.records += int64(len(ev.Records))
		s.mu.Unlock()
		return nil
	case engine.Checkpoint:
		return s.checkpoint(ev)
	case engine.StreamComplete:
		if err := s.ensure(ev.Stream, StatusRunning); err != nil {
			return err
		}
		return s.final(ev.Stream, StatusComplete, "")
	case engine.StreamIncomplete:
		return s.incomplete(ev.Stream, ev.Failure, ev.Err)
	case engine.Log:
		msg := ev.Message
		if ev.Stream != "" {
			msg = ev.Stream + ": " + msg
		}
		return s.Log(string(levelOr(ev.Level)), msg)
	case engine.RateLimited:
		if ev.Wait >= rateLimitLogAfter {
			if ev.Throttled {
				return s.Log("INFO", fmt.Sprintf("%s: rate limited (Pipedrive answered 429), waiting %s", ev.Stream, ev.Wait.Round(time.Second)))
			}
			return s.Log("INFO", fmt.Sprintf("%s: waiting %s for its turn in the rate limit (shared by every stream)", ev.Stream, ev.Wait.Round(time.Second)))
		}
	case engine.Budget:
		if ev.Budget.Exhausted {
			s.mu.Lock()
			first := !s.budget
			s.budget = true
			s.mu.Unlock()
			if first {
				// The reset time is Pipedrive's midnight, which it does not
				// say: an estimate.
				return s.Log("WARN", fmt.Sprintf("the company's daily Pipedrive API budget is used up (budget_reserve reached): stopping with %d of %d tokens left for the company's other integrations; it resets around %s (estimated)",
					ev.Budget.Remaining, ev.Budget.Limit, ev.Budget.ResetAt.UTC().Format("15:04 UTC on 2006-01-02")))
			}
		}
	}
	return nil
}

func levelOr(l engine.LogLevel) engine.LogLevel {
	if l == "" {
		return engine.LevelInfo
	}
	return l
}

// track returns the stream's tracker (s.mu held).
func (s *Sink) track(name string) *streamTrack {
	t := s.streams[name]
	if t == nil {
		t = &streamTrack{}
		s.streams[name] = t
	}
	return t
}

// ensure emits the statuses up to want (STARTED, then RUNNING) that the
// stream has not had yet.
func (s *Sink) ensure(name, want string) error {
	s.mu.Lock()
	t := s.track(name)
	var out []string
	if !t.started {
		t.started = true
		out = append(out, StatusStarted)
	}
	if want == StatusRunning && !t.running {
		t.running = true
		out = append(out, StatusRunning)
	}
	s.mu.Unlock()
	for _, st := range out {
		if err := s.status(name, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sink) status(name, status string) error {
	return s.w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{
		Type:         "STREAM_STATUS",
		StreamStatus: &StreamStatusTrace{StreamDescriptor: StreamDescriptor{Name: name}, Status: status},
	}})
}

func (s *Sink) checkpoint(ev engine.Event) error {
	if err := s.ensure(ev.Stream, StatusRunning); err != nil {
		return err
	}
	state := ev.State
	if len(state) == 0 {
		state = []byte("{}")
	}
	s.mu.Lock()
	t := s.track(ev.Stream)
	n := t.sinceState
	s.mu.Unlock()
	// The count is what this sink wrote, so recordCount always matches the
	// RECORD lines before the STATE.
	err := s.w.Write(&Message{Type: TypeState, State: &StateMessage{
		Type:        "STREAM",
		Stream:      &StreamState{StreamDescriptor: StreamDescriptor{Name: ev.Stream}, StreamState: state},
		SourceStats: &StateStats{RecordCount: Count(n)},
	}})
	if err != nil {
		return err
	}
	s.mu.Lock()
	t.sinceState -= n
	t.states++
	s.mu.Unlock()
	return nil
}

func (s *Sink) final(name, status string, failure engine.FailureType) error {
	s.mu.Lock()
	t := s.track(name)
	if t.final != "" {
		s.mu.Unlock()
		return nil // one final status per stream
	}
	t.final = status
	t.failure = failure
	s.mu.Unlock()
	return s.status(name, status)
}

func (s *Sink) incomplete(name string, failure engine.FailureType, err error) error {
	if failure == "" {
		failure = engine.SystemError
	}
	if e := s.ensure(name, StatusRunning); e != nil {
		return e
	}
	s.mu.Lock()
	done := s.track(name).final != ""
	s.mu.Unlock()
	if done {
		return nil
	}
	if e := s.final(name, StatusIncomplete, failure); e != nil {
		return e
	}
	detail := "unknown error"
	if err != nil {
		detail = err.Error()
	}
	return s.Error(name, failure, fmt.Sprintf("Stream %s stopped: %s", name, detail), detail)
}

// Log writes a LOG message, masked.
func (s *Sink) Log(level, msg string) error {
	return s.w.Write(&Message{Type: TypeLog, Log: &LogMessage{Level: level, Message: s.mask.String(msg)}})
}

// Error writes a TRACE ERROR, masked; stream may be empty for a failure of
// the whole run.
func (s *Sink) Error(stream string, failure engine.FailureType, msg, internal string) error {
	e := &ErrorTrace{Message: s.mask.String(msg), InternalMessage: s.mask.String(internal), FailureType: string(failure)}
	if stream != "" {
		e.StreamDescriptor = &StreamDescriptor{Name: stream}
	}
	return s.w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{Type: "ERROR", Error: e}})
}

// Summary is how a read ended, stream by stream.
type Summary struct {
	Complete   []string                      // streams that completed, sorted
	Incomplete map[string]engine.FailureType // streams that did not, with why
	Records    map[string]int64              // RECORDs written per stream
	States     map[string]int64              // STATEs written per stream
	Budget     bool                          // the daily API budget ran out
}

// OK says whether every stream completed.
func (m Summary) OK() bool { return len(m.Incomplete) == 0 }

// Finish closes the read: every configured stream that has no final status
// yet is marked INCOMPLETE with an error trace (runErr, or "did not finish"),
// and the outcome is returned.
func (s *Sink) Finish(configured []string, runErr error) (Summary, error) {
	var firstErr error
	for _, name := range configured {
		s.mu.Lock()
		done := s.track(name).final != ""
		s.mu.Unlock()
		if done {
			continue
		}
		err := runErr
		if err == nil {
			err = fmt.Errorf("the stream did not finish")
		}
		if e := s.incomplete(name, engine.FailureOf(err), err); e != nil && firstErr == nil {
			firstErr = e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summary{Incomplete: map[string]engine.FailureType{}, Records: map[string]int64{}, States: map[string]int64{}, Budget: s.budget}
	for name, t := range s.streams {
		sum.Records[name] = t.records
		sum.States[name] = t.states
		switch t.final {
		case StatusComplete:
			sum.Complete = append(sum.Complete, name)
		case StatusIncomplete:
			sum.Incomplete[name] = t.failure
		}
	}
	sort.Strings(sum.Complete)
	return sum, firstErr
}

// FailureClassifier lets an error say which Airbyte failure type it is;
// engine.FailureOf, which classifies every failure here, honours it.
type FailureClassifier interface {
	FailureType() engine.FailureType
}
