package readable

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pdxhq/pdx/source/schema"
)

type field struct {
	f       schema.Field
	name    string
	keyJSON []byte // `"name":`
	// plainKey: the hash has no byte JSON escapes (a quote, a backslash, a
	// control character), so in a record it is written as it is.
	plainKey bool
	sh       shape
	col0     int // index of its first column
	labels   map[int64]string
}

// slot is where a raw member goes: a field and, for a v1 suffix key, the
// part it fills (-1: the field's main key).
type slot struct {
	f    *field
	part int
}

// Options tune a Decoder.
type Options struct {
	// RawIDs keeps enum and set values as option ids (CSV --raw-ids).
	RawIDs bool
	// Refresh re-reads the field definitions; the decoder calls it at most
	// once, on the first option id its definitions do not know (an option
	// added in Pipedrive after the definitions were read), and decodes on
	// with what it returns. nil: unknown ids stay ids.
	Refresh func() ([]schema.Field, error)
}

// Decoder turns one stream's raw records into readable custom-field
// values. Make one per stream (it keeps per-record buffers); Decode is not
// safe for concurrent use.
type Decoder struct {
	version   int
	opt       Options
	fields    []*field
	slots     map[string]slot
	cols      []Column
	vals      []Value
	refreshed bool
	unknown   map[string]map[int64]bool // hash -> option ids still unknown
	interned  map[string]string         // short texts seen (currencies, names): no allocation per record
	borrow    bool                      // AppendRecord: values may point into the record
	scratch   bytes.Buffer
	arena     []byte     // AppendRecord: texts built for one record
	mu        sync.Mutex // guards unknown for Unknown()
	labelBuf  []string
	idBuf     [][]byte // labelList's ids, reused
	starts    []int    // restOfObject's result, reused
	seen      []slot   // customFields: the slots of the last record's custom_fields members, in order
	spec      bool     // decodeFound is decoding before it knows it may
	specMiss  bool     // ... and met an option id it must not record
}

// NewDecoder decodes the custom fields of a stream whose records are of API
// version (1: top-level hash and suffix keys; 2: nested custom_fields), with
// column names from names (hash -> name, NameBook.Assign; a field missing
// there is named by its Pipedrive name).
func NewDecoder(version int, fields []schema.Field, names map[string]string, opt Options) *Decoder {
	d := &Decoder{version: version, opt: opt, unknown: map[string]map[int64]bool{}, interned: map[string]string{}}
	fs := append([]schema.Field(nil), fields...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Key < fs[j].Key })
	d.slots = map[string]slot{}
	for _, f := range fs {
		name := names[f.Key]
		if name == "" {
			name = baseName(f)
		}
		fd := &field{f: f, name: name, sh: shapeOf(f.Type), col0: len(d.cols), plainKey: plainText(f.Key)}
		fd.keyJSON = append(appendString(nil, name), ':')
		for i := range fd.sh.parts {
			fd.sh.parts[i].keyJSON = append(appendString(nil, fd.sh.parts[i].json), ':')
		}
		fd.setLabels(f.Options)
		for _, p := range fd.sh.parts {
			cn := name
			if p.raw != "" {
				cn += " " + strings.ReplaceAll(p.raw, "_", " ")
			}
			d.cols = append(d.cols, Column{Name: cn, Field: f.Key, Type: f.Type, Part: p.raw, Kind: p.kind})
		}
		d.fields = append(d.fields, fd)
		d.slots[f.Key] = slot{f: fd, part: -1}
		if version == 1 {
			for i, p := range fd.sh.parts {
				if p.raw != "" && fd.sh.dec != dRef {
					d.slots[f.Key+"_"+p.raw] = slot{f: fd, part: i}
				}
			}
		}
	}
	d.vals = make([]Value, len(d.cols))
	return d
}

// plainText reports whether JSON writes s as it is (printable ASCII, no
// quote, no backslash).
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

