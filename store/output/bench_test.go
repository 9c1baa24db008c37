package output

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
)

// benchPage is a page of 500 deal-sized records (~1.6 KB each).
func benchPage() []json.RawMessage {
	page := make([]json.RawMessage, 500)
	for i := range page {
		page[i] = json.RawMessage(fmt.Sprintf(`{"id":%d,"title":"Deal %d with a longer title","value":1234.5,"currency":"EUR","status":"open","label_ids":[1,2,3],"custom_fields":{"%s":{"value":100,"currency":"EUR"},"%s":7},"notes":"%0600d","update_time":"2026-01-02T03:04:05Z"}`, i, i, hashA, hashB, i))
	}
	return page
}

func benchSink(b *testing.B, s Writer) {
	page := benchPage()
	size := 0
	for _, r := range page {
		size += len(r)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Emit(ctx, engine.Event{Kind: engine.Records, Stream: "deals", Records: page}); err != nil {
			b.Fatal(err)
		}
		if i%10 == 9 { // a checkpoint (flush + fsync) every 10 pages
			if err := s.Emit(ctx, engine.Event{Kind: engine.Checkpoint, Stream: "deals"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	s.Finish(nil)
}

func BenchmarkJSONLPage(b *testing.B) {
	s, err := NewJSONL(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	benchSink(b, s)
}

func BenchmarkCSVPage(b *testing.B) {
	s, err := newTestCSV(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	benchSink(b, s)
}

// BenchmarkJSONLReadablePage is BenchmarkJSONLPage with --readable: the
// same page, each record's custom fields decoded into _pdx_readable.
// Issue 13 asks for at least 0.8x of BenchmarkJSONLPage's records/s.
func BenchmarkJSONLReadablePage(b *testing.B) {
	s, err := NewJSONL(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	w := Readable(s, testDecoder(2, testFields))
	benchSink(b, w)
}
