package engine

import "encoding/json"

// KeyOf returns the raw JSON of a record's top-level field (its primary
// key: 42 or "uuid"), without decoding the record; ok is false when the
// field is missing or null. Delete reconciliation keeps these per stream.
func KeyOf(rec json.RawMessage, field string) ([]byte, bool) {
	v := topLevel(rec, field)
	if len(v) == 0 || string(v) == "null" {
		return nil, false
	}
	return v, true
}