func (fd *field) setLabels(opts []schema.Option) {
	fd.labels = make(map[int64]string, len(opts))
	for _, o := range opts {
		fd.labels[o.ID] = o.Label
	}
}

// Columns are the readable columns, fields in hash order, each field's
// parts in a fixed order.
func (d *Decoder) Columns() []Column { return d.cols }

// FieldOf returns the hash of the field a raw key belongs to, if the
// decoder reads that key: a custom field's hash (v1 and v2) or a v1 suffix
// key (<hash>_currency, ...).
func (d *Decoder) FieldOf(key string) (string, bool) {
	s, ok := d.slots[key]
	if !ok {
		return "", false
	}
	return s.f.f.Key, true
}

// Unknown lists option ids that no definition labels (hash -> ids), for a
// notice; they were written as ids.
func (d *Decoder) Unknown() map[string][]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string][]int64{}
	for h, ids := range d.unknown {
		for id := range ids {
			out[h] = append(out[h], id)
		}
		sort.Slice(out[h], func(i, j int) bool { return out[h][i] < out[h][j] })
	}
	return out
}

// Decode returns the record's readable values, one per column of Columns.
// The slice is reused by the next call.
func (d *Decoder) Decode(rec []byte) ([]Value, error) {
	d.reset()
	if len(d.fields) == 0 {
		return d.vals, nil
	}
	if d.version == 2 {
		if vals, ok, err := d.decodeFound(rec); ok {
			return vals, err
		}
		return d.decodeWalk(rec)
	}
	if err := members(rec, d.member); err != nil {
		return nil, err
	}
	return d.vals, nil
}

// decodeWalk decodes a v2 record by walking it from the start, reading
// custom_fields as the walk passes it.
func (d *Decoder) decodeWalk(rec []byte) ([]Value, error) {
	var cfErr error
	end, err := walk(rec, skipWS(rec, 0), func(k []byte, vs int) int {
		if rec[vs] == '{' && string(k) == "custom_fields" {
			end, err := d.customFields(rec, vs)
			if err != nil {
				cfErr = fmt.Errorf("custom_fields: %w", err)
				return -1
			}
			return end
		}
		ve, ok := skipValue(rec, vs)
		if !ok {
			return -1
		}
		return ve
	})
	if cfErr != nil {
		return nil, cfErr
	}
	if err == nil && skipWS(rec, end) != len(rec) {
		err = errSyntax
	}
	if err != nil {
		return nil, err
	}
	return d.vals, nil
}

// decodeFound decodes a v2 record's custom_fields found by searching for
// the key (firstKey, restOfObject), not by walking the record; ok false
// when the search cannot tell
// (the values are reset, the caller walks). It decodes the candidate before
// restOfObject has confirmed it is a top-level member (saving a second
// pass over it), so while it does, an unknown option id is neither
// recorded nor refreshed for (lookup): that can wait for the walk.
func (d *Decoder) decodeFound(rec []byte) (vals []Value, ok bool, err error) {
	if i := skipWS(rec, 0); i >= len(rec) || rec[i] != '{' {
		return nil, false, nil
	}
	vs, found := firstKey(rec, "custom_fields")
	if !found {
		return d.vals, vs == -1, nil // -1: none
	}
	if rec[vs] != '{' {
		return nil, false, nil
	}
	d.spec, d.specMiss = true, false
	end, werr := d.customFields(rec, vs)
	d.spec = false
	if werr == nil && !d.specMiss {
		var more []int
		if more, ok = restOfObject(rec, end, "custom_fields", d.starts[:0]); ok {
			d.starts = more
			for _, start := range more { // a repeated key: the walk reads it too
				if _, err := d.customFields(rec, start); err != nil {
					return nil, true, fmt.Errorf("custom_fields: %w", err)
				}
			}
			return d.vals, true, nil
		}
	}
	d.reset()
	return nil, false, nil
}

