package schema

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/schema/internal/gen"
	"github.com/pdxhq/pdx/source/sharedref"
	"github.com/pdxhq/pdx/source/streams"
)

// TestGeneratedFilesMatchSpec fails when the embedded schemas drift from
// what the generator makes of the published specs (run go generate).
func TestGeneratedFilesMatchSpec(t *testing.T) {
	v1 := sharedref.Require(t, "reference/pipedrive-openapi/v1.yaml")
	v2 := sharedref.Require(t, "reference/pipedrive-openapi/v2.yaml")
	want, err := gen.GenerateFiles(v1, v2)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(Names()) {
		t.Errorf("generator makes %d schemas, %d are embedded", len(want), len(Names()))
	}
	for name, b := range want {
		got, err := Base(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("files/%s.json drifted from the spec: run `go generate ./source/schema`", name)
		}
	}
}

// TestEveryStreamHasAValidSchema checks the Airbyte rules on each schema.
func TestEveryStreamHasAValidSchema(t *testing.T) {
	for _, st := range streams.All() {
		b, err := Base(st.Name)
		if err != nil {
			t.Errorf("%s: %v", st.Name, err)
			continue
		}
		var s map[string]any
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		if s["$schema"] != "http://json-schema.org/draft-07/schema#" || s["type"] != "object" {
			t.Errorf("%s: $schema %v type %v", st.Name, s["$schema"], s["type"])
		}
		props, _ := s["properties"].(map[string]any)
		for _, k := range append(append([]string{}, st.PrimaryKey...), st.Cursor) {
			if k != "" && props[k] == nil {
				t.Errorf("%s: key or cursor %q missing from the schema", st.Name, k)
			}
		}
		walk(t, st.Name, s, int(st.Version))
	}
}

func walk(t *testing.T, path string, v any, version int) {
	switch x := v.(type) {
	case map[string]any:
		if ap, ok := x["additionalProperties"]; ok && ap != true {
			t.Errorf("%s: additionalProperties %v", path, ap)
		}
		for _, bad := range []string{"$ref", "anyOf", "allOf", "oneOf", "not", "enum"} {
			if _, ok := x[bad]; ok {
				t.Errorf("%s: uses %s", path, bad)
			}
		}
		if f, _ := x["format"].(string); f != "" {
			if version == 1 {
				t.Errorf("%s: v1 value declares format %s (v1 times have no zone)", path, f)
			}
			if f == "date-time" && x["airbyte_type"] != "timestamp_with_timezone" {
				t.Errorf("%s: date-time without airbyte_type", path)
			}
		}
		if props, ok := x["properties"].(map[string]any); ok {
			for k, p := range props {
				pm, _ := p.(map[string]any)
				if ty, ok := pm["type"].([]any); ok && (len(ty) < 2 || ty[0] != "null") {
					t.Errorf("%s.%s: type %v is not nullable", path, k, ty)
				}
				walk(t, path+"."+k, p, version)
			}
		}
		if it, ok := x["items"]; ok {
			walk(t, path+"[]", it, version)
		}
	}
}

