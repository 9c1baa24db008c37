package sqlite

import (
	"sort"

	"github.com/pdxhq/pdx/source/readable"
)

// Readable custom-field columns (issue 13 §2): the columns of the stream's
// readable.Decoder, the same decoding and the same names as the CSV
// output, beside the raw custom-field columns (custom_fields, the v1
// hash-key columns), which stay for a lossless copy. A readable column's
// identity in _pdx_columns is (field hash, "", "readable[.part]"), so a
// renamed field keeps its column and a new field or part adds one.

const readablePart = "readable"

// readableColumns are d's columns as table columns, sorted by name (as
// CSV's).
func readableColumns(d *readable.Decoder) []Column {
	var out []Column
	for _, rc := range d.Columns() {
		out = append(out, Column{Name: rc.Name, Key: rc.Field, Part: readableID(rc.Part), Type: kindType(rc.Kind)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func readableID(part string) string {
	if part == "" {
		return readablePart
	}
	return readablePart + "." + part
}

// isReadable: the column is filled from the decoder, not from a record key.
func (c Column) isReadable() bool {
	return c.Part == readablePart || len(c.Part) > len(readablePart) && c.Part[:len(readablePart)+1] == readablePart+"."
}

func hasReadable(cols []Column) bool {
	for _, c := range cols {
		if c.isReadable() {
			return true
		}
	}
	return false
}

// kindType is a readable kind's column type.
func kindType(k readable.Kind) Type {
	switch k {
	case readable.Integer:
		return Integer
	case readable.Bool:
		return Boolean
	case readable.Real:
		return Real
	case readable.Date:
		return Date
	case readable.JSON:
		return JSON
	}
	return Text // Text, Time ("HH:MM:SS")
}

// bindReadable maps each decoder column to its table column (-1: none).
func (t *table) bindReadable(d *readable.Decoder) {
	t.dec, t.rd = d, nil
	if d == nil {
		return
	}
	byID := map[string]int{}
	for i, c := range t.cols {
		if c.isReadable() {
			byID[c.id()] = i
		}
	}
	for _, rc := range d.Columns() {
		i, ok := byID[Column{Key: rc.Field, Part: readableID(rc.Part)}.id()]
		if !ok {
			i = -1
		}
		t.rd = append(t.rd, i)
	}
}

// decodeReadable fills the readable columns of the scanned record.
func (t *table) decodeReadable(rec []byte) error {
	if t.dec == nil {
		return nil
	}
	vals, err := t.dec.Decode(rec)
	if err != nil {
		return err
	}
	for j, v := range vals {
		if i := t.rd[j]; i >= 0 {
			t.vals[i] = sqlValue(v)
		}
	}
	return nil
}

// sqlValue is a readable value as the driver stores it; a value in a form
// its column's kind does not have is kept as text.
func sqlValue(v readable.Value) any {
	if v.Null {
		return nil
	}
	switch v.Kind {
	case readable.Integer:
		return v.Int
	case readable.Real:
		return v.Real
	case readable.Bool:
		if v.Bool {
			return int64(1)
		}
		return int64(0)
	}
	return v.Text
}
