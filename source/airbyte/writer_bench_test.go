package airbyte

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// BenchmarkWriterRecords writes pages of 500 ~1 KiB records: the RECORD
// framing cost per byte of API data.
func BenchmarkWriterRecords(b *testing.B) {
	page := make([]json.RawMessage, 500)
	size := 0
	for i := range page {
		page[i] = json.RawMessage(fmt.Sprintf(`{"id":%d,"title":"Deal %d","notes":%q,"custom_fields":{"a":1}}`, i, i, strings.Repeat("x", 950)))
		size += len(page[i])
	}
	w := NewWriter(io.Discard)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Records("deals", page); err != nil {
			b.Fatal(err)
		}
	}
}
