// Package airbyte speaks the Airbyte source protocol (v0): the message types
// pdx emits and reads, a serialized line writer, an engine.Sink that turns
// engine events into protocol messages, the connector config (with migration
// of the old connector's shapes), the spec, the configured catalog and the
// state file. It never prints anywhere but the io.Writer it is given.
//
// Commands (RunSpec here; check, discover and read as the steps of a
// Command, which the app package runs after reading the files):
//   - check: a bad token, config or unreachable API is CONNECTION_STATUS
//     FAILED with exit 0; only a pdx bug is a TRACE ERROR with exit 1.
//   - discover/read: an invalid config, catalog or state file is a TRACE
//     ERROR config_error and exit 1, before any request.
//   - read exits 0 only when every configured stream is COMPLETE; 3 when the
//     company's daily API budget ran out (streams INCOMPLETE with
//     transient_error traces, every STATE already emitted is a good resume
//     point); 1 for any other incomplete stream.
//   - A config in an old shape, or rotated OAuth tokens, go out as a CONTROL
//     CONNECTOR_CONFIG message with the complete new config.
package airbyte

import (
	"encoding/json"
	"strconv"
)

// Message types (AirbyteMessage.type).
const (
	TypeRecord           = "RECORD"
	TypeState            = "STATE"
	TypeLog              = "LOG"
	TypeSpec             = "SPEC"
	TypeConnectionStatus = "CONNECTION_STATUS"
	TypeCatalog          = "CATALOG"
	TypeTrace            = "TRACE"
	TypeControl          = "CONTROL"
)

// Message is one AirbyteMessage. Only the fields pdx emits or reads are
// declared; every optional field is omitted when empty, never null.
type Message struct {
	Type             string            `json:"type"`
	Log              *LogMessage       `json:"log,omitempty"`
	Spec             *Spec             `json:"spec,omitempty"`
	ConnectionStatus *ConnectionStatus `json:"connectionStatus,omitempty"`
	Catalog          *Catalog          `json:"catalog,omitempty"`
	Record           *RecordMessage    `json:"record,omitempty"`
	State            *StateMessage     `json:"state,omitempty"`
	Trace            *TraceMessage     `json:"trace,omitempty"`
	Control          *ControlMessage   `json:"control,omitempty"`
}

// LogMessage is AirbyteLogMessage.
type LogMessage struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}

// ConnectionStatus is AirbyteConnectionStatus.
type ConnectionStatus struct {
	Status  string `json:"status"` // SUCCEEDED | FAILED
	Message string `json:"message,omitempty"`
}

// RecordMessage is AirbyteRecordMessage. Data is the record exactly as the
// API returned it.
type RecordMessage struct {
	Stream    string          `json:"stream"`
	Data      json.RawMessage `json:"data"`
	EmittedAt int64           `json:"emitted_at"` // epoch milliseconds
}

// StreamDescriptor names a stream (pdx uses no namespaces).
type StreamDescriptor struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// StateMessage is AirbyteStateMessage; pdx emits only type STREAM.
type StateMessage struct {
	Type        string          `json:"type,omitempty"` // STREAM (LEGACY/GLOBAL are read, never written)
	Stream      *StreamState    `json:"stream,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"` // LEGACY state, read only
	SourceStats *StateStats     `json:"sourceStats,omitempty"`
}

// StreamState is AirbyteStreamState.
type StreamState struct {
	StreamDescriptor StreamDescriptor `json:"stream_descriptor"`
	StreamState      json.RawMessage  `json:"stream_state,omitempty"`
}

// StateStats is AirbyteStateStats.
type StateStats struct {
	RecordCount Count `json:"recordCount"`
}

// Count is a record count written as a JSON number with a decimal point
// (500.0), which is how the platform's own connectors write recordCount and
// what CAT compares against.
type Count int64

// MarshalJSON writes c as "N.0".
func (c Count) MarshalJSON() ([]byte, error) {
	return append(strconv.AppendInt(nil, int64(c), 10), ".0"...), nil
}

// TraceMessage is AirbyteTraceMessage.
type TraceMessage struct {
	Type         string             `json:"type"`       // ERROR | STREAM_STATUS
	EmittedAt    float64            `json:"emitted_at"` // epoch milliseconds
	Error        *ErrorTrace        `json:"error,omitempty"`
	StreamStatus *StreamStatusTrace `json:"stream_status,omitempty"`
}

// Failure types of an ErrorTrace.
const (
	FailureConfig    = "config_error"
	FailureSystem    = "system_error"
	FailureTransient = "transient_error"
)

// ErrorTrace is AirbyteErrorTraceMessage.
type ErrorTrace struct {
	Message          string            `json:"message"`
	InternalMessage  string            `json:"internal_message,omitempty"`
	FailureType      string            `json:"failure_type,omitempty"`
	StreamDescriptor *StreamDescriptor `json:"stream_descriptor,omitempty"`
}

// Stream statuses.
const (
	StatusStarted    = "STARTED"
	StatusRunning    = "RUNNING"
	StatusComplete   = "COMPLETE"
	StatusIncomplete = "INCOMPLETE"
)

// StreamStatusTrace is AirbyteStreamStatusTraceMessage.
type StreamStatusTrace struct {
	StreamDescriptor StreamDescriptor `json:"stream_descriptor"`
	Status           string           `json:"status"`
}

// ControlMessage is AirbyteControlMessage (type CONNECTOR_CONFIG only).
type ControlMessage struct {
	Type            string                  `json:"type"`
	EmittedAt       float64                 `json:"emitted_at"`
	ConnectorConfig *ControlConnectorConfig `json:"connectorConfig,omitempty"`
}

// ControlConnectorConfig carries the complete new connector config.
type ControlConnectorConfig struct {
	Config json.RawMessage `json:"config"`
}

// Catalog is AirbyteCatalog.
type Catalog struct {
	Streams []Stream `json:"streams"`
}

// Stream is AirbyteStream.
type Stream struct {
	Name                    string          `json:"name"`
	JSONSchema              json.RawMessage `json:"json_schema"`
	SupportedSyncModes      []string        `json:"supported_sync_modes"`
	SourceDefinedCursor     bool            `json:"source_defined_cursor,omitempty"`
	DefaultCursorField      []string        `json:"default_cursor_field,omitempty"`
	SourceDefinedPrimaryKey [][]string      `json:"source_defined_primary_key,omitempty"`
	IsResumable             bool            `json:"is_resumable,omitempty"`
}

// Spec is ConnectorSpecification.
type Spec struct {
	DocumentationURL        string          `json:"documentationUrl,omitempty"`
	ConnectionSpecification json.RawMessage `json:"connectionSpecification"`
	SupportsIncremental     bool            `json:"supportsIncremental,omitempty"`
	AdvancedAuth            json.RawMessage `json:"advanced_auth,omitempty"`
}
