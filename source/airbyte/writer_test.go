package airbyte

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
)

// countingWriter records each Write call separately.
type countingWriter struct {
	mu     sync.Mutex
	writes [][]byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (c *countingWriter) lines() []string {
	var all []byte
	for _, w := range c.writes {
		all = append(all, w...)
	}
	return strings.Split(strings.TrimSuffix(string(all), "\n"), "\n")
}

var fixed = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestWriterMessages(t *testing.T) {
	cw := &countingWriter{}
	w := NewWriter(cw)
	w.SetClock(func() time.Time { return fixed })
	recs := []json.RawMessage{
		json.RawMessage(`{"id":1,"name":"a\u00e9"}`),
		json.RawMessage("{\n  \"id\": 2\n}"), // pretty-printed: compacted
		json.RawMessage(` {"id":3} `),
	}
	if err := w.Records("deals", recs); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{Type: "STREAM_STATUS", StreamStatus: &StreamStatusTrace{StreamDescriptor: StreamDescriptor{Name: "deals"}, Status: StatusStarted}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Message{Type: TypeState, State: &StateMessage{Type: "STREAM", Stream: &StreamState{StreamDescriptor: StreamDescriptor{Name: "deals"}, StreamState: json.RawMessage(`{"update_time":"x"}`)}, SourceStats: &StateStats{RecordCount: 0}}}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"type":"RECORD","record":{"stream":"deals","data":{"id":1,"name":"a\u00e9"},"emitted_at":1795780800000}}`,
		`{"type":"RECORD","record":{"stream":"deals","data":{"id":2},"emitted_at":1795780800000}}`,
		`{"type":"RECORD","record":{"stream":"deals","data":{"id":3},"emitted_at":1795780800000}}`,
		`{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1795780800000,"stream_status":{"stream_descriptor":{"name":"deals"},"status":"STARTED"}}}`,
		`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"x"}},"sourceStats":{"recordCount":0.0}}}`,
	}
	got := cw.lines()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(cw.writes) != 3 {
		t.Errorf("%d Write calls, want 3 (one page, one trace, one state)", len(cw.writes))
	}
	for _, b := range cw.writes {
		if !bytes.HasSuffix(b, []byte("\n")) {
			t.Errorf("a Write did not end a line: %q", b)
		}
	}
}

func TestWriterRejectsNonObjects(t *testing.T) {
	for _, rec := range []string{`[1]`, `"x"`, `{}`, ``, "{\n\"broken\"\n"} {
		cw := &countingWriter{}
		w := NewWriter(cw)
		if err := w.Records("deals", []json.RawMessage{json.RawMessage(rec)}); err == nil {
			t.Errorf("record %q accepted", rec)
		}
		if len(cw.writes) != 0 {
			t.Errorf("record %q: something was written: %q", rec, cw.writes)
		}
	}
}

func TestCountHasDecimalPoint(t *testing.T) {
	for n, want := range map[Count]string{0: "0.0", 500: "500.0", 1234567: "1234567.0"} {
		b, err := json.Marshal(StateStats{RecordCount: n})
		if err != nil || string(b) != `{"recordCount":`+want+`}` {
			t.Errorf("%d -> %s, %v", n, b, err)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("broken pipe")
}

func TestWriterErrorSticks(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw)
	if err := w.Write(&Message{Type: TypeLog, Log: &LogMessage{Level: "INFO", Message: "x"}}); err == nil {
		t.Fatal("no error")
	}
	if err := w.Records("deals", []json.RawMessage{json.RawMessage(`{"id":1}`)}); err == nil || fw.n != 1 {
		t.Errorf("second write: err %v after %d writes, want the sticky error without writing", err, fw.n)
	}
}

// TestWriterConcurrent: many goroutines, whole lines only.
func TestWriterConcurrent(t *testing.T) {
	cw := &countingWriter{}
	w := NewWriter(cw)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := w.Records("s", []json.RawMessage{json.RawMessage(`{"g":1,"i":2}`), json.RawMessage(`{"g":3}`)}); err != nil {
					t.Error(err)
				}
				if err := w.Write(&Message{Type: TypeLog, Log: &LogMessage{Level: "INFO", Message: strings.Repeat("x", 100)}}); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	lines := cw.lines()
	if len(lines) != 8*200*3 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200*3)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("interleaved line %q: %v", l, err)
		}
	}
}

func TestSinkMapsEvents(t *testing.T) {
	cw := &countingWriter{}
	w := NewWriter(cw)
	w.SetClock(func() time.Time { return fixed })
	s := NewSink(w, NewMasker("sekret"), []string{"deals", "users"})
	ctx := context.Background()
	recs := []json.RawMessage{json.RawMessage(`{"id":1}`), json.RawMessage(`{"id":2}`)}
	steps := []engine.Event{
		{Kind: engine.StreamQueued, Stream: "deals"},
		{Kind: engine.StreamStarted, Stream: "deals"},
		{Kind: engine.Records, Stream: "deals", Records: recs},
		{Kind: engine.Records, Stream: "deals", Records: recs[:1]},
		{Kind: engine.Checkpoint, Stream: "deals", State: json.RawMessage(`{"update_time":"2026-01-01T00:00:00Z"}`), Count: 3},
		{Kind: engine.Checkpoint, Stream: "deals", State: json.RawMessage(`{"update_time":"2026-01-01T00:00:00Z"}`)},
		{Kind: engine.Log, Stream: "deals", Level: engine.LevelWarn, Message: "token sekret seen"},
		{Kind: engine.StreamComplete, Stream: "deals"},
		{Kind: engine.StreamStarted, Stream: "users"},
		{Kind: engine.StreamIncomplete, Stream: "users", Failure: engine.ConfigError, Err: errors.New("HTTP 401 with sekret")},
	}
	for _, ev := range steps {
		if err := s.Emit(ctx, ev); err != nil {
			t.Fatalf("%v: %v", ev.Kind, err)
		}
	}
	if err := s.Emit(ctx, engine.Event{Kind: engine.Records, Stream: "persons", Records: recs}); err == nil {
		t.Error("records of an unconfigured stream were accepted")
	}
	sum, err := s.Finish([]string{"deals", "users"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join(cw.lines(), "\n")
	if strings.Contains(out, "sekret") || strings.Contains(out, `"persons"`) {
		t.Errorf("secret or unconfigured stream in output:\n%s", out)
	}
	var kinds []string
	for _, l := range cw.lines() {
		var m struct {
			Type  string `json:"type"`
			Trace struct {
				Type         string `json:"type"`
				StreamStatus struct {
					Status string `json:"status"`
				} `json:"stream_status"`
				Error struct {
					FailureType string `json:"failure_type"`
				} `json:"error"`
			} `json:"trace"`
			State struct {
				SourceStats struct {
					RecordCount float64 `json:"recordCount"`
				} `json:"sourceStats"`
			} `json:"state"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		k := m.Type
		switch {
		case m.Type == "TRACE" && m.Trace.Type == "STREAM_STATUS":
			k = m.Trace.StreamStatus.Status
		case m.Type == "TRACE":
			k = "ERROR:" + m.Trace.Error.FailureType
		case m.Type == "STATE":
			k = "STATE:" + strings.TrimSuffix(strings.TrimSuffix(json.Number(fmtF(m.State.SourceStats.RecordCount)).String(), ".0"), "")
		}
		kinds = append(kinds, k)
	}
	want := "STARTED RUNNING RECORD RECORD RECORD STATE:3 STATE:0 LOG COMPLETE STARTED RUNNING INCOMPLETE ERROR:config_error"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("messages:\n%s\nwant:\n%s", got, want)
	}
	if len(sum.Complete) != 1 || sum.Complete[0] != "deals" || sum.Incomplete["users"] != engine.ConfigError || sum.OK() || sum.Records["deals"] != 3 || sum.States["deals"] != 2 {
		t.Errorf("summary %+v", sum)
	}
}

