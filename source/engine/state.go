package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pdxhq/pdx/source/streams"
)

// cursorLayouts are the timestamp shapes Pipedrive and the old Airbyte
// connector's states use: v2 RFC 3339, v1 "YYYY-MM-DD HH:MM:SS" (UTC, no
// zone), leads with milliseconds, offsets, and bare dates.
var cursorLayouts = []string{
	time.RFC3339Nano, // also accepts whole seconds and offsets
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// ParseTime parses any timestamp shape pdx meets; zone-less values are UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) == 19 && s[10] == ' ' { // v1's shape, tried first on v1 records
		if t, err := time.Parse(time.DateTime, s); err == nil {
			return t, nil
		}
	}
	for _, l := range cursorLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q", s)
}

// FormatState renders a cursor the way states are written: RFC 3339, UTC,
// whole seconds (the form updated_since accepts). Fractions are truncated,
// which only moves the resume point earlier (updated_since is inclusive).
func FormatState(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// stateKey is the key of a stream's state object: its cursor field.
func stateKey(st streams.Stream) string {
	if st.Cursor != "" {
		return st.Cursor
	}
	return "update_time"
}

// parseState reads a stream_state. It accepts the stream's own key, and for
// compatibility any of update_time/modified (the old connector's keys). An
// empty, null or {} state means "from the beginning".
func parseState(st streams.Stream, raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return time.Time{}, fmt.Errorf("state is not a JSON object: %w", err)
	}
	for _, k := range []string{stateKey(st), "update_time", "modified"} {
		v, ok := m[k]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return time.Time{}, fmt.Errorf("state %q is not a timestamp string", k)
		}
		if s == "" {
			return time.Time{}, nil
		}
		t, err := ParseTime(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("state %q: %w", k, err)
		}
		return t, nil
	}
	return time.Time{}, nil
}

// encodeState builds the stream_state object; a zero cursor gives {}.
func encodeState(st streams.Stream, cursor time.Time) json.RawMessage {
	if cursor.IsZero() {
		return json.RawMessage(`{}`)
	}
	b, _ := json.Marshal(map[string]string{stateKey(st): FormatState(cursor)})
	return b
}

// tailState is a TailWatermark stream's state: where the last read ended.
// Offset records were listed, the last of them (at position Offset-1) has
// id LastID. {} (or Offset 0) means from the beginning.
type tailState struct {
	Offset int64  `json:"offset"`
	LastID string `json:"last_id,omitempty"`
}

// parseTailState reads a TailWatermark stream_state; a state without a
// usable watermark (an older {} or {"update_time":...}, no last_id) means
// from the beginning: the read is whole, never a guess.
func parseTailState(raw json.RawMessage) (tailState, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return tailState{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return tailState{}, fmt.Errorf("state is not a JSON object: %w", err)
	}
	var t tailState
	if v, ok := m["offset"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &t.Offset); err != nil || t.Offset < 0 {
			return tailState{}, fmt.Errorf("state \"offset\" is not a count of records: %s", v)
		}
	}
	if v, ok := m["last_id"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &t.LastID); err != nil {
			return tailState{}, fmt.Errorf("state \"last_id\" is not a string: %s", v)
		}
	}
	if t.LastID == "" {
		t.Offset = 0
	}
	return t, nil
}

// encode renders the state; the zero watermark gives {}.
func (t tailState) encode() json.RawMessage {
	if t.Offset <= 0 || t.LastID == "" {
		return json.RawMessage(`{}`)
	}
	b, _ := json.Marshal(t)
	return b
}

// sweepState is when an archived list was last swept whole (At, this
// machine's clock: it schedules the next sweep) and the API time From
// which the next sweep must emit archived records (see archivedScan in
// source/streams). Both zero: never swept (or an older state). TailStart
// is, for a SortedTail list, the offset where the next incremental read
// starts looking (the record before the newest update second); 0: from
// the start.
type sweepState struct {
	At, From  time.Time
	TailStart int64
}

// parseSweepState reads the sweep keys of an archived stream's state.
func parseSweepState(raw json.RawMessage) (sweepState, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return sweepState{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return sweepState{}, fmt.Errorf("state is not a JSON object: %w", err)
	}
	var out sweepState
	for k, dst := range map[string]*time.Time{"swept_at": &out.At, "sweep_from": &out.From} {
		v, ok := m[k]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return sweepState{}, fmt.Errorf("state %q is not a timestamp string", k)
		}
		if s == "" {
			continue
		}
		t, err := ParseTime(s)
		if err != nil {
			return sweepState{}, fmt.Errorf("state %q: %w", k, err)
		}
		*dst = t
	}
	if v, ok := m["tail_start"]; ok && v != nil {
		n, ok := v.(float64)
		if !ok || n < 0 || n != float64(int64(n)) || n > 1<<53 {
			return sweepState{}, fmt.Errorf("state \"tail_start\" is not an offset: %v", v)
		}
		out.TailStart = int64(n)
	}
	return out, nil
}

// encodeArchivedState is encodeState plus the sweep keys (when known).
func encodeArchivedState(st streams.Stream, cursor time.Time, sw sweepState) json.RawMessage {
	if sw.At.IsZero() && sw.TailStart == 0 {
		return encodeState(st, cursor)
	}
	m := map[string]any{}
	if !sw.At.IsZero() {
		m["swept_at"] = FormatState(sw.At)
	}
	if !sw.From.IsZero() {
		m["sweep_from"] = FormatState(sw.From)
	}
	if sw.TailStart > 0 {
		m["tail_start"] = sw.TailStart
	}
	if !cursor.IsZero() {
		m[stateKey(st)] = FormatState(cursor)
	}
	b, _ := json.Marshal(m)
	return b
}
