// Package output writes the records of a sync to files, as an engine.Sink:
// JSONL (one raw API record per line), CSV (columns from the stream's
// schema), or Airbyte protocol messages (through source/airbyte's writer).
// Each format registers itself (registry.go) from its own file; everything
// that names, offers or opens a format reads the registry.
//
// Crash safety, the contract with the runner (app):
//   - Emit(Checkpoint) returns only after every record of that stream written
//     so far is flushed and fsynced; the runner saves the state afterwards,
//     together with Position (the file's durable size).
//   - On the next run, an incremental file is cut back to the size recorded
//     with the saved state (bytes written after it are re-fetched) or, when
//     no size was recorded, its torn last record is removed.
//   - A full refresh writes a hidden .partial file and renames it over the
//     old file only when the stream completes.
//
// Duplicates: Pipedrive's updated_since is inclusive, so an incremental run
// fetches again the records whose update time equals the saved cursor; they
// appear twice in the appended file. Deduplicate on the primary key, keeping
// the last line.
package output

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"

	"github.com/pdxhq/pdx/source/engine"
)

// Stream says how one stream's file is written.
type Stream struct {
	// Full: replace the file at the end of the stream; otherwise append.
	Full bool
	// Fresh: an incremental stream without saved state starts its file over
	// (the run fetches everything, so old content would be duplicated).
	Fresh bool
	// ResumeSize is the file size recorded with the saved state (-1: none).
	ResumeSize int64
}

// Options configure a file sink.
type Options struct {
	Dir     string
	Streams map[string]Stream // streams not listed: incremental, fresh
	// Notice receives repairs and warnings (a torn line removed...).
	Notice func(stream, msg string)

	fs fileFS // tests inject write failures
}

// Position is a stream's output file and its durable size.
type Position struct {
	Path string
	Size int64
}

// encoder turns raw records into file bytes for one stream.
type encoder interface {
	// begin is called once the file is open; created says it is empty (a
	// header is due), otherwise r reads the existing content.
	begin(sf *streamFile, created bool, r io.ReaderAt) error
	// encode appends the encoding of rec to buf.
	encode(buf []byte, rec json.RawMessage) ([]byte, error)
}

type format struct {
	ext string
	// lines: a record is written as it is, then a line break (unless it
	// holds one: the encoder compacts it), so a page of such lines can be
	// written whole (writeLines).
	lines         bool
	newEncoder    func(stream string) (encoder, error)
	lastRecordEnd func(r io.ReaderAt, size int64) (int64, error)
}

// FileSink writes one file per stream. Safe for concurrent use: streams
// lock only their own file.
type FileSink struct {
	opt Options
	fmt format

	mu      sync.Mutex
	streams map[string]*streamOut
}

type streamOut struct {
	mu   sync.Mutex
	name string
	sf   *streamFile
	enc  encoder
	buf  []byte
	done bool
	pos  Position
	err  error // sticky: a failed write fails the stream for good
}

func newFileSink(opt Options, f format) (*FileSink, error) {
	if opt.Dir == "" {
		return nil, fmt.Errorf("no output directory given")
	}
	if opt.fs == nil {
		opt.fs = osFS{}
	}
	if opt.Notice == nil {
		opt.Notice = func(string, string) {}
	}
	if err := ensureDir(opt.Dir); err != nil {
		return nil, err
	}
	return &FileSink{opt: opt, fmt: f, streams: map[string]*streamOut{}}, nil
}

// Path is the final file of stream.
func (s *FileSink) Path(stream string) string {
	return filepath.Join(s.opt.Dir, stream+"."+s.fmt.ext)
}

func (s *FileSink) stream(name string) *streamOut {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.streams[name]
	if o == nil {
		o = &streamOut{name: name}
		s.streams[name] = o
	}
	return o
}

