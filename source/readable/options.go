package readable

import (
	"bytes"
	"strconv"
	"strings"
	"unsafe"
)

// Option labels (enum, set) and the decoder's text helpers.

// optionID reads an option id: a number, or a string of one (v1).
func optionID(v []byte) (int64, bool) {
	s, ok := text(v)
	if !ok {
		s = string(v)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// lookup labels id, refreshing the definitions once on the first miss.
func (d *Decoder) lookup(fd *field, id int64) (string, bool) {
	if l, ok := fd.labels[id]; ok {
		return l, true
	}
	if d.spec {
		d.specMiss = true
		return "", false
	}
	if !d.refreshed && d.opt.Refresh != nil {
		d.refreshed = true
		if fs, err := d.opt.Refresh(); err == nil {
			for _, f := range fs {
				if s, ok := d.slots[f.Key]; ok && s.part < 0 {
					s.f.setLabels(f.Options)
				}
			}
		}
		if l, ok := fd.labels[id]; ok {
			return l, true
		}
	}
	d.mu.Lock()
	if d.unknown[fd.f.Key] == nil {
		d.unknown[fd.f.Key] = map[int64]bool{}
	}
	d.unknown[fd.f.Key][id] = true
	d.mu.Unlock()
	return "", false
}

func (d *Decoder) label(fd *field, v []byte) {
	if isNull(v) {
		return
	}
	id, ok := optionID(v)
	if !ok {
		d.scalar(fd.col0, Text, v) // not an id: keep what came
		return
	}
	if d.opt.RawIDs {
		d.vals[fd.col0] = Value{Kind: Text, Text: strconv.FormatInt(id, 10)}
		return
	}
	l, ok := d.lookup(fd, id)
	if !ok {
		l = strconv.FormatInt(id, 10) // unknown option: keep the id
	}
	d.vals[fd.col0] = Value{Kind: Text, Text: l}
}

func (d *Decoder) labelList(fd *field, v []byte) {
	if isNull(v) {
		return
	}
	d.labelBuf = d.labelBuf[:0]
	ids := d.idBuf[:0]
	defer func() { d.idBuf = ids[:0] }()
	if s, ok := text(v); ok { // v1: "1,2"
		if strings.TrimSpace(s) == "" {
			return
		}
		for _, p := range strings.Split(s, ",") {
			ids = append(ids, []byte(strings.TrimSpace(p)))
		}
	} else if v[0] == '[' {
		for i := skipWS(v, 1); i < len(v) && v[i] != ']'; {
			end, ok := skipValue(v, i)
			if !ok {
				break
			}
			ids = append(ids, v[i:end])
			i = skipWS(v, end)
			if i < len(v) && v[i] == ',' {
				i = skipWS(v, i+1)
			}
		}
	} else {
		ids = append(ids, v)
	}
	b := &d.scratch
	b.Reset()
	b.WriteByte('[')
	for i, raw := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		id, ok := optionID(raw)
		switch {
		case !ok:
			s, isStr := text(raw)
			if !isStr {
				s = string(raw)
			}
			b.WriteString(strconv.Quote(s))
		case d.opt.RawIDs:
			b.Write(strconv.AppendInt(b.AvailableBuffer(), id, 10))
		default:
			l, known := d.lookup(fd, id)
			if !known {
				l = strconv.FormatInt(id, 10)
			}
			b.Write(appendString(b.AvailableBuffer(), l))
		}
	}
	b.WriteByte(']')
	d.vals[fd.col0] = Value{Kind: JSON, Text: d.keep(b.Bytes())}
}

func compact(v []byte) string {
	var b bytes.Buffer
	if err := jsonCompact(&b, v); err != nil {
		return string(v)
	}
	return b.String()
}

// text is text(v), with short escape-free strings interned: currencies,
// dates, user names repeat record after record.
func (d *Decoder) text(v []byte) (string, bool) {
	if d.borrow && len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 {
		return unsafeString(v[1 : len(v)-1]), true
	}
	if len(v) >= 2 && len(v) <= 34 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 {
		inner := v[1 : len(v)-1]
		if s, ok := d.interned[string(inner)]; ok {
			return s, true
		}
		s := string(inner)
		if len(d.interned) < 4096 {
			d.interned[s] = s
		}
		return s, true
	}
	if d.borrow && len(v) >= 2 && v[0] == '"' {
		// Escapes: unescaped into the record's arena, not a new string.
		start := len(d.arena)
		out, ok := appendUnescaped(d.arena, v[1:len(v)-1])
		if !ok {
			return "", false
		}
		d.arena = out
		return unsafeString(out[start:len(out):len(out)]), true
	}
	return text(v)
}

// unsafeString views b as a string without copying, for parsing only: the
// result must not outlive b unless cloned.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// isInt reports whether s is a JSON integer literal.
func isInt(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// keep returns b as a string that outlives the scratch buffer: a copy, or
// while AppendRecord borrows, a view of the record's arena (a grown arena
// leaves earlier views on the old array, which stays alive through them).
func (d *Decoder) keep(b []byte) string {
	if !d.borrow {
		return string(b)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafeString(d.arena[start:len(d.arena):len(d.arena)])
}
