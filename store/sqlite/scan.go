package sqlite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unsafe"
)

// Records are scanned, not decoded: one pass over the top-level members of
// the raw object, each value sliced out as bytes and converted straight to
// the column's value. Decoding every record into a map would cost more than
// the database does.

var errBadJSON = errors.New("record is not a valid JSON object")

// members calls fn with the raw key (without quotes, escapes left as they
// are) and raw value of every member of the JSON object obj.
func members(obj []byte, fn func(key, val []byte) error) error {
	i := ws(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errBadJSON
	}
	i = ws(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return fmt.Errorf("%w: unexpected byte at offset %d", errBadJSON, i)
		}
		kEnd := strEnd(obj, i)
		if kEnd < 0 {
			return fmt.Errorf("%w: unterminated key", errBadJSON)
		}
		key := obj[i+1 : kEnd-1]
		i = ws(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return fmt.Errorf("%w: unexpected byte at offset %d", errBadJSON, i)
		}
		i = ws(obj, i+1)
		vEnd := valEnd(obj, i)
		if vEnd < 0 {
			return fmt.Errorf("%w: bad value at offset %d", errBadJSON, i)
		}
		if err := fn(key, obj[i:vEnd]); err != nil {
			return err
		}
		i = ws(obj, vEnd)
		if i < len(obj) && obj[i] == '}' {
			return nil
		}
		if i >= len(obj) || obj[i] != ',' {
			return fmt.Errorf("%w: unexpected byte at offset %d", errBadJSON, i)
		}
		i = ws(obj, i+1)
	}
}

func ws(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// strEnd returns the index just past the string that starts at b[i], or -1.
func strEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1
		case '\\':
			j++ // skip the escaped character
		}
	}
	return -1
}

// valEnd returns the index just past the value that starts at b[i], or -1.
func valEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return strEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := strEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// str views b as a string without copying. The driver copies every bound
// string into SQLite's memory, and b (a page from the engine) outlives the
// statement, so no bytes are shared past it.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// keyString is a member key as a Go string (escapes resolved, which API
// keys never have).
func keyString(k []byte) string {
	if bytes.IndexByte(k, '\\') < 0 {
		return string(k)
	}
	var s string
	if err := json.Unmarshal(append(append([]byte{'"'}, k...), '"'), &s); err != nil {
		return string(k)
	}
	return s
}

// text is a JSON string's content (quotes removed, escapes resolved).
func text(v []byte) (string, error) {
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return str(inner), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return s, nil
}

func isNumber(v []byte) bool { return v[0] == '-' || v[0] >= '0' && v[0] <= '9' }

// value converts the raw JSON value v to what column c stores.
func value(c *Column, v []byte) (any, error) {
	if v[0] == 'n' { // null
		return nil, nil
	}
	if c.Decode != nil {
		return c.Decode(v)
	}
	switch c.Type {
	case Integer:
		if isNumber(v) {
			if n, err := strconv.ParseInt(str(v), 10, 64); err == nil {
				return n, nil
			}
			if f, err := strconv.ParseFloat(str(v), 64); err == nil {
				return f, nil
			}
		}
	case Real:
		if isNumber(v) {
			if f, err := strconv.ParseFloat(str(v), 64); err == nil {
				return f, nil
			}
		}
	case Boolean:
		switch v[0] {
		case 't':
			return int64(1), nil
		case 'f':
			return int64(0), nil
		}
	case JSON:
		return str(v), nil
	}
	// Text, or a value not of the declared type: SQLite keeps what it is
	// given (a string as text, anything else as its JSON text).
	if v[0] == '"' {
		return text(v)
	}
	return str(v), nil
}
