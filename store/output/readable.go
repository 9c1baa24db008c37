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
	return &readableSink{next: s, decoder: decoder, decs: map[string]*readable.Decoder{}, done: map[string]bool{}}
}

type readableSink struct {
	next    engine.Sink
	decoder func(string) (*readable.Decoder, error)
	mu      sync.Mutex
	decs    map[string]*readable.Decoder
	done    map[string]bool
	bufs    sync.Pool
}

func (r *readableSink) dec(stream string) (*readable.Decoder, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done[stream] {
		return r.decs[stream], nil
	}
	d, err := r.decoder(stream)
	if err != nil {
		return nil, fmt.Errorf("%s custom fields: %w", stream, err)
	}
	r.decs[stream], r.done[stream] = d, true
	return d, nil
}

func (r *readableSink) Emit(ctx context.Context, ev engine.Event) error {
	if ev.Kind != engine.Records || len(ev.Records) == 0 {
		return r.next.Emit(ctx, ev)
	}
	d, err := r.dec(ev.Stream)
	if err != nil || d == nil {
		if err != nil {
			return err
		}
		return r.next.Emit(ctx, ev)
	}
	// One buffer for the page: the records are slices of it. A stream's
	// pages come one at a time (its decoder is not shared), and the writer
	// is done with a page when Emit returns, so the buffer is reused.
	bp, _ := r.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	buf := (*bp)[:0]
	ends := make([]int, len(ev.Records))
	for i, rec := range ev.Records {
		if buf, err = d.AppendRecord(buf, rec); err != nil {
			return fmt.Errorf("%s: readable custom fields: %w", ev.Stream, err)
		}
		ends[i] = len(buf)
	}
	out := make([]json.RawMessage, len(ev.Records))
	start := 0
	for i, end := range ends {
		out[i] = json.RawMessage(buf[start:end:end])
		start = end
	}
	ev.Records = out
	err = r.next.Emit(ctx, ev)
	*bp = buf
	r.bufs.Put(bp)
	return err
}
