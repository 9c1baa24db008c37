package client

import (
	"encoding/json"
	"errors"
)

// splitArray splits a JSON array that encoding/json has already validated
// into its elements, as sub-slices of data (no copy, no decode). null and an
// absent value give no elements.
func splitArray(data json.RawMessage) ([]json.RawMessage, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || string(data[i:min(i+4, len(data))]) == "null" {
		return nil, nil
	}
	if data[i] != '[' {
		return nil, errors.New(`"data" is not a list`)
	}
	var out []json.RawMessage
	i++
	for {
		i = skipSpace(data, i)
		if i >= len(data) {
			return nil, errTruncated
		}
		if data[i] == ']' {
			return out, nil
		}
		start := i
		end, err := skipValue(data, i)
		if err != nil {
			return nil, err
		}
		out = append(out, data[start:end:end])
		i = skipSpace(data, end)
		if i >= len(data) {
			return nil, errTruncated
		}
		switch data[i] {
		case ',':
			i++
		case ']':
			return out, nil
		default:
			return nil, errTruncated
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
func skipString(b []byte, i int) (int, error) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errTruncated
}
