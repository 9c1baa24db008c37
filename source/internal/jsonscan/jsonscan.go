// Package jsonscan walks raw JSON without decoding it: the client splits a
// page's "data" array into records with it, and the engine reads a record's
// cursor and id. Positions are byte indexes into the input; -1 means the
// input ends, or breaks the grammar, before the value does.
//
// It validates as it skips (SkipValue is the one place a value is skipped):
// members and elements with their separators, string escapes and control
// characters, numbers and literals, as RFC 8259 has them. A record split
// from a page is therefore valid JSON: {"id":1,} or {"id":tru} makes the
// page invalid (retried like a truncated body) instead of reaching an
// output file or the Airbyte stream. Invalid UTF-8 is not checked, as
// encoding/json does not reject it either. Nesting deeper than MaxDepth is
// refused, so a hostile body cannot exhaust the stack.
package jsonscan

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
)

// MaxDepth bounds the nesting of objects and arrays (encoding/json's own
// bound).
const MaxDepth = 10000

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// plain marks the bytes a string may hold as they are: not the quote, not a
// backslash, not a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

var hex = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF" {
		t[c] = true
	}
	return t
}()

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special marks the high bit of each of the 8 bytes in x (little endian)
// that is a quote, a backslash or a control character, and maybe of bytes
// after the first one marked (SWAR: a byte of x-k*ones borrows into its
// high bit when it was below k, and the borrow may carry on upwards). The
// lowest mark is therefore exact.
func special(x uint64) uint64 {
	q, bs := x^('"'*ones), x^('\\'*ones)
	return ((q-ones)&^q | (bs-ones)&^bs | (x-0x20*ones)&^x) & highs
}

// SkipString returns the index just past the string starting at b[i] == '"',
// or -1 (unterminated, an unknown escape, a raw control character). Plain
// bytes are stepped over eight at a time (one word test each; the lowest
// mark is the byte that stops the run), the last few by a table lookup.
func SkipString(b []byte, i int) int {
	i++
	for {
		for i+8 <= len(b) {
			if m := special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				goto found
			}
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
	found:
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !hex[b[i+2]] || !hex[b[i+3]] || !hex[b[i+4]] || !hex[b[i+5]] {
					return -1
				}
				i += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
}

// SkipValue returns the index just past the JSON value starting at b[i]
// (no leading whitespace), or -1 when it is incomplete or invalid. What
// follows the value is the caller's to check.
func SkipValue(b []byte, i int) int { return skipValue(b, i, 0) }

func skipValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '{':
		if depth >= MaxDepth {
			return -1
		}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return -1
			}
			if i = SkipString(b, i); i < 0 {
				return -1
			}
			i = SkipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return -1
			}
			if i = skipValue(b, SkipSpace(b, i+1), depth+1); i < 0 {
				return -1
			}
			i = SkipSpace(b, i)
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case '}':
				return i + 1
			case ',':
				i = SkipSpace(b, i+1)
			default:
				return -1
			}
		}
	case '[':
		if depth >= MaxDepth {
			return -1
		}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1
		}
		for {
			if i = skipValue(b, i, depth+1); i < 0 {
				return -1
			}
			i = SkipSpace(b, i)
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case ']':
				return i + 1
			case ',':
				i = SkipSpace(b, i+1)
			default:
				return -1
			}
		}
	case '"':
		return SkipString(b, i)
	case 't':
		return literal(b, i, "true")
	case 'f':
		return literal(b, i, "false")
	case 'n':
		return literal(b, i, "null")
	default:
		return skipNumber(b, i)
	}
}

func literal(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipNumber: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// SplitArray splits the array starting at b[i] == '[' into its elements, as
// sub-slices of b (no copy, no decode; capacity clipped so appending to one
// cannot overwrite the next), and returns the index just past it; end is -1
// when the array is incomplete.
func SplitArray(b []byte, i int) (elems []json.RawMessage, end int) {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return elems, i + 1
	}
	for {
		i = SkipSpace(b, i)
		start := i
		end := SkipValue(b, i)
		if end < 0 {
			return nil, -1
		}
		elems = append(elems, b[start:end:end])
		i = SkipSpace(b, end)
		if i >= len(b) {
			return nil, -1
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return elems, i + 1
		default:
			return nil, -1
		}
	}
}

// Field returns the raw value of key among the top-level members of the
// object obj, or nil when it is absent or obj is not a complete object up
// to it. Keys are compared as written (no unescaping).
func Field(obj []byte, key string) []byte {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	i++
	for {
		i = SkipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return nil
		}
		kEnd := SkipString(obj, i)
		if kEnd < 0 {
			return nil
		}
		k := obj[i+1 : kEnd-1]
		i = SkipSpace(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return nil
		}
		i = SkipSpace(obj, i+1)
		vEnd := SkipValue(obj, i)
		if vEnd < 0 {
			return nil
		}
		if string(k) == key {
			return obj[i:vEnd]
		}
		i = SkipSpace(obj, vEnd)
		if i >= len(obj) || obj[i] != ',' {
			return nil
		}
		i++
	}
}
