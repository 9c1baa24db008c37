package output

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pdxhq/pdx/source/readable"
)

// ExtraColumn is the last column of every CSV file: a JSON object of the
// record's values that have no column of their own.
//
// Why: a CSV header cannot grow once rows are written, and an incremental run
// appends to a file whose header an earlier run fixed. So the columns are
// the stream's schema (standard fields, then custom fields) at the time the
// file is created; a field that appears later (a custom field added in
// Pipedrive, an undeclared API field) lands in _extra instead of shifting the
// columns. A custom field renamed in Pipedrive keeps its column (matched by
// the key's hash in the header, which keeps the old name). A full refresh (or
// `pdx state reset`) recreates the file with the new columns.
const ExtraColumn = "_extra"

// Column is one CSV column: the value of a top-level record key, of one
// key inside a top-level object, or (Field set) one readable column of a
// custom field, decoded by source/readable.
type Column struct {
	Name  string // header
	Key   string
	Sub   string
	Field string // a custom field's hash (readable.Column.Field)
	Part  string // and its part (readable.Column.Part)
}

var hashRE = regexp.MustCompile(`^([0-9a-f]{40})(?:_(.+))?$`)

// Columns lays out a stream's CSV columns: the primary key first, the
// standard fields of its JSON schema sorted by name, then custom (the
// readable columns of its custom fields, readable.Decoder.Columns) sorted
// by name. Raw custom keys in the schema (v1 hash and suffix keys, v2
// custom_fields members) get no column of their own: custom stands for
// them, and a key no decoder knows goes to _extra.
func Columns(js json.RawMessage, primaryKey []string, custom []readable.Column) ([]Column, error) {
	var s struct {
		Properties map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(js, &s); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	var std, cust []Column
	for key, p := range s.Properties {
		if hashRE.MatchString(key) {
			continue
		}
		if key == "custom_fields" && (len(p.Properties) > 0 || len(custom) > 0) {
			for sub := range p.Properties {
				if !hashRE.MatchString(sub) {
					std = append(std, Column{Name: key + "." + sub, Key: key, Sub: sub})
				}
			}
			continue
		}
		std = append(std, Column{Name: key, Key: key})
	}
	for _, c := range custom {
		cust = append(cust, Column{Name: c.Name, Field: c.Field, Part: c.Part})
	}
	rank := func(c Column) int {
		if i := slices.Index(primaryKey, c.Key); i >= 0 {
			return i
		}
		return len(primaryKey)
	}
	sort.Slice(std, func(i, j int) bool {
		ri, rj := rank(std[i]), rank(std[j])
		if ri != rj {
			return ri < rj
		}
		return std[i].Name < std[j].Name
	})
	sort.SliceStable(cust, func(i, j int) bool { return cust[i].Name < cust[j].Name })
	return append(std, cust...), nil
}

func init() {
	Register(Format{
		Name: "csv", Label: "CSV", Rank: 20, Ext: "csv", StagesFullRefresh: true, DecodesFields: true,
		Description: "one file per stream, opens in Excel and Google Sheets",
		Open: func(_ context.Context, t Target) (Writer, error) {
			if t.Columns == nil {
				return nil, fmt.Errorf("csv output needs the streams' columns")
			}
			return NewCSV(Options{Dir: t.Dir, Streams: t.Specs, Notice: t.Notice}, t.Columns, t.Decoder)
		},
	})
}

// NewCSV returns a sink writing <dir>/<stream>.csv: RFC 4180 (CRLF, quotes
// doubled), UTF-8 without BOM, a header row, strings as text, numbers and
// booleans as written by the API, null as an empty field, objects and arrays
// as compact JSON text, and a final _extra column. columns gives each
// stream's layout when a file is created; decoder (nil: none) each
// stream's custom-field decoder, whose readable values fill the custom
// columns (labels, not option ids: spreadsheets are CSV's users).
func NewCSV(opt Options, columns func(stream string) ([]Column, error), decoder func(stream string) (*readable.Decoder, error)) (*FileSink, error) {
	return newFileSink(opt, format{
		ext: "csv",
		newEncoder: func(stream string) (encoder, error) {
			e := &csvEncoder{stream: stream, columns: columns}
			if decoder != nil {
				d, err := decoder(stream)
				if err != nil {
					return nil, fmt.Errorf("%s custom fields: %w", stream, err)
				}
				e.dec = d
			}
			return e, nil
		},
		lastRecordEnd: lastCSVRecordEnd,
	})
}

type csvEncoder struct {
	stream  string
	columns func(string) ([]Column, error)
	dec     *readable.Decoder // nil: the stream has no custom fields
	cols    []Column
	custom  []int           // per column: index into dec's columns, -1: not one
	written map[string]bool // fields (hashes) with a column in the file
	nested  map[string]bool // keys whose object is split into Sub columns
	row     []string
	top     map[string]json.RawMessage
	subs    map[string]map[string]json.RawMessage
	used    map[string]bool // keys (and key\x00sub) that have a column
	out     bytes.Buffer
	w       *csv.Writer
}

func (e *csvEncoder) begin(sf *streamFile, created bool, r io.ReaderAt) error {
	// Not UseCRLF: it would also turn a line break inside a value into CRLF
	// (and drop a lone CR), so a note's "a\nb" would read back as "a\r\nb"
	// in DuckDB, pandas or a spreadsheet. Records end with CRLF (RFC 4180)
	// through endRecord instead.
	e.w = csv.NewWriter(&e.out)
	if created {
		cols, err := e.columns(e.stream)
		if err != nil {
			return fmt.Errorf("csv columns: %w", err)
		}
		e.setColumns(cols)
		header := make([]string, 0, len(cols)+1)
		for _, c := range cols {
			header = append(header, c.Name)
		}
		header = append(header, ExtraColumn)
		if err := e.w.Write(header); err != nil {
			return err
		}
		if err := e.endRecord(); err != nil {
			return err
		}
		err = sf.write(e.out.Bytes())
		e.out.Reset()
		return err
	}
	// Appending: keep the existing header's columns, matched by name against
	// the current layout, so rows stay aligned with what the file has.
	header, err := csv.NewReader(io.NewSectionReader(r, 0, sf.size)).Read()
	if err != nil {
		return fmt.Errorf("read the header of %s (move the file away or reset the stream's state to start it over): %w", sf.final, err)
	}
	if len(header) == 0 || header[len(header)-1] != ExtraColumn {
		return fmt.Errorf("%s was not written by pdx (its last column is not %s): move it away or choose another output directory", sf.final, ExtraColumn)
	}
	cols, err := e.columns(e.stream)
	if err != nil {
		return fmt.Errorf("csv columns: %w", err)
	}
	byName := map[string]Column{}
	for _, c := range cols {
		byName[c.Name] = c
	}
	renamed := renamedCustom(header[:len(header)-1], cols)
	kept := make([]Column, 0, len(header)-1)
	for _, h := range header[:len(header)-1] {
		c, ok := byName[h]
		if !ok {
			c, ok = renamed[h]
		}
		if !ok {
			// A column the schema no longer has: rebuild it from its name.
			c = Column{Name: h, Key: h}
			if _, _, custom := splitCustomName(h); custom {
				c = Column{Name: h, Field: "?"} // an unknown custom field: leave it empty
			}
		}
		kept = append(kept, c)
	}
	e.setColumns(kept)
	return nil
}

// splitCustomName splits a custom field's header "Budget currency (a1b2c3d4)"
// into its words and the first 8 hex digits of the field's key. Headers of
// that form are every custom header of a file pdx wrote before readable
// names (and, now, those of fields sharing a name).
func splitCustomName(h string) (stem, hash8 string, ok bool) {
	i := strings.LastIndex(h, " (")
	if i <= 0 || !strings.HasSuffix(h, ")") || len(h)-i-3 != 8 {
		return "", "", false
	}
	hash8 = h[i+2 : len(h)-1]
	for _, r := range hash8 {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return "", "", false
		}
	}
	return h[:i], hash8, true
}

