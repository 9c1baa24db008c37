package airbyte

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// Writer writes protocol messages, one compact JSON line each, to one
// io.Writer. It is safe for concurrent use: each message goes out whole in a
// single Write call under a lock, so lines never interleave. (A page of
// records is several complete lines in one Write: fewer syscalls, same
// guarantee.) The first write error sticks: later calls return it.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	buf   []byte
	names map[string][]byte // stream name -> `{"type":"RECORD","record":{"stream":"name","data":`
	err   error
}

// NewWriter returns a Writer on w that stamps messages with the wall clock.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, now: time.Now, names: map[string][]byte{}}
}

// SetClock replaces the clock used for emitted_at (tests).
func (w *Writer) SetClock(now func() time.Time) {
	w.mu.Lock()
	w.now = now
	w.mu.Unlock()
}

// Millis is the current time in epoch milliseconds on the writer's clock.
func (w *Writer) Millis() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now().UnixMilli()
}

// Write writes one message. A TRACE or CONTROL message without emitted_at is
// stamped with the writer's clock.
func (w *Writer) Write(m *Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	now := float64(w.now().UnixMilli())
	if m.Trace != nil && m.Trace.EmittedAt == 0 {
		m.Trace.EmittedAt = now
	}
	if m.Control != nil && m.Control.EmittedAt == 0 {
		m.Control.EmittedAt = now
	}
	b, err := json.Marshal(m)
	if err != nil {
		// Only a programming error (an invalid RawMessage) gets here.
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	w.buf = append(append(w.buf[:0], b...), '\n')
	return w.flush()
}

// errNotObject rejects a record that is not a JSON object.
var errNotObject = errors.New("record is not a non-empty JSON object")

// Records writes one RECORD line per raw record. The record bytes go out as
// they are (no decode, no re-encode); only a record holding raw line breaks
// (pretty-printed JSON) is compacted, because a line break would split the
// message.
func (w *Writer) Records(stream string, recs []json.RawMessage) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	prefix, ok := w.names[stream]
	if !ok {
		name, err := json.Marshal(stream)
		if err != nil {
			return fmt.Errorf("encode stream name: %w", err)
		}
		prefix = append(append([]byte(`{"type":"RECORD","record":{"stream":`), name...), `,"data":`...)
		w.names[stream] = prefix
	}
	ms := w.now().UnixMilli()
	buf := w.buf[:0]
	for i, r := range recs {
		r = bytes.TrimSpace(r)
		if len(r) < 2 || r[0] != '{' || len(bytes.TrimSpace(r[1:len(r)-1])) == 0 {
			w.buf = buf
			return fmt.Errorf("stream %s record %d: %w", stream, i, errNotObject)
		}
		buf = append(buf, prefix...)
		if bytes.IndexByte(r, '\n') >= 0 || bytes.IndexByte(r, '\r') >= 0 {
			start := len(buf)
			var cb bytes.Buffer
			if err := json.Compact(&cb, r); err != nil {
				w.buf = buf[:start]
				return fmt.Errorf("stream %s record %d: %w", stream, i, err)
			}
			buf = append(buf, cb.Bytes()...)
		} else {
			buf = append(buf, r...)
		}
		buf = append(buf, `,"emitted_at":`...)
		buf = strconv.AppendInt(buf, ms, 10)
		buf = append(buf, "}}\n"...)
	}
	w.buf = buf
	return w.flush()
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	// Keep big page buffers from pinning memory after a burst.
	if cap(w.buf) > 4<<20 {
		w.buf = nil
	}
	if err != nil {
		w.err = fmt.Errorf("write airbyte message: %w", err)
		return w.err
	}
	return nil
}