// open opens the stream's file on its first event.
func (s *FileSink) open(o *streamOut) error {
	if o.sf != nil || o.done {
		return nil
	}
	spec, ok := s.opt.Streams[o.name]
	if !ok {
		spec = Stream{Fresh: true, ResumeSize: -1}
	}
	enc, err := s.fmt.newEncoder(o.name)
	if err != nil {
		return err
	}
	final := s.Path(o.name)
	var sf *streamFile
	if spec.Full {
		sf, err = openFull(s.opt.fs, final)
	} else {
		var notes []string
		sf, notes, err = openAppend(s.opt.fs, final, appendOpts{fresh: spec.Fresh, resumeSize: spec.ResumeSize, lastRecordEnd: s.fmt.lastRecordEnd})
		for _, n := range notes {
			s.opt.Notice(o.name, n)
		}
	}
	if err != nil {
		return err
	}
	if err := enc.begin(sf, sf.created, sf.f); err != nil {
		sf.abort()
		return err
	}
	o.sf, o.enc = sf, enc
	return nil
}

// Emit implements engine.Sink.
func (s *FileSink) Emit(_ context.Context, ev engine.Event) error { return s.emit(ev, nil) }

// writeLines writes a page of stream's records already encoded: what Emit
// of a Records event would write, when the format's records are lines
// (format.lines) and no record holds a line break. --readable builds its
// lines in place (Readable): one copy of each record fewer.
func (s *FileSink) writeLines(stream string, lines []byte) error {
	return s.emit(engine.Event{Kind: engine.Records, Stream: stream}, lines)
}

// emit is Emit, with a Records event's bytes already encoded in lines (nil:
// ev.Records are encoded).
func (s *FileSink) emit(ev engine.Event, lines []byte) error {
	switch ev.Kind {
	case engine.StreamStarted, engine.Records, engine.Checkpoint, engine.StreamComplete, engine.StreamIncomplete:
	default:
		return nil
	}
	o := s.stream(ev.Stream)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	err := s.handle(o, ev, lines)
	if err != nil {
		o.err = fmt.Errorf("%s output: %w", ev.Stream, err)
		if o.sf != nil {
			o.sf.abort()
		}
		return o.err
	}
	return nil
}

func (s *FileSink) handle(o *streamOut, ev engine.Event, lines []byte) error {
	if ev.Kind == engine.StreamIncomplete {
		if o.sf == nil {
			return nil
		}
		err := o.sf.abort()
		if !o.sf.full {
			// What was synced stays; a full refresh left the old file as it was.
			o.pos = Position{Path: o.sf.final, Size: o.sf.durable}
		}
		o.sf = nil
		return err
	}
	if err := s.open(o); err != nil {
		return err
	}
	if o.sf == nil {
		return fmt.Errorf("event %s after the stream finished", ev.Kind)
	}
	switch ev.Kind {
	case engine.Records:
		if lines != nil {
			return o.sf.writeThrough(lines)
		}
		buf := o.buf[:0]
		for _, rec := range ev.Records {
			var err error
			if buf, err = o.enc.encode(buf, rec); err != nil {
				return err
			}
		}
		o.buf = buf
		return o.sf.write(buf)
	case engine.Checkpoint:
		if o.sf.full {
			// The partial file is dropped on a crash anyway: no fsync per page.
			return nil
		}
		if err := o.sf.sync(); err != nil {
			return err
		}
		o.pos = Position{Path: o.sf.final, Size: o.sf.durable}
	case engine.StreamComplete:
		if err := o.sf.commit(); err != nil {
			return err
		}
		o.pos = Position{Path: o.sf.final, Size: o.sf.durable}
		o.sf, o.done = nil, true
	}
	return nil
}

// Position returns the stream's final file and its durable size after the
// last Checkpoint (incremental) or StreamComplete (full refresh). ok is false
// while nothing durable exists yet in the final file.
func (s *FileSink) Position(stream string) (Position, bool) {
	o := s.stream(stream)
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pos, o.pos.Path != ""
}

// Files lists the final files of the streams that wrote one, sorted.
func (s *FileSink) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.streams {
		o.mu.Lock()
		if o.pos.Path != "" {
			out = append(out, o.pos.Path)
		}
		o.mu.Unlock()
	}
	sort.Strings(out)
	return out
}

// Finish implements Writer: Close (a stream that did not complete keeps
// what Close says).
func (s *FileSink) Finish(error) error { return s.Close() }

// Close stops every stream still open (a cancelled run): full refreshes drop
// their partial file, incremental files keep what they have.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for _, o := range s.streams {
		o.mu.Lock()
		if o.sf != nil {
			if err := o.sf.abort(); err != nil && first == nil {
				first = err
			}
			o.sf = nil
		}
		o.mu.Unlock()
	}
	return first
}
