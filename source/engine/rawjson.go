package engine

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// The engine reads only a record's cursor and id, so instead of decoding the
// record it walks the top-level keys of the (already validated) raw object
// and skips every value it does not need.

// topLevel returns the raw value of key in the JSON object rec, or nil.
func topLevel(rec []byte, key string) []byte {
	i := skipWS(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return nil
	}
	i++
	for {
		i = skipWS(rec, i)
		if i >= len(rec) || rec[i] != '"' {
			return nil
		}
		kEnd := endOfString(rec, i)
		if kEnd < 0 {
			return nil
		}
		k := rec[i+1 : kEnd-1]
		i = skipWS(rec, kEnd)
		if i >= len(rec) || rec[i] != ':' {
			return nil
		}
		i = skipWS(rec, i+1)
		vEnd := endOfValue(rec, i)
		if vEnd < 0 {
			return nil
		}
		if string(k) == key {
			return rec[i:vEnd]
		}
		i = skipWS(rec, vEnd)
		if i >= len(rec) || rec[i] != ',' {
			return nil
		}
		i++
	}
}

// cursorTime reads a top-level timestamp field; ok is false when it is
// missing, null or unparseable.
func cursorTime(rec []byte, key string) (time.Time, bool) {
	v := topLevel(rec, key)
	if len(v) < 2 || v[0] != '"' {
		return time.Time{}, false
	}
	s := string(v[1 : len(v)-1])
	if bytesHasEscape(v) {
		if err := json.Unmarshal(v, &s); err != nil {
			return time.Time{}, false
		}
	}
	t, err := ParseTime(s)
	return t, err == nil
}

// intField reads a top-level integer field (ids).
func intField(rec []byte, key string) (int64, bool) {
	v := topLevel(rec, key)
	if len(v) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

func bytesHasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// endOfString returns the index past the string starting at b[i]=='"', or -1.
func endOfString(b []byte, i int) int {
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

// endOfValue returns the index past the value starting at i, or -1.
func endOfValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				j := endOfString(b, i)
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
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return i
			}
		}
		return i
	}
}
