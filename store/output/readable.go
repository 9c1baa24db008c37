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
// A stream's page is decoded and written while the engine reads the next
// one (the two cores a run has share the work; --readable's speed depends
// on it): w gets the pages in order, one at a time; any other event of the
// stream (a Checkpoint above all) waits until the page in flight is
// written, and a page that failed (its decoding or its write) is the error
// of the stream's next event, so state never moves past data not written.
// Finish waits for every page.
//
// For JSONL (a FileSink whose records are lines), the page is decoded into
// its file's lines a chunk at a time, each chunk written as soon as it is
// full (FileSink.writeLines) by a second goroutine while the next is
// decoded: the record is copied once, into a buffer small enough to stay in
// cache while the file gets it, which costs less CPU than decoding the
// whole page into a page buffer the encoder copies from again
// (scripts/bench-readable; README), and holds no page buffers. Other
// writers get the page as records (decoded while the one before is
// written).
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
	// into its file's bytes (FileSink.writeLines), not copied record by
	// record once more by the encoder.
	lines   *FileSink
	decoder func(string) (*readable.Decoder, error)
	async   bool // a page is written while the engine goes on
	mu      sync.Mutex
	streams map[string]*readableStream
}

// readableStream is one stream's decoder and page buffers. A stream's
// events come one at a time, so its fields need no lock (the page in flight
// has them until settle); the buffers serve every page (no allocation, no
// growth after the first pages): two pages when written asynchronously,
// the one being written and the one being decoded (JSONL: the chunks and
// the page's record list).
type readableStream struct {
	dec   *readable.Decoder // nil: the stream's records pass as they are
	pages [2]readablePage
	cur   int               // the page to decode into
	recs  []json.RawMessage // JSONL: the page in flight (the records alias its body, never reused)
	chunk []byte            // JSONL, pages written before Emit returns: lines being decoded
	free  chan []byte       // JSONL, pages written asynchronously: the chunks not in use
	done  chan error        // the page in flight (nil: none)
	err   error             // a page that failed: the error of every later event
}

// chunkSize is how many bytes of lines are decoded before they are written:
// a few times a write's fixed cost, well inside a core's cache.
const chunkSize = 128 << 10

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
				st.pages, st.recs, st.chunk, st.free = [2]readablePage{}, nil, nil, nil
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
	if r.lines == nil {
		return r.records(ctx, st, ev)
	}
	if err := st.settle(); err != nil { // the page before is written
		return err
	}
	// The engine may reuse its list of the page's records, not their bytes.
	st.recs = append(st.recs[:0], ev.Records...)
	if !r.async {
		return r.writeLines(ctx, st, ev.Stream, st.recs)
	}
	done := make(chan error, 1)
	go func(recs []json.RawMessage) { done <- r.writeLines(ctx, st, ev.Stream, recs) }(st.recs)
	st.done = done
	return nil
}

// writeLines decodes a page into JSONL lines, chunk by chunk, each written
// (FileSink.writeLines) once full, the last when the page ends; when pages
// are written asynchronously, by a second goroutine while the next chunk is
// decoded (the chunks are few and small: they stay in cache). A record
// whose API bytes hold a line break goes to the file as a record (the
// encoder compacts it): the readable object never adds one (its texts are
// escaped; its numbers and JSON values are the record's own bytes), so the
// record's bytes are all there is to check, as the raw JSONL encoder does.
func (r *readableSink) writeLines(ctx context.Context, st *readableStream, stream string, recs []json.RawMessage) error {
	if !r.async {
		return r.decodeLines(st, stream, recs, func() []byte { return st.chunk[:0] }, func(c lineChunk) error {
			st.chunk = c.b
			return r.put(ctx, stream, c)
		})
	}
	if st.free == nil {
		st.free = make(chan []byte, chunks)
		for range chunks {
			st.free <- nil
		}
	}
	work, werr := make(chan lineChunk, chunks), make(chan error, 1)
	go func() {
		var err error
		for c := range work {
			if err == nil {
				err = r.put(ctx, stream, c)
			}
			st.free <- c.b[:0]
		}
		werr <- err
	}()
	derr := r.decodeLines(st, stream, recs, func() []byte { return <-st.free }, func(c lineChunk) error {
		work <- c
		return nil
	})
	close(work)
	if err := <-werr; err != nil {
		return err
	}
	return derr
}

// chunks is how many chunks of lines a stream has: one being decoded, the
// others written or waiting to be.
const chunks = 3

// lineChunk is lines to write, or (rec) one record for the encoder.
type lineChunk struct {
	b   []byte
	rec bool
}

// put writes c.
func (r *readableSink) put(ctx context.Context, stream string, c lineChunk) error {
	if len(c.b) == 0 {
		return nil
	}
	if c.rec {
		return r.next.Emit(ctx, engine.Event{Kind: engine.Records, Stream: stream, Records: []json.RawMessage{c.b}})
	}
	return r.lines.writeLines(stream, c.b)
}

// decodeLines decodes recs into chunks of lines (get gives an empty one),
// handing each to emit in order; every chunk it got is handed over, an
// empty one too.
func (r *readableSink) decodeLines(st *readableStream, stream string, recs []json.RawMessage, get func() []byte, emit func(lineChunk) error) error {
	buf := get()
	for _, rec := range recs {
		var err error
		if bytes.IndexByte(rec, '\n') >= 0 || bytes.IndexByte(rec, '\r') >= 0 {
			if len(buf) > 0 {
				if err := emit(lineChunk{b: buf}); err != nil {
					return err
				}
				buf = get()
			}
			if buf, err = st.dec.AppendRecord(buf, rec); err != nil {
				emit(lineChunk{b: buf[:0]}) // nothing to write: the buffer goes back
				return fmt.Errorf("%s: readable custom fields: %w", stream, err)
			}
			if err := emit(lineChunk{b: buf, rec: true}); err != nil {
				return err
			}
			buf = get()
			continue
		}
		if buf, err = st.dec.AppendRecord(buf, rec); err != nil {
			emit(lineChunk{b: buf[:0]}) // nothing to write: the buffer goes back
			return fmt.Errorf("%s: readable custom fields: %w", stream, err)
		}
		buf = append(buf, '\n')
		if len(buf) >= chunkSize {
			if err := emit(lineChunk{b: buf}); err != nil {
				return err
			}
			buf = get()
		}
	}
	return emit(lineChunk{b: buf})
}

// records decodes a page into records and hands them to the next sink
// (asynchronously: written while the next page is decoded).
func (r *readableSink) records(ctx context.Context, st *readableStream, ev engine.Event) error {
	var err error
	pg := &st.pages[st.cur]
	buf, ends := pg.buf[:0], pg.ends[:0]
	for _, rec := range ev.Records {
		if buf, err = st.dec.AppendRecord(buf, rec); err != nil {
			st.settle()
			return fmt.Errorf("%s: readable custom fields: %w", ev.Stream, err)
		}
		ends = append(ends, len(buf)) // offsets: buf may still move as it grows
	}
	out, start := pg.out[:0], 0
	for _, end := range ends {
		out = append(out, json.RawMessage(buf[start:end:end]))
		start = end
	}
	pg.buf, pg.ends, pg.out = buf, ends, out
	ev.Records = out
	if err := st.settle(); err != nil { // the page before is written
		return err
	}
	if !r.async {
		return r.next.Emit(ctx, ev)
	}
	done := make(chan error, 1)
	go func() { done <- r.next.Emit(ctx, ev) }()
	st.done, st.cur = done, 1-st.cur
	return nil
}
