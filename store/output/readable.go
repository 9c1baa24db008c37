package output

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
)

// Readable adds each record's decoded custom fields (the readable.Key
// object) before w writes it: --readable for the formats that keep the
// API's bytes (JSONL, Airbyte). decoder gives a stream's decoder (nil: the
// stream's records pass as they are). The API's bytes stay as sent, so the
// output is still lossless.
func Readable(w Writer, decoder func(stream string) (*readable.Decoder, error)) Writer {
	return readableWriter{Writer: w, sink: ReadableSink(w, decoder)}
}

type readableWriter struct {
	Writer
	sink engine.Sink
}

func (r readableWriter) Emit(ctx context.Context, ev engine.Event) error { return r.sink.Emit(ctx, ev) }

// ReadableSink is Readable for any sink (`pdx read` with readable set).
func ReadableSink(s engine.Sink, decoder func(stream string) (*readable.Decoder, error)) engine.Sink {
	return &readableSink{next: s, decoder: decoder, streams: map[string]*readableStream{}}
}

type readableSink struct {
	next    engine.Sink
	decoder func(string) (*readable.Decoder, error)
	mu      sync.Mutex
	streams map[string]*readableStream
}

// readableStream is one stream's decoder and page buffers. A stream's
// pages come one at a time, and the next sink is done with a page when
// Emit returns, so the buffers serve every page (no allocation, no growth
// after the first pages).
type readableStream struct {
	dec  *readable.Decoder // nil: the stream's records pass as they are
	buf  []byte            // the page's records, one after the other
	ends []int             // where each ends in buf
	out  []json.RawMessage // slices of buf
}

func (r *readableSink) stream(name string) (*readableStream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.streams[name]; ok {
		return st, nil
	}
	d, err := r.decoder(name)
	if err != nil {
		return nil, fmt.Errorf("%s custom fields: %w", name, err)
	}
	st := &readableStream{dec: d}
	r.streams[name] = st
	return st, nil
}

// release drops a finished stream's buffers (memory stays bounded by the
// streams running at once, not all the run's streams).
func (r *readableSink) release(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.streams[name]; ok {
		st.buf, st.ends, st.out = nil, nil, nil
	}
}

func (r *readableSink) Emit(ctx context.Context, ev engine.Event) error {
	if ev.Kind == engine.StreamComplete || ev.Kind == engine.StreamIncomplete {
		r.release(ev.Stream)
	}
	if ev.Kind != engine.Records || len(ev.Records) == 0 {
		return r.next.Emit(ctx, ev)
	}
	st, err := r.stream(ev.Stream)
	if err != nil {
		return err
	}
	d := st.dec
	if d == nil {
		return r.next.Emit(ctx, ev)
	}
	buf, ends := st.buf[:0], st.ends[:0]
	for _, rec := range ev.Records {
		if buf, err = d.AppendRecord(buf, rec); err != nil {
			return fmt.Errorf("%s: readable custom fields: %w", ev.Stream, err)
		}
		ends = append(ends, len(buf)) // offsets: buf may still move as it grows
	}
	out, start := st.out[:0], 0
	for _, end := range ends {
		out = append(out, json.RawMessage(buf[start:end:end]))
		start = end
	}
	st.buf, st.ends, st.out = buf, ends, out
	ev.Records = out
	return r.next.Emit(ctx, ev)
}
