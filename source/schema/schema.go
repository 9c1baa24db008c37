// Package schema holds the JSON schema of every stream (draft-07, as the
// Airbyte catalog wants it) and declares a company's custom fields in them.
//
// The base schemas are generated from Pipedrive's published OpenAPI specs
// (go generate; see internal/gen) and embedded. Custom fields differ in
// every company, so they are added at run time from the Fields endpoints:
// v2 records nest them in custom_fields (declared there as properties), v1
// records (leads) carry them as top-level hash keys plus suffix keys
// (_currency, _until, address parts), all of which are declared so a record
// never has a top-level key its schema lacks.
package schema

//go:generate go run ./internal/gen/genschema -out files

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
)

//go:embed files/*.json
var files embed.FS

// Base returns the stream's generated schema (without custom fields).
func Base(stream string) (json.RawMessage, error) {
	b, err := files.ReadFile("files/" + stream + ".json")
	if err != nil {
		return nil, fmt.Errorf("no schema for stream %q", stream)
	}
	return b, nil
}

// Names lists the streams that have a schema.
func Names() []string {
	ents, _ := files.ReadDir("files")
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		n := e.Name()
		out = append(out, n[:len(n)-len(".json")])
	}
	sort.Strings(out)
	return out
}

// Field is one custom field definition.
type Field struct {
	Key  string // the 40-hex hash
	Name string // the display name (goes into the description)
	Type string // Pipedrive field_type: varchar, double, monetary, enum, set, address, ...
	// Options are an enum's or a set's choices (id -> label), as declared.
	Options []Option
}

// Option is one choice of an enum or set field.
type Option struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
}

var hexKey = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ParseFields picks the custom fields out of raw Fields-endpoint records:
// v2 {field_code, field_name, field_type, is_custom_field}, v1 {key, name,
// field_type} (custom when the key is a 40-hex hash), with their options
// (an option whose id is not an integer is left out). The result is sorted
// by key so schemas are stable.
func ParseFields(version int, records []json.RawMessage) ([]Field, error) {
	var out []Field
	for i, r := range records {
		var f struct {
			FieldCode     string `json:"field_code"`
			FieldName     string `json:"field_name"`
			Key           string `json:"key"`
			Name          string `json:"name"`
			FieldType     string `json:"field_type"`
			IsCustomField *bool  `json:"is_custom_field"`
			Options       []struct {
				ID    json.RawMessage `json:"id"` // a number in v2, a number or a string in v1
				Label string          `json:"label"`
			} `json:"options"`
		}
		if err := json.Unmarshal(r, &f); err != nil {
			return nil, fmt.Errorf("field definition %d: %w", i, err)
		}
		key, name := f.FieldCode, f.FieldName
		if version == 1 || key == "" {
			key, name = f.Key, f.Name
		}
		custom := hexKey.MatchString(key)
		if f.IsCustomField != nil {
			custom = *f.IsCustomField && key != ""
		}
		if !custom {
			continue
		}
		fd := Field{Key: key, Name: name, Type: f.FieldType}
		for _, o := range f.Options {
			if id, err := strconv.ParseInt(string(bytes.Trim(o.ID, `"`)), 10, 64); err == nil {
				fd.Options = append(fd.Options, Option{ID: id, Label: o.Label})
			}
		}
		out = append(out, fd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func nullable(types ...string) map[string]any {
	return map[string]any{"type": append([]string{"null"}, types...)}
}

func described(m map[string]any, f Field) map[string]any {
	if f.Name != "" {
		m["description"] = fmt.Sprintf("Custom field %q (%s)", f.Name, f.Type)
	}
	return m
}

// addressParts are the parts of an address value: v2 object keys and v1
// key suffixes.
var addressParts = []string{"subpremise", "street_number", "route", "sublocality", "locality",
	"admin_area_level_1", "admin_area_level_2", "country", "postal_code", "formatted_address"}

// v2Value is the schema of a custom field's value inside custom_fields.
func v2Value(f Field) map[string]any {
	switch f.Type {
	case "double":
		return nullable("number")
	case "int", "enum", "user", "org", "people", "deal", "lead", "project", "stage", "activity":
		return nullable("integer")
	case "boolean":
		return nullable("boolean")
	case "set", "deals":
		m := nullable("array")
		m["items"] = nullable("integer")
		return m
	case "monetary":
		m := nullable("object")
		m["properties"] = map[string]any{"value": nullable("number"), "currency": nullable("string")}
		return m
	case "daterange", "timerange":
		m := nullable("object")
		m["properties"] = map[string]any{"value": nullable("string"), "until": nullable("string")}
		return m
	case "address":
		props := map[string]any{"value": nullable("string")}
		for _, p := range addressParts {
			props[p] = nullable("string")
		}
		m := nullable("object")
		m["properties"] = props
		return m
	case "date":
		m := nullable("string")
		m["format"] = "date"
		return m
	case "varchar", "varchar_auto", "text", "phone", "time", "varchar_options":
		return nullable("string")
	}
	return map[string]any{} // unknown type: any value
}

// v1Keys are the top-level keys (and their schemas) a custom field adds to a
// v1 record.
func v1Keys(f Field) map[string]map[string]any {
	k := f.Key
	switch f.Type {
	case "double", "monetary":
		out := map[string]map[string]any{k: nullable("number")}
		if f.Type == "monetary" {
			out[k+"_currency"] = nullable("string")
		}
		return out
	case "int":
		return map[string]map[string]any{k: nullable("integer")}
	case "user", "org", "people", "deal", "project", "stage", "activity":
		// An id (v1 leads and notes send the number, as the v2 Deals
		// endpoints do). One type besides null: ["null","integer","object"]
		// is a type PyAirbyte cannot map (six warnings on leads, issue 12).
		return map[string]map[string]any{k: nullable("integer")}
	case "daterange", "timerange":
		return map[string]map[string]any{k: nullable("string"), k + "_until": nullable("string")}
	case "address":
		out := map[string]map[string]any{k: nullable("string")}
		for _, p := range addressParts {
			out[k+"_"+p] = nullable("string")
		}
		return out
	case "boolean":
		return map[string]map[string]any{k: nullable("boolean")}
	case "varchar", "varchar_auto", "text", "phone", "time", "date", "enum", "set", "varchar_options":
		// v1 sends enum ids as strings and sets as "1,2".
		return map[string]map[string]any{k: nullable("string")}
	}
	return map[string]map[string]any{k: {}}
}

// WithCustomFields returns base with the custom fields declared: for v2
// inside the custom_fields object, for v1 as top-level properties. With no
// fields, base comes back unchanged.
func WithCustomFields(base json.RawMessage, version int, fields []Field) (json.RawMessage, error) {
	if len(fields) == 0 {
		return base, nil
	}
	var s map[string]any
	if err := json.Unmarshal(base, &s); err != nil {
		return nil, fmt.Errorf("decode schema: %w", err)
	}
	props, _ := s["properties"].(map[string]any)
	if props == nil {
		return nil, fmt.Errorf("schema has no properties")
	}
	if version == 2 {
		cf, _ := props["custom_fields"].(map[string]any)
		if cf == nil {
			cf = nullable("object")
			props["custom_fields"] = cf
		}
		inner, _ := cf["properties"].(map[string]any)
		if inner == nil {
			inner = map[string]any{}
			cf["properties"] = inner
		}
		for _, f := range fields {
			inner[f.Key] = described(v2Value(f), f)
		}
	} else {
		for _, f := range fields {
			for k, v := range v1Keys(f) {
				if _, std := props[k]; std {
					continue // never override a standard field
				}
				props[k] = described(v, f)
			}
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
