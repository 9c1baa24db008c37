// Package jsonscan walks raw JSON without decoding it: the client splits a
// page's "data" array into records with it, and the engine reads a record's
// cursor and id. Positions are byte indexes into the input; -1 means the
// input ends (or breaks) before the value does.
//
// It checks structure only: strings terminated, brackets balanced, nothing
// missing where a value or separator must be. That is what a truncated or
// reset body breaks. SkipValue is the one place a value is skipped, so
// grammar validation (issue 11: reject {"id":1,}) goes there: replace the
// depth count of its object/array case with a walk of members and elements
// (string, ':' and value; ',' or the closing bracket) and check literals and
// numbers in its default case. Every caller then validates what it skips.
package jsonscan

import (
	"bytes"
	"encoding/json"
)

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// SkipString returns the index just past the string starting at b[i] == '"',
// or -1. It jumps from quote to quote (bytes.IndexByte is vectorised) and
// counts the backslashes before each to tell an escaped quote from the
// closing one.
func SkipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		k := j - 1
		for k >= i && b[k] == '\\' {
			k--
		}
		if (j-1-k)%2 == 0 {
			return j + 1
		}
		i = j + 1
	}
}

// SkipValue returns the index just past the JSON value starting at b[i]
// (no leading whitespace), or -1. Objects and arrays are skipped by counting
// brackets outside strings; numbers and literals run to the next delimiter.
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				j := SkipString(b, i)
				if j < 0 {
					return -1
				}
				i = j - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	case '"':
		return SkipString(b, i)
	default: // number, true, false, null
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', ']', '}', ' ', '\n', '\r', '\t':
				return i
			}
		}
		return i
	}
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
