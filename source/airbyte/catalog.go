package airbyte

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pdxhq/pdx/source/engine"
)

// ErrInvalidCatalog marks a configured catalog pdx cannot run.
var ErrInvalidCatalog = errors.New("invalid configured catalog")

// ErrInvalidState marks a state file pdx cannot read.
var ErrInvalidState = errors.New("invalid state")

// ConfiguredCatalog is ConfiguredAirbyteCatalog (the fields pdx reads).
type ConfiguredCatalog struct {
	Streams []ConfiguredStream `json:"streams"`

	// Unknown are the configured streams pdx does not have (the old
	// connector's goals, mail): left out of Streams, see ParseConfiguredCatalog.
	Unknown []string `json:"-"`
	// Notes say what was read differently from what was asked, for LOG lines.
	Notes []string `json:"-"`
}

// ConfiguredStream is ConfiguredAirbyteStream (the fields pdx reads).
type ConfiguredStream struct {
	Stream struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace,omitempty"`
	} `json:"stream"`
	SyncMode            engine.Mode `json:"sync_mode"`
	DestinationSyncMode string      `json:"destination_sync_mode"`
	CursorField         []string    `json:"cursor_field,omitempty"`
	PrimaryKey          [][]string  `json:"primary_key,omitempty"`
}

// StreamModes tells which sync modes a stream supports; ok is false for a
// stream pdx does not know.
type StreamModes func(name string) (modes []engine.Mode, ok bool)

// ParseConfiguredCatalog reads and checks a configured catalog: every stream
// named once, a known sync_mode and a destination_sync_mode, and at least
// one stream pdx knows. All problems are reported at once.
//
// Real clients send catalogs a strict source refuses, and the Python CDK
// serves them, so pdx does what the CDK does (airbyte_cdk abstract_source):
//   - a stream pdx does not know goes to Unknown (and is read as nothing:
//     the read gives it STREAM_STATUS INCOMPLETE and goes on);
//   - incremental asked of a stream that has no cursor (PyAirbyte's
//     select_all_streams asks it of every stream; the old connector's
//     catalogs ask it of field streams) is read as a full refresh, said in
//     Notes.
func ParseConfiguredCatalog(data []byte, modes StreamModes) (*ConfiguredCatalog, error) {
	var c ConfiguredCatalog
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%w: not a JSON catalog: %v", ErrInvalidCatalog, err)
	}
	if len(c.Streams) == 0 {
		return nil, fmt.Errorf("%w: no streams: select at least one stream", ErrInvalidCatalog)
	}
	var problems, unknown []string
	seen := map[string]bool{}
	for i, s := range c.Streams {
		name := s.Stream.Name
		if name == "" {
			problems = append(problems, fmt.Sprintf("streams[%d] has no stream.name", i))
			continue
		}
		if seen[name] {
			problems = append(problems, fmt.Sprintf("stream %q is configured twice", name))
		}
		seen[name] = true
		supported, ok := modes(name)
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		switch {
		case slices.Contains(supported, s.SyncMode):
		case s.SyncMode == engine.Incremental && slices.Contains(supported, engine.FullRefresh):
			c.Streams[i].SyncMode = engine.FullRefresh
			c.Notes = append(c.Notes, fmt.Sprintf("stream %q supports only full_refresh: reading it in full although incremental was asked", name))
		default:
			problems = append(problems, fmt.Sprintf("stream %q: sync_mode %q is not one of %s", name, s.SyncMode, strings.Join(modeNames(supported), ", ")))
		}
		switch s.DestinationSyncMode {
		case "append", "overwrite", "append_dedup", "overwrite_dedup", "update", "soft_delete":
		default:
			problems = append(problems, fmt.Sprintf("stream %q: destination_sync_mode %q is not valid", name, s.DestinationSyncMode))
		}
	}
	if len(unknown) == len(c.Streams) {
		// Nothing to read at all: say so rather than exit 0 with no data.
		problems = append(problems, fmt.Sprintf("no stream pdx knows: unknown stream(s) %s (run discover for the list)", quoted(unknown)))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidCatalog, strings.Join(problems, "; "))
	}
	known := c.Streams[:0]
	for _, s := range c.Streams {
		if !slices.Contains(unknown, s.Stream.Name) {
			known = append(known, s)
		}
	}
	c.Streams, c.Unknown = known, unknown
	return &c, nil
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Names lists the configured stream names in catalog order.
func (c *ConfiguredCatalog) Names() []string {
	out := make([]string, len(c.Streams))
	for i, s := range c.Streams {
		out[i] = s.Stream.Name
	}
	return out
}

