package readable

import (
	"bytes"
	"errors"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pdxhq/pdx/source/internal/jsonscan"
)

// Why a scanner: a readable run decodes every record, and encoding/json's
// Unmarshal into a map allocates a string and a RawMessage per key. The
// decoder only needs the members of one object (the record's top level, or
// its custom_fields) as byte ranges, so it walks them here, skipping
// values with source/internal/jsonscan. Records come from the API client, which has
// checked that they are valid JSON; a malformed one is an error, not a
// guess.

var errSyntax = errors.New("record is not a JSON object")

// members calls fn with each member of the JSON object b: its key (the raw
// bytes between the quotes, escapes undecoded) and its value's bytes.
func members(b []byte, fn func(key, val []byte)) error {
	end, err := walk(b, skipWS(b, 0), func(key []byte, vs int) int {
		ve, ok := skipValue(b, vs)
		if !ok {
			return -1
		}
		fn(key, b[vs:ve])
		return ve
	})
	if err == nil && skipWS(b, end) != len(b) {
		err = errSyntax
	}
	return err
}

// walk reads the object starting at b[i]: for each member it calls fn with
// the key and the index where the value starts; fn returns the index after
// the value (-1: malformed). It returns the index after the object. Why
// not members: the decoder reads custom_fields while the top-level walk
// passes it, instead of skipping it and then reading it again.
func walk(b []byte, i int, fn func(key []byte, vs int) int) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return 0, errSyntax
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errSyntax
		}
		end, ok := skipString(b, i)
		if !ok {
			return 0, errSyntax
		}
		key := b[i+1 : end-1]
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, errSyntax
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return 0, errSyntax
		}
		vend := fn(key, i)
		if vend < 0 {
			return 0, errSyntax
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return 0, errSyntax
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, errSyntax
		}
		i = skipWS(b, i+1)
	}
}

// The primitives are jsonscan's (the client's page split uses them too).

func skipWS(b []byte, i int) int { return jsonscan.SkipSpace(b, i) }

func skipString(b []byte, i int) (int, bool) {
	j := jsonscan.SkipString(b, i)
	return j, j >= 0
}

func skipValue(b []byte, i int) (int, bool) {
	j := jsonscan.SkipValue(b, i)
	return j, j > i
}

// text is the Go string of a JSON string value (ok false for a non-string).
func text(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	return unescape(inner)
}

// unescape decodes a JSON string's escapes (inner: between the quotes).
func unescape(inner []byte) (string, bool) {
	out := make([]byte, 0, len(inner))
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(inner) {
			return "", false
		}
		switch inner[i] {
		case '"', '\\', '/':
			out = append(out, inner[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(inner, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(inner, i+3); ok && i+2 < len(inner) && inner[i+1] == '\\' && inner[i+2] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return string(out), true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func isNull(v []byte) bool { return len(v) == 0 || (len(v) == 4 && string(v) == "null") }

// lastMember returns where the value of rec's last top-level member
// starts, when that member is key and its value an object; ok false
// otherwise (the caller walks the record from the start). Pipedrive's v2
// records end with custom_fields: reading back from the end finds it
// without walking the forty-odd members before it. Going backwards is
// exact for valid JSON: outside strings every quote closes a string whose
// opening quote is the previous one not escaped (preceded by an even run
// of backslashes), and the member before the record's closing brace is a
// top-level one.
func lastMember(rec []byte, key string) (start int, ok bool) {
	e := len(rec) - 1
	for e >= 0 && isSpace(rec[e]) {
		e--
	}
	if e < 1 || rec[e] != '}' {
		return 0, false
	}
	j := e - 1
	for j >= 0 && isSpace(rec[j]) {
		j--
	}
	if j < 0 || rec[j] != '}' {
		return 0, false
	}
	depth := 0
	k := j
	for ; k >= 0; k-- {
		switch rec[k] {
		case '"':
			q := k
			for {
				q = bytes.LastIndexByte(rec[:q], '"')
				if q < 0 {
					return 0, false
				}
				n := 0
				for p := q - 1; p >= 0 && rec[p] == '\\'; p-- {
					n++
				}
				if n%2 == 0 {
					break
				}
			}
			k = q
			continue
		case '}', ']':
			depth++
			continue
		case '{', '[':
			depth--
			if depth > 0 {
				continue
			}
		default:
			continue
		}
		break
	}
	if k < 0 || rec[k] != '{' {
		return 0, false
	}
	p := k - 1
	for p >= 0 && isSpace(rec[p]) {
		p--
	}
	if p < 0 || rec[p] != ':' {
		return 0, false
	}
	p--
	for p >= 0 && isSpace(rec[p]) {
		p--
	}
	q := p - len(key) - 1
	if q < 0 || rec[p] != '"' || rec[q] != '"' || string(rec[q+1:p]) != key {
		return 0, false
	}
	q--
	for q >= 0 && isSpace(rec[q]) {
		q--
	}
	if q < 0 || (rec[q] != ',' && !(rec[q] == '{' && q == skipWS(rec, 0))) {
		return 0, false
	}
	return k, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }
