package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
)

// FuzzLastCSVRecordEnd: cut a CSV file as pdx writes it (records ending in
// CRLF, values with quotes and line breaks) at any byte, as a kill or a
// full disk would: the resume scanner must find exactly the end of the last
// complete record, so a resumed run neither keeps a torn row nor drops a
// whole one.
func FuzzLastCSVRecordEnd(f *testing.F) {
	f.Add("id,title,_extra", "1,\"a \"\"quoted\"\"\nline\",", uint16(40))
	f.Add("a", "\"\r\n\"", uint16(3))
	f.Add("x,y", ",,\n,", uint16(0))
	f.Fuzz(func(t *testing.T, header, body string, cut uint16) {
		rows := [][]string{strings.Split(header, ",")}
		for _, line := range strings.Split(body, "|") {
			rows = append(rows, strings.Split(line, ","))
		}
		var file bytes.Buffer
		var ends []int64 // where each complete record ends
		for _, r := range rows {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			if w.Write(r) != nil {
				return
			}
			w.Flush()
			rec := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
			file.Write(rec)
			file.WriteString("\r\n") // endRecord's CRLF
			ends = append(ends, int64(file.Len()))
		}
		size := int64(cut) % (int64(file.Len()) + 1)
		got, err := lastCSVRecordEnd(bytes.NewReader(file.Bytes()), size)
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		for _, e := range ends {
			if e <= size {
				want = e
			}
		}
		if got != want {
			t.Fatalf("cut at %d of %q: last record end %d, want %d", size, file.Bytes(), got, want)
		}
	})
}

// FuzzLastLineEnd: the torn-line repair of JSONL files finds the byte after
// the last '\n' of any content, across its 64 KiB read chunks.
func FuzzLastLineEnd(f *testing.F) {
	f.Add([]byte("{\"id\":1}\n{\"id\":2}\n{\"id\":3"), uint32(0))
	f.Add([]byte("no newline"), uint32(70000))
	f.Fuzz(func(t *testing.T, data []byte, pad uint32) {
		// Padding moves the content across chunk boundaries.
		content := append(bytes.Repeat([]byte("x"), int(pad%(150<<10))), data...)
		got, err := lastLineEnd(bytes.NewReader(content), int64(len(content)))
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(bytes.LastIndexByte(content, '\n') + 1); got != want {
			t.Fatalf("got %d, want %d (len %d)", got, want, len(content))
		}
	})
}

// FuzzReadableLines: JSONL --readable's lines (a page decoded into the
// file's bytes, FileSink.writeLines) are byte for byte what the encoder
// writes from the same records, for any record bytes (line breaks,
// whitespace, broken JSON): the same file, or an error both ways.
func FuzzReadableLines(f *testing.F) {
	f.Add([]byte(`{"id":1,"custom_fields":{"`+hashA+`":{"value":5,"currency":"EUR"},"`+hashB+`":7}}`), []byte(`{"id":2}`))
	f.Add([]byte("{\"id\":1,\n\"custom_fields\":{\""+hashB+"\":3}\r}"), []byte(` {"a":"\u2028"} `))
	f.Add([]byte("{\"id\":1,\"x\":\"a\nb\"}"), []byte(`{"custom_fields":null`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		page := []json.RawMessage{a, b, a}
		run := func(hide bool) (string, error) {
			dir := t.TempDir()
			w := Readable(dealsJSONL(t, dir, hide), testDecoder(2, testFields))
			var first error
			for _, e := range []engine.Event{{Kind: engine.StreamStarted, Stream: "deals"}, {Kind: engine.Records, Stream: "deals", Records: page},
				{Kind: engine.Records, Stream: "deals", Records: page[1:]}, {Kind: engine.Checkpoint, Stream: "deals"}} {
				if err := w.Emit(ctx, e); err != nil && first == nil {
					first = err
				}
			}
			if err := w.Finish(nil); err != nil && first == nil {
				first = err
			}
			data, err := os.ReadFile(filepath.Join(dir, "deals.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			return string(data), first
		}
		got, gerr := run(false)
		want, werr := run(true)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("lines: err %v; records: err %v", gerr, werr)
		}
		if gerr == nil && got != want {
			t.Fatalf("lines:\n%q\nrecords:\n%q", got, want)
		}
	})
}