func fmtF(f float64) string { b, _ := json.Marshal(int64(f)); return string(b) }

// TestSinkFinishMarksUnfinished: a stream the engine never finished ends
// INCOMPLETE with an error trace, after STARTED and RUNNING.
func TestSinkFinishMarksUnfinished(t *testing.T) {
	cw := &countingWriter{}
	s := NewSink(NewWriter(cw), nil, []string{"deals"})
	sum, err := s.Finish([]string{"deals"}, errors.New("boom"))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join(cw.lines(), "\n")
	for _, want := range []string{`"STARTED"`, `"RUNNING"`, `"INCOMPLETE"`, `"failure_type":"system_error"`, "boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if sum.OK() || sum.Incomplete["deals"] != engine.SystemError {
		t.Errorf("summary %+v", sum)
	}
}

// A long wait is logged with its cause: pdx's own pacing (the stream's turn
// in the shared window) is not Pipedrive refusing requests.
func TestSinkSaysWhyItWaits(t *testing.T) {
	for _, tc := range []struct {
		ev   engine.Event
		want string // "" : not logged
	}{
		{engine.Event{Kind: engine.RateLimited, Stream: "deals", Wait: 26 * time.Second}, "deals: waiting 26s for its turn in the rate limit (shared by every stream)"},
		{engine.Event{Kind: engine.RateLimited, Stream: "deals", Wait: 12 * time.Second, Throttled: true}, "deals: rate limited (Pipedrive answered 429), waiting 12s"},
		{engine.Event{Kind: engine.RateLimited, Stream: "deals", Wait: time.Second}, ""},
	} {
		cw := &countingWriter{}
		s := NewSink(NewWriter(cw), nil, []string{"deals"})
		if err := s.Emit(context.Background(), tc.ev); err != nil {
			t.Fatal(err)
		}
		out := strings.Join(cw.lines(), "\n")
		if tc.want == "" && out != "" || tc.want != "" && !strings.Contains(out, tc.want) {
			t.Errorf("%+v: logged %q, want %q", tc.ev, out, tc.want)
		}
	}
}