func TestCustomFields(t *testing.T) {
	v2defs := []json.RawMessage{
		json.RawMessage(`{"field_code":"title","field_name":"Title","field_type":"varchar","is_custom_field":false}`),
		json.RawMessage(`{"field_code":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","field_name":"Budget","field_type":"monetary","is_custom_field":true}`),
		json.RawMessage(`{"field_code":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","field_name":"Tags","field_type":"set","is_custom_field":true}`),
		json.RawMessage(`{"field_code":"cccccccccccccccccccccccccccccccccccccccc","field_name":"Where","field_type":"address","is_custom_field":true}`),
	}
	fs, err := ParseFields(2, v2defs)
	if err != nil || len(fs) != 3 || fs[0].Type != "monetary" {
		t.Fatalf("ParseFields = %+v, %v", fs, err)
	}
	base, _ := Base("deals")
	out, err := WithCustomFields(base, 2, fs)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]struct {
			Properties map[string]struct {
				Type       []string                   `json:"type"`
				Properties map[string]json.RawMessage `json:"properties"`
				Items      *struct{ Type []string }   `json:"items"`
			} `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	cf := s.Properties["custom_fields"].Properties
	if m := cf["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]; m.Properties["currency"] == nil || m.Properties["value"] == nil {
		t.Errorf("monetary not declared as {value,currency}: %+v", m)
	}
	if m := cf["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]; m.Items == nil || m.Items.Type[1] != "integer" {
		t.Errorf("set not declared as an array of integers: %+v", m)
	}
	if m := cf["cccccccccccccccccccccccccccccccccccccccc"]; m.Properties["locality"] == nil {
		t.Errorf("address parts not declared: %+v", m)
	}

	// v1 (leads): top-level keys with suffixes.
	leads, _ := Base("leads")
	out, err = WithCustomFields(leads, 1, fs)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Properties map[string]struct {
			Type []string `json:"type"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(out, &top); err != nil {
		t.Fatal(err)
	}
	for key, typ := range map[string]string{
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":                   "number",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_currency":          "string",
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb":                   "string",
		"cccccccccccccccccccccccccccccccccccccccc_formatted_address": "string",
		"cccccccccccccccccccccccccccccccccccccccc_postal_code":       "string",
	} {
		if p, ok := top.Properties[key]; !ok || strings.Join(p.Type, ",") != "null,"+typ {
			t.Errorf("v1 key %s: %v, want null,%s", key, p.Type, typ)
		}
	}
	if same, _ := WithCustomFields(base, 2, nil); !bytes.Equal(same, base) {
		t.Error("no custom fields must leave the schema unchanged")
	}
}

func TestParseFieldsV1(t *testing.T) {
	fs, err := ParseFields(1, []json.RawMessage{
		json.RawMessage(`{"key":"title","name":"Title","field_type":"varchar"}`),
		json.RawMessage(`{"key":"dddddddddddddddddddddddddddddddddddddddd","name":"X","field_type":"enum"}`),
	})
	if err != nil || len(fs) != 1 || fs[0].Key != "dddddddddddddddddddddddddddddddddddddddd" {
		t.Errorf("ParseFields v1 = %+v, %v", fs, err)
	}
}

// TestTypesPyAirbyteCanMap: every declared property has at most one type
// besides null, in the base schemas and with a custom field of every type
// (PyAirbyte warns and falls back on ["null","integer","object"]).
func TestTypesPyAirbyteCanMap(t *testing.T) {
	types := []string{"varchar", "varchar_auto", "text", "double", "monetary", "int", "date", "daterange", "time", "timerange",
		"enum", "set", "address", "phone", "boolean", "user", "org", "people", "deal", "project", "stage", "activity", "varchar_options"}
	var fs []Field
	for i, ty := range types {
		fs = append(fs, Field{Key: strings.Repeat(string(rune('a'+i%6)), 39) + string(rune('0'+i%10)), Name: ty, Type: ty})
	}
	for _, c := range []struct {
		stream  string
		version int
	}{{"leads", 1}, {"notes", 1}, {"deals", 2}, {"persons", 2}} {
		base, err := Base(c.stream)
		if err != nil {
			t.Fatal(err)
		}
		js, err := WithCustomFields(base, c.version, fs)
		if err != nil {
			t.Fatal(err)
		}
		var s any
		if err := json.Unmarshal(js, &s); err != nil {
			t.Fatal(err)
		}
		walkTypes(t, c.stream, s)
	}
}

func walkTypes(t *testing.T, path string, v any) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if ts, ok := m["type"].([]any); ok {
		n := 0
		for _, ty := range ts {
			if ty != "null" {
				n++
			}
		}
		if n > 1 {
			t.Errorf("%s: type %v has more than one type besides null", path, ts)
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, p := range props {
			walkTypes(t, path+"."+k, p)
		}
	}
	if it, ok := m["items"]; ok {
		walkTypes(t, path+"[]", it)
	}
}
