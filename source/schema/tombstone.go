package schema

import (
	"encoding/json"
	"fmt"
)

// DeletedAt is the field of a tombstone: a record holding only the primary
// key and this RFC 3339 time says the record was purged by Pipedrive
// (delete reconciliation, issue 12 item 7).
const DeletedAt = "_pdx_deleted_at"

// WithDeletedAt declares DeletedAt in a stream's JSON schema, so a
// tombstone is a valid record of the stream (nullable: other records lack it).
func WithDeletedAt(js json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(m["properties"], &props); err != nil {
		return nil, fmt.Errorf("schema properties: %w", err)
	}
	props[DeletedAt] = json.RawMessage(`{"description":"Set only on a tombstone (the primary key and this field): when pdx found the record purged by Pipedrive","type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone"}`)
	b, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	m["properties"] = b
	return json.Marshal(m)
}
