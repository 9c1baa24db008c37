package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/pdxhq/pdx/source/readable"
)

// How one value becomes one CSV cell, and where a CSV file's last whole
// record ends (the resume scanner).

// marshalNoEscape encodes v compactly without json.Marshal's HTML escaping,
// so "<b>" in a value stays "<b>" in the cell.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// valueCell renders a readable value as CSV text.
func valueCell(v readable.Value) string {
	if v.Null {
		return ""
	}
	switch v.Kind {
	case readable.Real:
		return strconv.FormatFloat(v.Real, 'f', -1, 64)
	case readable.Integer:
		return strconv.FormatInt(v.Int, 10)
	case readable.Bool:
		return strconv.FormatBool(v.Bool)
	}
	return v.Text
}

// cell renders one JSON value as CSV text.
func cell(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case '{', '[':
		var c bytes.Buffer
		if json.Compact(&c, v) == nil {
			return c.String()
		}
	}
	return string(v)
}

// lastCSVRecordEnd finds the end of the last complete CSV record: the last
// line break outside quotes (quoted fields may hold line breaks).
func lastCSVRecordEnd(r io.ReaderAt, size int64) (int64, error) {
	var end, off int64
	inQuotes := false
	buf := make([]byte, 64<<10)
	for off < size {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for i := 0; i < n; i++ {
			switch buf[i] {
			case '"':
				inQuotes = !inQuotes
			case '\n':
				if !inQuotes {
					end = off + int64(i) + 1
				}
			}
		}
		off += int64(n)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if n == 0 {
			break
		}
	}
	return end, nil
}
