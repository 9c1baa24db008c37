package airbyte

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// specJSON is the ConnectorSpecification. It lives in a file of its own so
// it reads as the JSON the platform sees; SpecMessage checks it parses.
//
//go:embed spec.json
var specJSON []byte

// SpecMessage returns the SPEC message.
func SpecMessage() (*Message, error) {
	var s Spec
	if err := json.Unmarshal(specJSON, &s); err != nil {
		return nil, fmt.Errorf("embedded spec.json: %w", err)
	}
	// Compact the embedded objects so the SPEC line is one line.
	for _, raw := range []*json.RawMessage{&s.ConnectionSpecification, &s.AdvancedAuth} {
		var b bytes.Buffer
		if err := json.Compact(&b, *raw); err != nil {
			return nil, fmt.Errorf("embedded spec.json: %w", err)
		}
		*raw = b.Bytes()
	}
	return &Message{Type: TypeSpec, Spec: &s}, nil
}