// renamedCustom maps the headers of custom fields renamed in Pipedrive since
// the file was created to their current columns: a header keeps the key's
// first 8 hex digits, and a suffix column ("Budget currency (…)", key
// <hash>_currency) is the field's plain header's words plus the suffix's.
// Matching by name alone would leave the old column empty from then on.
func renamedCustom(header []string, cols []Column) map[string]Column {
	type cand struct {
		c     Column
		words string
	}
	byHash := map[string][]cand{}
	for _, c := range cols {
		if len(c.Field) == 40 {
			byHash[c.Field[:8]] = append(byHash[c.Field[:8]], cand{c, strings.ReplaceAll(c.Part, "_", " ")})
		}
	}
	stems := map[string][]string{}
	for _, h := range header {
		if stem, h8, ok := splitCustomName(h); ok && len(byHash[h8]) > 0 {
			stems[h8] = append(stems[h8], stem)
		}
	}
	out := map[string]Column{}
	for h8, group := range stems {
		// The plain header is the one every other of the field starts with.
		base, found := "", false
		for _, b := range group {
			all := true
			for _, o := range group {
				if o != b && !strings.HasPrefix(o, b+" ") {
					all = false
					break
				}
			}
			if all && (!found || len(b) < len(base)) {
				base, found = b, true
			}
		}
		if !found {
			continue
		}
		for _, stem := range group {
			words := strings.TrimPrefix(strings.TrimPrefix(stem, base), " ")
			for _, c := range byHash[h8] {
				if c.words == words {
					out[stem+" ("+h8+")"] = c.c
					break
				}
			}
		}
	}
	return out
}

