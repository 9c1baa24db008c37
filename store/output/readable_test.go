package output

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
)

// readablePages are pages of v2 deals with testFields, of varied sizes.
func readablePages() [][]json.RawMessage {
	var pages [][]json.RawMessage
	id := 0
	for p, n := range []int{3, 1, 500, 7, 250, 2, 41} {
		var page []json.RawMessage
		for range n {
			id++
			page = append(page, json.RawMessage(fmt.Sprintf(`{"id":%d,"title":"Deal %d \"%d\"","custom_fields":{"%s":{"value":%d.5,"currency":"EUR"},"%s":%d},"products_count":%d}`,
				id, id, p, hashA, id, hashB, []int{7, 3, 99}[id%3], p)))
		}
		pages = append(pages, page)
	}
	return pages
}

// TestReadableWritesInOrder: the writer that writes a page while the next
// is decoded (Readable) writes the bytes the one that writes before Emit
// returns (ReadableSink) writes, and each checkpoint's position covers
// every page before it.
func TestReadableWritesInOrder(t *testing.T) {
	pages := readablePages()
	run := func(async bool) (string, []Position) {
		dir := t.TempDir()
		fs, err := NewJSONL(Options{Dir: dir, Streams: map[string]Stream{"deals": {Fresh: true, ResumeSize: -1}}})
		if err != nil {
			t.Fatal(err)
		}
		var w Writer = fs
		if async {
			w = Readable(fs, testDecoder(2, testFields))
		} else {
			w = readableWriter{Writer: fs, sink: newReadableSink(fs, testDecoder(2, testFields))}
		}
		var ps []Position
		emit(t, w, ev(engine.StreamStarted, "deals"))
		for i, p := range pages {
			emit(t, w, ev(engine.Records, "deals", p...))
			if i%2 == 1 {
				emit(t, w, ev(engine.Checkpoint, "deals"))
				pos, _ := w.Position("deals")
				fi, err := os.Stat(pos.Path)
				if err != nil || fi.Size() != pos.Size {
					t.Fatalf("checkpoint %d: position %+v, file %v %v", i, pos, fi, err)
				}
				ps = append(ps, pos)
			}
		}
		emit(t, w, ev(engine.Checkpoint, "deals"), ev(engine.StreamComplete, "deals"))
		if err := w.Finish(nil); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(dir + "/deals.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		for i := range ps {
			ps[i].Path = ""
		}
		return string(b), ps
	}
	sync, sp := run(false)
	async, ap := run(true)
	if async != sync || fmt.Sprint(ap) != fmt.Sprint(sp) {
		t.Fatalf("async output differs:\n%.300s\nsync:\n%.300s\npositions %v, sync %v", async, sync, ap, sp)
	}
	n := 0
	for _, p := range pages {
		n += len(p)
	}
	lines := strings.Split(strings.TrimSuffix(sync, "\n"), "\n")
	if len(lines) != n || !strings.Contains(lines[0], `"_pdx_readable":{"Budget":{"amount":1.5,"currency":"EUR"},"Region":"South"}`) {
		t.Fatalf("%d lines, want %d; first %s", len(lines), n, lines[0])
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, fmt.Sprintf(`{"id":%d,`, i+1)) {
			t.Fatalf("line %d out of order: %.60s", i+1, l)
		}
	}
}

// hiddenSink hides that its Writer is a FileSink: Readable then hands it
// records, as to any Writer, never lines.
type hiddenSink struct{ Writer }

