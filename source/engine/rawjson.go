package engine

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/source/internal/jsonscan"
)

// The engine reads only a record's cursor and id, so instead of decoding the
// record it walks the top-level keys of the (already validated) raw object
// and skips every value it does not need.

// topLevel returns the raw value of key in the JSON object rec, or nil.
func topLevel(rec []byte, key string) []byte { return jsonscan.Field(rec, key) }

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
