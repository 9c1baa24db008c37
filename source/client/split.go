package client

import (
	"bytes"
	"encoding/json"
	"errors"
)

var errNotList = errors.New(`"data" is not a list`)

// splitArray splits a JSON array into its elements, as sub-slices of data
// (no copy, no decode). null and an absent value give no elements.
func splitArray(data json.RawMessage) ([]json.RawMessage, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || string(data[i:min(i+4, len(data))]) == "null" {
		return nil, nil
	}
	if data[i] != '[' {
		return nil, errNotList
	}
	out, end, err := splitArrayAt(data, i)
	if err != nil {
		return nil, err
	}
	if skipSpace(data, end) != len(data) {
		return nil, errTruncated
	}
	return out, nil
}

// splitArrayAt splits the array starting at b[i] == '[' and returns its
// elements and the index just past it.
func splitArrayAt(b []byte, i int) ([]json.RawMessage, int, error) {
	var out []json.RawMessage
	i++
	i = skipSpace(b, i)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, nil
	}
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, 0, errTruncated
		}
		start := i
		end, err := skipValue(b, i)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, b[start:end:end])
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, 0, errTruncated
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return out, i + 1, nil
		default:
			return nil, 0, errTruncated
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at i. It
// relies on the input being valid JSON: it only tracks strings and nesting.
func skipValue(b []byte, i int) (int, error) {
	switch b[i] {
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				j, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = j - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errTruncated
	case '"':
		return skipString(b, i)
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', ']', '}', ' ', '\n', '\r', '\t':
				return i, nil
			}
			i++
		}
		return i, nil
	}
}

// skipString returns the index just past the string starting at b[i] == '"'.
// It jumps from quote to quote (bytes.IndexByte is vectorised) and counts
// the backslashes before each to tell an escaped quote from the closing one.
func skipString(b []byte, i int) (int, error) {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, errTruncated
		}
		j += i
		k := j - 1
		for k >= i && b[k] == '\\' {
			k--
		}
		if (j-1-k)%2 == 0 {
			return j + 1, nil
		}
		i = j + 1
	}
}
