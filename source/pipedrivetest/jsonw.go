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
