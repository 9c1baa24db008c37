// Package airbytetest checks connector output the way the Airbyte platform
// and its Connector Acceptance Tests do: every stdout line must validate as
// an AirbyteMessage against the published protocol schema, and a read must
// follow CAT's rules (statuses, states, recordCount, records matching their
// stream's schema, nothing for unconfigured streams).
package airbytetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pdxhq/pdx/source/sharedref"
)

// ProtocolFile is the protocol schema inside the shared folder.
const ProtocolFile = "reference/airbyte-protocol/airbyte_protocol.json"

var (
	protoOnce sync.Once
	protoSch  *jsonschema.Schema
	protoErr  error
)

// Validator validates protocol messages.
type Validator struct{ msg *jsonschema.Schema }

// NewValidator loads the protocol schema (skipping the test when the
// shared folder is absent).
func NewValidator(t testing.TB) *Validator {
	t.Helper()
	sharedref.Require(t, ProtocolFile)
	protoOnce.Do(func() {
		data, err := sharedref.Read(ProtocolFile)
		if err != nil {
			protoErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			protoErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if protoErr = c.AddResource("airbyte_protocol.json", doc); protoErr != nil {
			return
		}
		protoSch, protoErr = c.Compile("airbyte_protocol.json#/definitions/AirbyteMessage")
	})
	if protoErr != nil {
		t.Fatalf("load the Airbyte protocol schema: %v", protoErr)
	}
	return &Validator{msg: protoSch}
}

// Msg is one decoded stdout line.
type Msg struct {
	Line string // the raw line
	Type string
	Rec  *struct {
		Stream    string          `json:"stream"`
		Data      json.RawMessage `json:"data"`
		EmittedAt json.Number     `json:"emitted_at"`
	} `json:"record"`
	State *struct {
		Type   string `json:"type"`
		Stream *struct {
			StreamDescriptor struct {
				Name string `json:"name"`
			} `json:"stream_descriptor"`
			StreamState json.RawMessage `json:"stream_state"`
		} `json:"stream"`
		SourceStats *struct {
			RecordCount json.Number `json:"recordCount"`
		} `json:"sourceStats"`
	} `json:"state"`
	Trace *struct {
		Type         string      `json:"type"`
		EmittedAt    json.Number `json:"emitted_at"`
		StreamStatus *struct {
			StreamDescriptor struct {
				Name string `json:"name"`
			} `json:"stream_descriptor"`
			Status string `json:"status"`
		} `json:"stream_status"`
		Error *struct {
			Message          string `json:"message"`
			InternalMessage  string `json:"internal_message"`
			FailureType      string `json:"failure_type"`
			StreamDescriptor *struct {
				Name string `json:"name"`
			} `json:"stream_descriptor"`
		} `json:"error"`
	} `json:"trace"`
	Control *struct {
		Type            string      `json:"type"`
		EmittedAt       json.Number `json:"emitted_at"`
		ConnectorConfig struct {
			Config json.RawMessage `json:"config"`
		} `json:"connectorConfig"`
	} `json:"control"`
	ConnectionStatus *struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"connectionStatus"`
	Catalog *struct {
		Streams []struct {
			Name                    string          `json:"name"`
			JSONSchema              json.RawMessage `json:"json_schema"`
			SupportedSyncModes      []string        `json:"supported_sync_modes"`
			SourceDefinedCursor     bool            `json:"source_defined_cursor"`
			DefaultCursorField      []string        `json:"default_cursor_field"`
			SourceDefinedPrimaryKey [][]string      `json:"source_defined_primary_key"`
			IsResumable             bool            `json:"is_resumable"`
		} `json:"streams"`
	} `json:"catalog"`
	Spec *struct {
		ConnectionSpecification json.RawMessage `json:"connectionSpecification"`
		AdvancedAuth            json.RawMessage `json:"advanced_auth"`
	} `json:"spec"`
	Log *struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	} `json:"log"`
}

// Parse validates every line of out against the protocol schema (reporting
// each bad line as a test error) and decodes the messages. Blank lines and
// a missing final newline are errors too: stdout carries only messages.
func (v *Validator) Parse(t testing.TB, out []byte) []Msg {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Errorf("stdout does not end with a newline")
	}
	var msgs []Msg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if err := v.Line(line); err != nil {
			t.Errorf("stdout line %d is not a valid AirbyteMessage: %v\n%.300s", n, err, line)
			continue
		}
		var m Msg
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Errorf("stdout line %d: %v", n, err)
			continue
		}
		m.Line = line
		msgs = append(msgs, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scan stdout: %v", err)
	}
	return msgs
}

// Line validates one line as an AirbyteMessage.
func (v *Validator) Line(line string) error {
	if strings.TrimSpace(line) != line || line == "" {
		return fmt.Errorf("blank or padded line")
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return v.msg.Validate(inst)
}

// CompileStreamSchema compiles a stream's json_schema with format
// assertions on (a date-time must be RFC 3339).
func CompileStreamSchema(name string, js json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "stream-" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// Read is what a read printed, stream by stream.
type Read struct {
	Records  map[string][]json.RawMessage // data of each RECORD, in order
	States   map[string][]json.RawMessage // stream_state of each STATE, in order
	Statuses map[string][]string
	Errors   []string // TRACE ERROR failure_type: message
	Controls []json.RawMessage
	// Batches[stream][i] are the records between STATE i-1 and STATE i.
	Batches map[string][][]json.RawMessage
}

var recordCountRe = regexp.MustCompile(`"recordCount":([0-9]+(\.[0-9]+)?)`)

// CheckRead applies CAT's rules to the messages of a read of the configured
// streams (schemas: stream -> json_schema, from discover; nil skips the
// record check). wantComplete says whether every stream must end COMPLETE.
func CheckRead(t testing.TB, msgs []Msg, configured []string, schemas map[string]json.RawMessage, wantComplete bool) Read {
	t.Helper()
	conf := map[string]bool{}
	for _, n := range configured {
		conf[n] = true
	}
	compiled := map[string]*jsonschema.Schema{}
	for name, js := range schemas {
		if !conf[name] {
			continue
		}
		s, err := CompileStreamSchema(name, js)
		if err != nil {
			t.Fatalf("stream %s: schema does not compile: %v", name, err)
		}
		compiled[name] = s
	}
	r := Read{Records: map[string][]json.RawMessage{}, States: map[string][]json.RawMessage{}, Statuses: map[string][]string{}, Batches: map[string][][]json.RawMessage{}}
	pending := map[string][]json.RawMessage{}
	for i, m := range msgs {
		switch m.Type {
		case "RECORD":
			name := m.Rec.Stream
			if !conf[name] {
				t.Errorf("message %d: RECORD for unconfigured stream %q", i, name)
				continue
			}
			st := r.Statuses[name]
			if len(st) == 0 || st[len(st)-1] != "RUNNING" {
				t.Errorf("message %d: RECORD of %s outside RUNNING (statuses so far %v)", i, name, st)
			}
			if ms, err := m.Rec.EmittedAt.Int64(); err != nil || ms < 1e12 {
				t.Errorf("message %d: emitted_at %q is not epoch milliseconds", i, m.Rec.EmittedAt)
			}
			if !bytes.HasPrefix(bytes.TrimSpace(m.Rec.Data), []byte("{")) || len(bytes.TrimSpace(m.Rec.Data)) <= 2 {
				t.Errorf("message %d: RECORD data is not a non-empty object", i)
			}
			if s := compiled[name]; s != nil {
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(m.Rec.Data))
				if err == nil {
					err = s.Validate(inst)
				}
				if err != nil {
					t.Errorf("message %d: %s record does not match the stream schema: %v\n%.400s", i, name, err, m.Rec.Data)
				}
				if err := undeclaredTopLevel(schemas[name], m.Rec.Data); err != nil {
					t.Errorf("message %d: %s record: %v", i, name, err)
				}
			}
			r.Records[name] = append(r.Records[name], m.Rec.Data)
			pending[name] = append(pending[name], m.Rec.Data)
		case "STATE":
			if m.State.Type != "STREAM" || m.State.Stream == nil {
				t.Errorf("message %d: STATE type %q, want STREAM", i, m.State.Type)
				continue
			}
			name := m.State.Stream.StreamDescriptor.Name
			if !conf[name] {
				t.Errorf("message %d: STATE for unconfigured stream %q", i, name)
			}
			rc := recordCountRe.FindStringSubmatch(m.Line)
			switch {
			case rc == nil:
				t.Errorf("message %d: STATE of %s has no sourceStats.recordCount", i, name)
			case rc[2] == "":
				t.Errorf("message %d: recordCount %s of %s has no decimal point", i, rc[1], name)
			default:
				if want := fmt.Sprintf("%d.0", len(pending[name])); rc[1] != want {
					t.Errorf("message %d: STATE of %s says recordCount %s, but %d records came since the previous STATE", i, name, rc[1], len(pending[name]))
				}
			}
			r.States[name] = append(r.States[name], m.State.Stream.StreamState)
			r.Batches[name] = append(r.Batches[name], pending[name])
			pending[name] = nil
		case "TRACE":
			switch m.Trace.Type {
			case "STREAM_STATUS":
				ss := m.Trace.StreamStatus
				r.Statuses[ss.StreamDescriptor.Name] = append(r.Statuses[ss.StreamDescriptor.Name], ss.Status)
			case "ERROR":
				r.Errors = append(r.Errors, m.Trace.Error.FailureType+": "+m.Trace.Error.Message)
			}
		case "CONTROL":
			r.Controls = append(r.Controls, m.Control.ConnectorConfig.Config)
		case "LOG":
		default:
			t.Errorf("message %d: unexpected %s message in a read", i, m.Type)
		}
	}
	for _, name := range configured {
		if len(r.States[name]) == 0 && wantComplete {
			t.Errorf("stream %s: no STATE message", name)
		}
		if n := len(pending[name]); n > 0 && wantComplete {
			t.Errorf("stream %s: %d records after the last STATE", name, n)
		}
		st := r.Statuses[name]
		ok := len(st) >= 3 && st[0] == "STARTED" && (st[len(st)-1] == "COMPLETE" || (!wantComplete && st[len(st)-1] == "INCOMPLETE"))
		for _, s := range st[1:max(1, len(st)-1)] {
			if s != "RUNNING" {
				ok = false
			}
		}
		if !ok {
			t.Errorf("stream %s: statuses %v, want STARTED, RUNNING..., COMPLETE", name, st)
		}
	}
	for name, st := range r.Statuses {
		// A stream the source does not have gets one INCOMPLETE and
		// nothing else (the Python CDK's missing stream); any other status
		// of a stream outside the read is a violation.
		if !conf[name] && (len(st) != 1 || st[0] != "INCOMPLETE") {
			t.Errorf("status for unconfigured stream %q: %v", name, st)
		}
	}
	return r
}

// undeclaredTopLevel reports top-level record keys the schema lacks.
func undeclaredTopLevel(js, data json.RawMessage) error {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var rec map[string]json.RawMessage
	if json.Unmarshal(js, &s) != nil || json.Unmarshal(data, &rec) != nil {
		return fmt.Errorf("cannot decode schema or record")
	}
	var extra []string
	for k := range rec {
		if _, ok := s.Properties[k]; !ok {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("top-level keys not declared in the schema: %v", extra)
	}
	return nil
}

// CheckKeys checks CAT's key rules on the records of a read: every record
// has each primary key path as a non-null scalar, and (for incremental
// streams) its cursor field present. keys and cursors map stream -> paths as
// the catalog declares them.
func CheckKeys(t testing.TB, records map[string][]json.RawMessage, keys map[string][][]string, cursors map[string][]string) {
	t.Helper()
	for stream, recs := range records {
		for i, rec := range recs {
			var m map[string]any
			if err := json.Unmarshal(rec, &m); err != nil {
				t.Errorf("%s record %d: %v", stream, i, err)
				continue
			}
			for _, path := range keys[stream] {
				v, ok := lookup(m, path)
				switch v.(type) {
				case string, float64, bool:
				default:
					t.Errorf("%s record %d: primary key %v is %v (present %v), want a non-null scalar", stream, i, path, v, ok)
				}
			}
			if c := cursors[stream]; len(c) > 0 {
				if _, ok := lookup(m, c); !ok {
					t.Errorf("%s record %d: cursor %v missing", stream, i, c)
				}
			}
		}
	}
}

func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}
