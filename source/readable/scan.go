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
	out, ok := appendUnescaped(make([]byte, 0, len(inner)), inner)
	if !ok {
		return "", false
	}
	return string(out), true
}

// appendUnescaped appends inner with its escapes decoded to out.
func appendUnescaped(out, inner []byte) ([]byte, bool) {
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(inner) {
			return out, false
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
				return out, false
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
			return out, false
		}
	}
	return out, true
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

// Finding custom_fields fast (Decoder.decodeFound): the object values of a
// record's top-level members named key are found by searching for the key
// instead of walking the forty-odd members before it (when the search
// cannot tell, the record is walked from the start). The result is what
// the walk finds, for valid JSON:
//
//   - `key"` preceded by a quote with an even run of backslashes before it
//     is a string token (both quotes are unescaped, and between a closing
//     and an opening quote there is no text in JSON), and followed by ':'
//     it is a key, at some depth;
//   - the first such key is the record's first member named key at any
//     depth; it is a top-level one exactly when its value and the members
//     after it, read on, close one object and the record ends there;
//   - those members are read on (skipped, validated), so a repeated key
//     after the first is found too.
//
// The members before the key are not read: records come from the API
// client, whose page split has validated them.

// restOfObject reads rec on from i, just after the value of a member: ok
// when the members that follow close one object and rec ends there (the
// member is a top-level one); it appends to dst where the object values of
// the members named key among them start.
func restOfObject(rec []byte, i int, key string, dst []int) ([]int, bool) {
	for i = skipWS(rec, i); ; {
		if i >= len(rec) {
			return dst, false
		}
		if rec[i] == '}' {
			return dst, skipWS(rec, i+1) == len(rec)
		}
		if rec[i] != ',' {
			return dst, false
		}
		i = skipWS(rec, i+1)
		if i >= len(rec) || rec[i] != '"' {
			return dst, false
		}
		ke, ok := skipString(rec, i)
		if !ok {
			return dst, false
		}
		k := rec[i+1 : ke-1]
		i = skipWS(rec, ke)
		if i >= len(rec) || rec[i] != ':' {
			return dst, false
		}
		i = skipWS(rec, i+1)
		ve, ok := skipValue(rec, i)
		if !ok {
			return dst, false
		}
		if string(k) == key && rec[i] == '{' {
			dst = append(dst, i)
		}
		i = skipWS(rec, ve)
	}
}

// firstKey returns where the value of the first member named key (at any
// depth) starts. found false: no such member, with vs -1 when there is
// none (every occurrence of key's text is part of another string), -2 when
// the input ends after the key.
func firstKey(rec []byte, key string) (vs int, found bool) {
	k := []byte(key)
	for from := 0; ; {
		i := bytes.Index(rec[from:], k)
		if i < 0 {
			return -1, false
		}
		i += from
		from = i + 1
		q, e := i-1, i+len(key)
		if q < 0 || rec[q] != '"' || e >= len(rec) || rec[e] != '"' {
			continue // part of another string
		}
		n := 0
		for p := q - 1; p >= 0 && rec[p] == '\\'; p-- {
			n++
		}
		if n%2 == 1 {
			continue // inside another string: `\"key"`
		}
		j := skipWS(rec, e+1)
		if j >= len(rec) || rec[j] != ':' {
			continue // a string value, not a key
		}
		j = skipWS(rec, j+1)
		if j >= len(rec) {
			return -2, false
		}
		return j, true
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }
