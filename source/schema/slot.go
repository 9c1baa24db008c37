package schema

import "encoding/json"

// HasCustomSlot reports whether records of a stream with schema js carry
// custom fields: v2 records only where the spec declares custom_fields
// (activities and deal products do not); v1 records (leads) at the top level.
func HasCustomSlot(js json.RawMessage, version int) bool {
	if version != 2 {
		return true
	}
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	return json.Unmarshal(js, &s) == nil && s.Properties["custom_fields"] != nil
}
