package state

// The state in the Airbyte protocol's form: what state.json holds, what
// `pdx state show` prints and `pdx read --state` takes.

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pdxhq/pdx/source/airbyte"
)

// Messages returns the state as the Airbyte array of STATE messages, streams
// sorted by name.
func (p *Profile) Messages() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.encodeState()
}

func (p *Profile) encodeState() []byte { return Encode(p.streams) }

// Encode returns stream states as the Airbyte array of STATE messages,
// streams sorted by name (the state file, and `pdx state show`).
func Encode(streams map[string]json.RawMessage) []byte {
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	// The protocol's state file is an array of AirbyteStateMessage (not
	// wrapped in AirbyteMessage), which is what the platform passes to read.
	msgs := make([]airbyte.StateMessage, 0, len(names))
	for _, n := range names {
		msgs = append(msgs, airbyte.StateMessage{
			Type:   "STREAM",
			Stream: &airbyte.StreamState{StreamDescriptor: airbyte.StreamDescriptor{Name: n}, StreamState: streams[n]},
		})
	}
	data, err := json.MarshalIndent(msgs, "", "  ")
	if err != nil {
		// Every stream_state came from json.RawMessage that was valid JSON.
		panic(fmt.Sprintf("encode state: %v", err))
	}
	return append(data, '\n')
}
