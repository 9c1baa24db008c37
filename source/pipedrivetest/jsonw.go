package pipedrivetest

import (
	"strconv"
	"time"
)

// Append-style JSON building: responses are rendered straight into a byte
// buffer so serving never goes through encoding/json reflection.

const hexDigits = "0123456789abcdef"

func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// obj helps write one JSON object: it tracks the comma.
type obj struct {
	b     []byte
	first bool
}

func openObj(b []byte) obj { return obj{b: append(b, '{'), first: true} }

func (o *obj) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *obj) str(k, v string)       { o.key(k); o.b = appendStr(o.b, v) }
func (o *obj) int(k string, v int64) { o.key(k); o.b = strconv.AppendInt(o.b, v, 10) }
func (o *obj) intOrNull(k string, v int64) {
	o.key(k)
	if v == 0 {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = strconv.AppendInt(o.b, v, 10)
}
func (o *obj) num(k string, v float64) { o.key(k); o.b = appendFloat(o.b, v) }
func (o *obj) bool(k string, v bool)   { o.key(k); o.b = strconv.AppendBool(o.b, v) }
func (o *obj) null(k string)           { o.key(k); o.b = append(o.b, "null"...) }
func (o *obj) raw(k, v string)         { o.key(k); o.b = append(o.b, v...) }
func (o *obj) strOrNull(k, v string) {
	if v == "" {
		o.null(k)
		return
	}
	o.str(k, v)
}
func (o *obj) time(k string, t time.Time, layout string) {
	o.key(k)
	if t.IsZero() {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '"')
	o.b = t.UTC().AppendFormat(o.b, layout)
	o.b = append(o.b, '"')
}
func (o *obj) ints(k string, v []int64) {
	o.key(k)
	o.b = append(o.b, '[')
	for i, x := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = strconv.AppendInt(o.b, x, 10)
	}
	o.b = append(o.b, ']')
}
func (o *obj) close() []byte { return append(o.b, '}') }

func appendFloat(b []byte, v float64) []byte {
	if v == float64(int64(v)) {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// Time layouts Pipedrive uses.
const (
	layoutV2    = "2006-01-02T15:04:05Z"
	layoutV1    = "2006-01-02 15:04:05"
	layoutLead  = "2006-01-02T15:04:05.000Z"
	layoutDate  = "2006-01-02"
	layoutClock = "15:04:05"
)

// civil converts unix seconds to a UTC calendar date and clock (Howard
// Hinnant's days-to-civil), avoiding time.Format on the hot path.
func civil(sec int64) (y, m, d, hh, mm, ss int) {
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	hh, mm, ss = int(rem/3600), int(rem%3600/60), int(rem%60)
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d, hh, mm, ss
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func appendDate(b []byte, y, m, d int) []byte {
	b = append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// appendTS appends unix seconds in one of Pipedrive's layouts.
func appendTS(b []byte, sec int64, layout string) []byte {
	y, mo, d, h, mi, s := civil(sec)
	b = appendDate(b, y, mo, d)
	if layout == layoutDate {
		return b
	}
	if layout == layoutV1 {
		b = append(b, ' ')
	} else {
		b = append(b, 'T')
	}
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	switch layout {
	case layoutV2:
		b = append(b, 'Z')
	case layoutLead:
		b = append(b, ".000Z"...)
	}
	return b
}

// ts writes a quoted timestamp (unix seconds) in layout.
func (o *obj) ts(k string, sec int64, layout string) {
	o.key(k)
	o.b = append(o.b, '"')
	o.b = appendTS(o.b, sec, layout)
	o.b = append(o.b, '"')
}