// TestReadableLines: JSONL --readable writes each page as the lines it
// decoded them into (FileSink.writeLines), and the file is byte for byte
// the one the encoder writes from the records, a page with records that
// hold line breaks (which the encoder compacts) included.
func TestReadableLines(t *testing.T) {
	pages := readablePages()
	pretty := func(i int, nl string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"id":%d,%s "title":"a\nb",%s"custom_fields":{"%s":{"value":2,"currency":"USD"}, "%s":3}%s}`, i, nl, nl, hashA, hashB, nl))
	}
	pages = append(pages, []json.RawMessage{json.RawMessage(`{"id":900,"custom_fields":null}`), pretty(901, "\n")},
		[]json.RawMessage{pretty(902, "\r\n"), json.RawMessage(` {"id":903} `)}, []json.RawMessage{pretty(904, "\r")})
	run := func(hide bool) string {
		dir := t.TempDir()
		w := Readable(dealsJSONL(t, dir, hide), testDecoder(2, testFields))
		if lines := w.(readableWriter).sink.lines != nil; lines == hide {
			t.Fatalf("hidden %v: writes lines %v", hide, lines)
		}
		emit(t, w, ev(engine.StreamStarted, "deals"))
		for _, p := range pages {
			emit(t, w, ev(engine.Records, "deals", p...))
		}
		emit(t, w, ev(engine.Checkpoint, "deals"), ev(engine.StreamComplete, "deals"))
		if err := w.Finish(nil); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(dir + "/deals.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	got, want := run(false), run(true)
	if got != want {
		t.Fatalf("lines differ from the records' encoding:\n%s\nwant:\n%s", got[max(0, len(got)-600):], want[max(0, len(want)-600):])
	}
	n := 0
	for _, p := range pages {
		n += len(p)
	}
	if lines := strings.Count(got, "\n"); lines != n || strings.Contains(got, "\r") {
		t.Fatalf("%d line breaks for %d records (or a carriage return):\n%s", lines, n, got[max(0, len(got)-600):])
	}
	if !strings.Contains(got, `{"id":904,"title":"a\nb","custom_fields":`) {
		t.Fatalf("the pretty record is not compacted:\n%s", got[max(0, len(got)-600):])
	}
}

// TestReadableWriteFailure: a page whose write fails while the next one is
// decoded is the error of the stream's next event, the checkpoint after
// it fails, and the position stays at the last good checkpoint; a failure
// no event reported is Finish's error.
func TestReadableWriteFailure(t *testing.T) {
	pages := readablePages()
	for _, tc := range []struct {
		name  string
		after []engine.Kind // the events after the failing page
		lines bool          // pages written as lines (JSONL), or as records
	}{
		{"next page", []engine.Kind{engine.Records, engine.Checkpoint}, false},
		{"checkpoint", []engine.Kind{engine.Checkpoint}, false},
		{"incomplete", []engine.Kind{engine.StreamIncomplete}, false},
		{"finish", nil, false},
		{"lines next page", []engine.Kind{engine.Records, engine.Checkpoint}, true},
		{"lines checkpoint", []engine.Kind{engine.Checkpoint}, true},
		{"lines incomplete", []engine.Kind{engine.StreamIncomplete}, true},
		{"lines finish", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var first int64
			for _, r := range pages[0] {
				first += int64(len(r)) + 200 // with the readable object
			}
			opt := Options{Dir: dir, Streams: map[string]Stream{"deals": {Fresh: true, ResumeSize: -1}}, fs: &fullDisk{limit: first}}
			fs, err := newFileSink(opt, format{ext: "jsonl", lines: tc.lines, newEncoder: func(string) (encoder, error) { return jsonlEncoder{}, nil }, lastRecordEnd: lastLineEnd})
			if err != nil {
				t.Fatal(err)
			}
			w := Readable(fs, testDecoder(2, testFields))
			emit(t, w, ev(engine.StreamStarted, "deals"), ev(engine.Records, "deals", pages[0]...), ev(engine.Checkpoint, "deals"))
			pos, _ := w.Position("deals")
			// Larger than the file's buffer: the write itself fails.
			var big []json.RawMessage
			for range 4 {
				big = append(big, pages[2]...)
			}
			if err := w.Emit(ctx, ev(engine.Records, "deals", big...)); err != nil {
				t.Fatalf("the page in flight failed early: %v", err) // its write is not waited for
			}
			var got error
			for i, k := range tc.after {
				err := w.Emit(ctx, ev(k, "deals", pages[1]...))
				if i == 0 && err == nil {
					t.Fatalf("%s after the failed write: no error", k)
				}
				if err != nil && got == nil {
					got = err
				}
			}
			ferr := w.Finish(nil)
			if tc.after == nil {
				got = ferr
			}
			if got == nil || !strings.Contains(got.Error(), "no space left") {
				t.Fatalf("err = %v, want the disk-full error", got)
			}
			if p2, _ := w.Position("deals"); p2 != pos {
				t.Errorf("position moved past the failure: %+v -> %+v", pos, p2)
			}
		})
	}
}

// sinkWriter is a Writer that only forwards events.
type sinkWriter struct{ engine.Sink }

func (sinkWriter) Position(string) (Position, bool) { return Position{}, false }
func (sinkWriter) Files() []string                  { return nil }
func (sinkWriter) Finish(error) error               { return nil }

// TestReadableSinkPassesUndecoded: a stream without a decoder passes
// through unchanged, and events of streams never seen are forwarded.
func TestReadableSinkPassesUndecoded(t *testing.T) {
	var got []engine.Event
	next := engine.SinkFunc(func(_ context.Context, ev engine.Event) error { got = append(got, ev); return nil })
	s := Readable(sinkWriter{next}, func(string) (*readable.Decoder, error) { return nil, nil })
	rec := json.RawMessage(`{"id":1}`)
	emit(t, s, ev(engine.Log, "x"), ev(engine.Records, "acts", rec), ev(engine.StreamComplete, "acts"))
	if len(got) != 3 || !bytes.Equal(got[1].Records[0], rec) {
		t.Fatalf("got %+v", got)
	}
}

// TestReadableDecodeFailure: a record the decoder rejects fails its page,
// in the JSONL lines and as records alike: the error comes with the
// page's event or, for a page in flight, with the stream's next one (its
// checkpoint fails), and the position stays where it was.
func TestReadableDecodeFailure(t *testing.T) {
	for i, hide := range []bool{false, true, false, true, false, true, false, true} {
		async := i%4 >= 2
		// with a line break (the record goes to the encoder) or without
		bad := []json.RawMessage{json.RawMessage(`{"id":1}`), json.RawMessage([]string{"[\n1]", "[1]"}[i/4]), json.RawMessage(`{"id":3}`)}
		{
			t.Run(fmt.Sprintf("records=%v async=%v %q", hide, async, bad[1]), func(t *testing.T) {
				next := dealsJSONL(t, t.TempDir(), hide)
				s := newReadableSink(next, testDecoder(2, testFields))
				s.async = async
				w := readableWriter{Writer: next, sink: s}
				emit(t, w, ev(engine.StreamStarted, "deals"), ev(engine.Records, "deals", readablePages()[0]...), ev(engine.Checkpoint, "deals"))
				pos, _ := w.Position("deals")
				err := w.Emit(ctx, ev(engine.Records, "deals", bad...))
				if err == nil {
					err = w.Emit(ctx, ev(engine.Checkpoint, "deals"))
				}
				if err == nil || !strings.Contains(err.Error(), "readable custom fields") {
					t.Fatalf("err = %v, want the decoding's", err)
				}
				if p2, _ := w.Position("deals"); p2 != pos {
					t.Errorf("position moved past the failure: %+v -> %+v", pos, p2)
				}
				w.Finish(err)
			})
		}
	}
}

// dealsJSONL opens a fresh deals.jsonl in dir and returns the writer a
// readable sink is given: the file sink itself (its lines path), or with
// hide the same sink behind hiddenSink (the records path).
func dealsJSONL(t testing.TB, dir string, hide bool) Writer {
	t.Helper()
	fs, err := NewJSONL(Options{Dir: dir, Streams: map[string]Stream{"deals": {Fresh: true, ResumeSize: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	if hide {
		return hiddenSink{fs}
	}
	return fs
}