// reset empties the values before a record is decoded.
func (d *Decoder) reset() {
	for i := range d.vals {
		d.vals[i] = Value{Null: true, Kind: d.cols[i].Kind}
	}
	d.arena = d.arena[:0]
}

// customFields decodes the v2 custom_fields object starting at rec[i] and
// returns the index after it: walk with member, in one loop made for it.
// Why: a record's custom fields come in the same order record after
// record, so each key is first compared with the one at its place in the
// record before (seen): a 40-hex key that matches needs neither a scan for
// its closing quote nor a map lookup. And a field with parts decodes its
// object as it reads it, instead of skipping it and reading it again.
func (d *Decoder) customFields(rec []byte, i int) (int, error) {
	if i >= len(rec) || rec[i] != '{' {
		return 0, errSyntax
	}
	i = skipWS(rec, i+1)
	if i < len(rec) && rec[i] == '}' {
		return i + 1, nil
	}
	for n := 0; ; n++ {
		if i >= len(rec) || rec[i] != '"' {
			return 0, errSyntax
		}
		var s slot
		var ok bool
		end := -1
		if n < len(d.seen) {
			if s = d.seen[n]; s.f != nil && s.f.plainKey {
				k := s.f.f.Key
				if e := i + 1 + len(k); e < len(rec) && rec[e] == '"' && string(rec[i+1:e]) == k {
					end, ok = e+1, true
				}
			}
		}
		if end < 0 {
			e, sok := skipString(rec, i)
			if !sok {
				return 0, errSyntax
			}
			end = e
			s, ok = d.slots[string(rec[i+1:e-1])]
			if s.part >= 0 {
				ok = false // a suffix key is v1's, never a v2 member
			}
			if !ok {
				s = slot{}
			}
			if n < len(d.seen) {
				d.seen[n] = s
			} else if n < 256 {
				d.seen = append(d.seen, s)
			}
		}
		i = skipWS(rec, end)
		if i >= len(rec) || rec[i] != ':' {
			return 0, errSyntax
		}
		vs := skipWS(rec, i+1)
		if vs >= len(rec) {
			return 0, errSyntax
		}
		var ve int
		if ok && rec[vs] == '{' && len(s.f.sh.parts) > 1 && s.f.sh.dec != dRef {
			if ve, ok = d.partsAt(s.f, rec, vs); !ok {
				return 0, errSyntax
			}
		} else {
			if ve, ok = skipValue(rec, vs); !ok {
				return 0, errSyntax
			}
			if s.f != nil {
				d.slotValue(s, rec[vs:ve])
			}
		}
		i = skipWS(rec, ve)
		if i >= len(rec) {
			return 0, errSyntax
		}
		if rec[i] == '}' {
			return i + 1, nil
		}
		if rec[i] != ',' {
			return 0, errSyntax
		}
		i = skipWS(rec, i+1)
	}
}

// partsAt decodes a v2 field's object of parts at rec[vs] ({"value":
// ..., "currency": ...}) and returns the index after it.
//
// The parts usually come in the shape's order (an address's ten), so the
// part after the last one found is tried first.
func (d *Decoder) partsAt(fd *field, rec []byte, vs int) (int, bool) {
	parts, next := fd.sh.parts, 0
	end, err := walk(rec, vs, func(pk []byte, pvs int) int {
		pve, ok := skipValue(rec, pvs)
		if !ok {
			return -1
		}
		raw := unsafeString(pk)
		if raw == "value" {
			raw = ""
		}
		i := next
		if i >= len(parts) || parts[i].raw != raw {
			for i = 0; i < len(parts) && parts[i].raw != raw; i++ {
			}
		}
		if i < len(parts) { // a shape's parts have distinct keys: one matches at most
			d.scalar(fd.col0+i, parts[i].kind, rec[pvs:pve])
			next = i + 1
		}
		return pve
	})
	return end, err == nil
}

func (d *Decoder) member(k, v []byte) {
	s, ok := d.slots[string(k)]
	if !ok {
		return
	}
	d.slotValue(s, v)
}

