package output

import (
	"bytes"
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
//
// A stream's page is decoded while w writes the one before it (the two
// cores a run has share the work; --readable's speed depends on it): w
// gets the pages in order, one at a time; any other event of the stream
// (a Checkpoint above all) waits until the page in flight is written, and
// a write that failed is the error of the stream's next event, so state
// never moves past data not written. Finish waits for every page.
func Readable(w Writer, decoder func(stream string) (*readable.Decoder, error)) Writer {
	s := newReadableSink(w, decoder)
	s.async = true
	return readableWriter{Writer: w, sink: s}
}

type readableWriter struct {
	Writer
	sink *readableSink
}

func (r readableWriter) Emit(ctx context.Context, ev engine.Event) error { return r.sink.Emit(ctx, ev) }

// Finish waits for the pages in flight, then finishes w (a write that
// failed and no later event reported is Finish's error).
func (r readableWriter) Finish(runErr error) error {
	werr := r.sink.wait()
	err := r.Writer.Finish(runErr)
	if err == nil {
		err = werr
	}
	return err
}

// ReadableSink is Readable for any sink (`pdx read` with readable set). It
// writes each page before Emit returns (its caller has no Finish to wait
// in).
func ReadableSink(s engine.Sink, decoder func(stream string) (*readable.Decoder, error)) engine.Sink {
	return newReadableSink(s, decoder)
}

func newReadableSink(s engine.Sink, decoder func(stream string) (*readable.Decoder, error)) *readableSink {
	r := &readableSink{next: s, decoder: decoder, streams: map[string]*readableStream{}}
	if fs, ok := s.(*FileSink); ok && fs.fmt.lines {
		r.lines = fs
	}
	return r
}

type readableSink struct {
	next engine.Sink
	// lines: next writes records as lines (JSONL), so a page is decoded
	// into its file's bytes and written whole (FileSink.writeLines), not
	// copied record by record once more by the encoder.
	lines   *FileSink
	decoder func(string) (*readable.Decoder, error)
	async   bool // a page is written while the next is decoded
	mu      sync.Mutex
	streams map[string]*readableStream
}

// readableStream is one stream's decoder and page buffers. A stream's
// events come one at a time, so its fields need no lock; the buffers serve
// every page (no allocation, no growth after the first pages): two when
// pages are written asynchronously, the one being written and the one being
// decoded.
type readableStream struct {
	dec   *readable.Decoder // nil: the stream's records pass as they are
	pages [2]readablePage
	cur   int        // the page to decode into
	done  chan error // the write in flight (nil: none)
	err   error      // a write that failed: the error of every later event
}

type readablePage struct {
	buf  []byte            // the page's records, one after the other
	ends []int             // where each ends in buf
	out  []json.RawMessage // slices of buf
}

// settle waits for the stream's write in flight and returns the error of
// any write that failed.
func (st *readableStream) settle() error {
	if st.done != nil {
		if err := <-st.done; err != nil && st.err == nil {
			st.err = err
		}
		st.done = nil
	}
	return st.err
}

func (r *readableSink) stream(name string, create bool) (*readableStream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.streams[name]; ok || !create {
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

// wait settles every stream (the run is over: no event comes in parallel).
func (r *readableSink) wait() error {
	r.mu.Lock()
	sts := make([]*readableStream, 0, len(r.streams))
	for _, st := range r.streams {
		sts = append(sts, st)
	}
	r.mu.Unlock()
	var first error
	for _, st := range sts {
		if err := st.settle(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (r *readableSink) Emit(ctx context.Context, ev engine.Event) error {
	if ev.Kind != engine.Records || len(ev.Records) == 0 {
		st, _ := r.stream(ev.Stream, false)
		if st != nil {
			if err := st.settle(); err != nil {
				return err
			}
			if ev.Kind == engine.StreamComplete || ev.Kind == engine.StreamIncomplete {
				// Memory stays bounded by the streams running at once.
				st.pages = [2]readablePage{}
			}
		}
		return r.next.Emit(ctx, ev)
	}
	st, err := r.stream(ev.Stream, true)
	if err != nil {
		return err
	}
	if st.dec == nil {
		return r.next.Emit(ctx, ev)
	}
	if st.err != nil {
		return st.err
	}
	pg := &st.pages[st.cur]
	buf, ends := pg.buf[:0], pg.ends[:0]
	nl, whole := 0, r.lines != nil
	if whole {
		nl = 1
	}
	for _, rec := range ev.Records {
		if buf, err = st.dec.AppendRecord(buf, rec); err != nil {
			st.settle()
			return fmt.Errorf("%s: readable custom fields: %w", ev.Stream, err)
		}
		if nl == 1 {
			// A line break in the API's bytes: the encoder compacts the
			// record (the page goes record by record). The readable object
			// never adds one (its texts are escaped; its numbers and JSON
			// values are the record's own bytes), so the record's bytes are
			// all there is to check, as the raw JSONL encoder does.
			if whole && (bytes.IndexByte(rec, '\n') >= 0 || bytes.IndexByte(rec, '\r') >= 0) {
				whole = false
			}
			buf = append(buf, '\n')
		}
		ends = append(ends, len(buf)) // offsets: buf may still move as it grows
	}
	out := pg.out[:0]
	if !whole {
		start := 0
		for _, end := range ends {
			out = append(out, json.RawMessage(buf[start:end-nl:end-nl]))
			start = end
		}
	}
	pg.buf, pg.ends, pg.out = buf, ends, out
	ev.Records = out
	if err := st.settle(); err != nil { // the page before is written
		return err
	}
	write := func() error {
		if whole {
			return r.lines.writeLines(ev.Stream, buf)
		}
		return r.next.Emit(ctx, ev)
	}
	if !r.async {
		return write()
	}
	done := make(chan error, 1)
	go func() { done <- write() }()
	st.done, st.cur = done, 1-st.cur
	return nil
}