// modeNames are the protocol's names of modes.
func modeNames(modes []engine.Mode) []string {
	out := make([]string, len(modes))
	for i, m := range modes {
		out[i] = string(m)
	}
	return out
}

// ParseState reads a state file into stream name -> stream_state. It
// accepts the protocol's array of STATE messages (STREAM, GLOBAL's
// stream_states, or LEGACY's data dict), a single STATE message, and the old
// connector's LEGACY dict {"deals": {"update_time": ...}, ...}. Empty input,
// null and [] mean no state. Streams whose state is null are left out.
func ParseState(data []byte) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return out, nil
	}
	switch data[0] {
	case '[':
		var msgs []json.RawMessage
		if err := json.Unmarshal(data, &msgs); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidState, err)
		}
		for i, m := range msgs {
			if err := addStateMessage(out, m); err != nil {
				return nil, fmt.Errorf("%w: state[%d]: %v", ErrInvalidState, i, err)
			}
		}
	case '{':
		var probe struct {
			Type any `json:"type"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidState, err)
		}
		if _, isMsg := probe.Type.(string); isMsg {
			if err := addStateMessage(out, data); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInvalidState, err)
			}
			break
		}
		if err := addLegacy(out, data); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidState, err)
		}
	default:
		return nil, fmt.Errorf("%w: expected a JSON array of state messages", ErrInvalidState)
	}
	return out, nil
}

func addStateMessage(out map[string]json.RawMessage, raw json.RawMessage) error {
	var m struct {
		Type   string          `json:"type"`
		Stream *StreamState    `json:"stream"`
		Data   json.RawMessage `json:"data"`
		Global *struct {
			StreamStates []StreamState `json:"stream_states"`
		} `json:"global"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	switch {
	case (m.Type == "STREAM" || m.Type == "") && m.Stream != nil:
		addStream(out, *m.Stream)
	case m.Type == "STREAM":
		// "stream": null carries no state (clients serialize empty fields
		// as null); nothing to resume from.
	case m.Type == "GLOBAL" && m.Global != nil:
		for _, s := range m.Global.StreamStates {
			addStream(out, s)
		}
	case m.Type == "LEGACY" || (m.Type == "" && len(m.Data) > 0):
		return addLegacy(out, m.Data)
	default:
		return fmt.Errorf("unsupported state message type %q", m.Type)
	}
	return nil
}

func addStream(out map[string]json.RawMessage, s StreamState) {
	if s.StreamDescriptor.Name == "" || isNull(s.StreamState) {
		return
	}
	out[s.StreamDescriptor.Name] = s.StreamState
}

func addLegacy(out map[string]json.RawMessage, data json.RawMessage) error {
	var dict map[string]json.RawMessage
	if err := json.Unmarshal(data, &dict); err != nil {
		return fmt.Errorf("legacy state: %v", err)
	}
	names := make([]string, 0, len(dict))
	for n := range dict {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		// A nameless stream is dropped, as addStream does (found by
		// FuzzParseState: {"": {}} came back as a stream called "").
		if n != "" && !isNull(dict[n]) {
			out[n] = dict[n]
		}
	}
	return nil
}

func isNull(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}