// slotValue decodes v, the value of slot's raw member.
func (d *Decoder) slotValue(s slot, v []byte) {
	fd := s.f
	if s.part >= 0 { // a v1 suffix key
		d.scalar(fd.col0+s.part, fd.sh.parts[s.part].kind, v)
		return
	}
	switch {
	case fd.sh.dec == dRef:
		d.ref(fd, v)
	case len(fd.sh.parts) > 1:
		if d.version == 2 && len(v) > 0 && v[0] == '{' {
			_ = members(v, func(pk, pv []byte) {
				raw := string(pk)
				if raw == "value" {
					raw = ""
				}
				for i, p := range fd.sh.parts {
					if p.raw == raw {
						d.scalar(fd.col0+i, p.kind, pv)
					}
				}
			})
			return
		}
		d.scalar(fd.col0, fd.sh.parts[0].kind, v)
	case fd.sh.dec == dLabel:
		d.label(fd, v)
	case fd.sh.dec == dLabels:
		d.labelList(fd, v)
	case fd.sh.dec == dIDs, fd.sh.dec == dAny:
		if !isNull(v) {
			d.vals[fd.col0] = Value{Kind: JSON, Text: compact(v)}
		}
	default:
		d.scalar(fd.col0, fd.sh.parts[0].kind, v)
	}
}

// scalar decodes v as kind into column i.
func (d *Decoder) scalar(i int, kind Kind, v []byte) {
	if isNull(v) {
		return
	}
	s, isStr := d.text(v)
	if !isStr {
		s = unsafeString(v) // numbers, true/false: only parsed, or copied below
	}
	out := Value{Kind: kind}
	switch kind {
	case Text:
		switch {
		case !isStr && (v[0] == '{' || v[0] == '['):
			s = compact(v)
		case !isStr:
			s = strings.Clone(s)
		}
		out.Text = s
	case Real:
		if d.borrow && !isStr {
			out.num = s // a JSON number: written back as sent
			break
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			out = Value{Kind: Text, Text: strings.Clone(s)}
		}
		out.Real = f
	case Integer:
		if d.borrow && !isStr && isInt(s) {
			out.num = s
			break
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == float64(int64(f)) {
				n, err = int64(f), nil
			}
		}
		if err != nil {
			out = Value{Kind: Text, Text: strings.Clone(s)}
		}
		out.Int = n
	case Bool:
		switch s {
		case "true", "1":
			out.Bool = true
		case "false", "0":
		default:
			out = Value{Kind: Text, Text: strings.Clone(s)}
		}
	case Date, Time:
		if !isStr {
			s = strings.Clone(s)
		}
	}
	switch kind {
	case Date:
		out.Text = s
		if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
			out.Text = s[:10]
		} else {
			out.Kind = Text
		}
	case Time:
		out.Text = s
		switch {
		case len(s) == 5 && s[2] == ':':
			out.Text = s + ":00"
		case len(s) >= 8 && s[2] == ':' && s[5] == ':':
			out.Text = s[:8]
		default:
			out.Kind = Text
		}
	case JSON:
		out.Text = compact(v)
	}
	if s == "" && isStr && kind != Text {
		return // v1 sends "" for an empty value
	}
	d.vals[i] = out
}

// ref decodes a reference: an id (number or string), or v1's expanded
// object {value or id, name, ...}.
func (d *Decoder) ref(fd *field, v []byte) {
	if isNull(v) {
		return
	}
	if v[0] != '{' {
		d.scalar(fd.col0, fd.sh.parts[0].kind, v)
		return
	}
	var id, idAlt []byte
	_ = members(v, func(k, pv []byte) {
		switch string(k) {
		case "value":
			id = pv
		case "id":
			idAlt = pv
		case "name":
			d.scalar(fd.col0+1, Text, pv)
		}
	})
	if id == nil {
		id = idAlt
	}
	d.scalar(fd.col0, fd.sh.parts[0].kind, id)
}