func (e *csvEncoder) setColumns(cols []Column) {
	e.cols = cols
	e.nested = map[string]bool{}
	idx := map[[2]string]int{}
	if e.dec != nil {
		e.nested["custom_fields"] = true // its members the decoder knows are used
		for i, c := range e.dec.Columns() {
			idx[[2]string{c.Field, c.Part}] = i
		}
	}
	e.custom = make([]int, len(cols))
	e.written = map[string]bool{}
	for i, c := range cols {
		if c.Sub != "" {
			e.nested[c.Key] = true
		}
		e.custom[i] = -1
		if j, ok := idx[[2]string{c.Field, c.Part}]; ok && c.Field != "" {
			e.custom[i] = j
			e.written[c.Field] = true
		}
	}
	e.row = make([]string, len(cols)+1)
}

func (e *csvEncoder) encode(buf []byte, rec json.RawMessage) ([]byte, error) {
	// The maps are reused record after record: one decode of the top level
	// (and of custom_fields) per record is the only unavoidable work.
	if e.top == nil {
		e.top, e.subs, e.used = map[string]json.RawMessage{}, map[string]map[string]json.RawMessage{}, map[string]bool{}
	}
	clear(e.top)
	clear(e.used)
	if err := json.Unmarshal(rec, &e.top); err != nil {
		return buf, fmt.Errorf("record is not a JSON object: %w", err)
	}
	top := e.top
	for k := range e.nested {
		m := e.subs[k]
		if m == nil {
			m = map[string]json.RawMessage{}
			e.subs[k] = m
		}
		clear(m)
		if v, ok := top[k]; ok {
			if json.Unmarshal(v, &m) != nil {
				clear(m)
			}
		}
	}
	var vals []readable.Value
	if e.dec != nil {
		var err error
		if vals, err = e.dec.Decode(rec); err != nil {
			return buf, fmt.Errorf("custom fields: %w", err)
		}
	}
	for i, c := range e.cols {
		var v json.RawMessage
		switch {
		case c.Field != "":
			e.row[i] = ""
			if j := e.custom[i]; j >= 0 {
				e.row[i] = valueCell(vals[j])
			}
			continue
		case c.Key == "":
		case c.Sub == "":
			v = top[c.Key]
			e.used[c.Key] = true
		default:
			v = e.subs[c.Key][c.Sub]
			e.used[c.Key+"\x00"+c.Sub] = true
		}
		e.row[i] = cell(v)
	}
	// Whatever has no column goes to _extra, so nothing is lost.
	var extra map[string]json.RawMessage
	add := func(k string, v json.RawMessage) {
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		extra[k] = v
	}
	for k, v := range top {
		if e.used[k] || e.decoded(k) {
			continue
		}
		if e.nested[k] {
			var left map[string]json.RawMessage
			for sk, sv := range e.subs[k] {
				if !e.used[k+"\x00"+sk] && !(k == "custom_fields" && e.decoded(sk)) {
					if left == nil {
						left = map[string]json.RawMessage{}
					}
					left[sk] = sv
				}
			}
			if len(left) > 0 {
				b, err := marshalNoEscape(left)
				if err != nil {
					return buf, fmt.Errorf("encode extra fields: %w", err)
				}
				add(k, b)
			} else if len(e.subs[k]) == 0 && cell(v) != "" && !bytes.HasPrefix(bytes.TrimSpace(v), []byte("{")) {
				add(k, v) // not an object: keep it as it came
			}
			continue
		}
		add(k, v)
	}
	e.row[len(e.cols)] = ""
	if len(extra) > 0 {
		b, err := marshalNoEscape(extra)
		if err != nil {
			return buf, fmt.Errorf("encode extra fields: %w", err)
		}
		e.row[len(e.cols)] = string(b)
	}
	e.out.Reset()
	if err := e.w.Write(e.row); err != nil {
		return buf, err
	}
	if err := e.endRecord(); err != nil {
		return buf, err
	}
	return append(buf, e.out.Bytes()...), nil
}

// endRecord flushes the one record written to e.out and ends it with CRLF
// (the writer ended it with LF; values keep their own line breaks as is).
func (e *csvEncoder) endRecord() error {
	e.w.Flush()
	if err := e.w.Error(); err != nil {
		return err
	}
	b := e.out.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\n' {
		e.out.Truncate(n - 1)
		e.out.WriteString("\r\n")
	}
	return nil
}

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

// decoded reports whether raw key k is a custom field's whose readable
// values have columns in the file (otherwise it goes to _extra: a field
// added since the file's header was written).
func (e *csvEncoder) decoded(k string) bool {
	if e.dec == nil {
		return false
	}
	h, ok := e.dec.FieldOf(k)
	return ok && e.written[h]
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
