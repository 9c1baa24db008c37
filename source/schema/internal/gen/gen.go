// Package gen derives each stream's JSON schema (draft-07, as Airbyte wants
// it) from Pipedrive's published OpenAPI response schemas. It runs at
// development time (go generate in source/schema) and in the drift test; the
// binary never links it.
//
// Rules: the list item of the 200 response's "data" is the record; allOf is
// merged, oneOf/anyOf become a union of their types; every value is
// nullable (the specs under-declare null); additionalProperties is never
// false; enums are dropped (Pipedrive adds values); v2 timestamps are RFC 3339
// (format date-time + airbyte_type timestamp_with_timezone), v1 timestamps
// are "YYYY-MM-DD HH:MM:SS" without a zone, so v1 formats are dropped and the
// values declared as plain strings.
package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Stream is what the generator needs to know of a stream.
type Stream struct {
	Name    string
	Version int // 1 or 2
	Path    string
	// ParentKey is a field the engine adds to each record (the parent's
	// id, for children whose records do not name their parent), typed as
	// the id of GET ParentPath's records (of version ParentVersion).
	ParentKey     string
	ParentVersion int
	ParentPath    string
	ParentRecords string // the parent's RecordsPath
	// RecordsPath is where the records are when data is not the list (see
	// client.PageRequest.RecordsPath).
	RecordsPath string
	// IncludeFields are the optional fields the stream requests
	// (include_fields), which the specs' record schemas leave out.
	IncludeFields []string
	// ArchiveTime is the archive time field of an archived list, which the
	// v2 deals' record schemas leave out although their examples show it.
	ArchiveTime string
}

// includedField is the schema of an include_fields field, by its name:
// the specs declare the names (an enum), not the values' types.
func includedField(name string) *openapi3.Schema {
	str := &openapi3.Schema{Type: &openapi3.Types{"string"}}
	switch {
	case name == "attendees":
		return &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"object"}}}}
	case strings.HasSuffix(name, "_count"), strings.HasSuffix(name, "_activity_id"):
		return &openapi3.Schema{Type: &openapi3.Types{"integer"}}
	case strings.HasSuffix(name, "_time"):
		str.Format = "date-time"
	}
	return str
}

// Load reads an OpenAPI document with its $refs resolved.
func Load(path string) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return doc, nil
}

// Generate returns stream name -> schema file content (indented JSON,
// trailing newline) for every stream.
func Generate(v1, v2 *openapi3.T, streams []Stream) (map[string][]byte, error) {
	// The v2 Fields endpoints share one record shape, but the spec declares
	// some properties (description, important_fields, required_fields) on
	// only some of them: declare their union on every one.
	fieldsProps := map[string]any{}
	for _, s := range streams {
		if !isFieldsStream(s) {
			continue
		}
		item, err := recordSchema(v2, s.Path)
		if err != nil {
			return nil, fmt.Errorf("stream %s (v2 %s): %w", s.Name, s.Path, err)
		}
		for k, v := range (conv{}).properties(item, 0) {
			if _, ok := fieldsProps[k]; !ok {
				fieldsProps[k] = v
			}
		}
	}
	out := map[string][]byte{}
	for _, s := range streams {
		doc := v2
		if s.Version == 1 {
			doc = v1
		}
		item, err := recordSchemaAt(doc, s.Path, s.RecordsPath)
		if err != nil {
			return nil, fmt.Errorf("stream %s (v%d %s): %w", s.Name, s.Version, s.Path, err)
		}
		c := conv{v1: s.Version == 1}
		props := c.properties(item, 0)
		if isFieldsStream(s) {
			for k, v := range fieldsProps {
				if _, ok := props[k]; !ok {
					props[k] = v
				}
			}
		}
		if len(props) == 0 {
			return nil, fmt.Errorf("stream %s: the spec's record schema has no properties", s.Name)
		}
		for _, f := range s.IncludeFields {
			if props[f] == nil {
				v := c.value(f, includedField(f), 0)
				v["description"] = "Requested with include_fields."
				props[f] = v
			}
		}
		if k := s.ArchiveTime; k != "" && props[k] == nil {
			v := c.value(k, &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "date-time"}, 0)
			v["description"] = "When the record was archived, where the API sends it (the record schema does not declare it; the examples of v2 deals show it)."
			props[k] = v
		}
		if k := s.ParentKey; k != "" && props[k] == nil {
			pdoc := v2
			if s.ParentVersion == 1 {
				pdoc = v1
			}
			parent, err := recordSchemaAt(pdoc, s.ParentPath, s.ParentRecords)
			if err != nil {
				return nil, fmt.Errorf("stream %s: its parent v%d %s: %w", s.Name, s.ParentVersion, s.ParentPath, err)
			}
			pp := map[string]*openapi3.Schema{}
			collect(parent, pp, 0)
			if pp["id"] == nil {
				return nil, fmt.Errorf("stream %s: the records of its parent %s have no id", s.Name, s.ParentPath)
			}
			id := (conv{v1: s.ParentVersion == 1}).value("id", pp["id"], 0)
			id["description"] = "The id of the parent record (added by pdx: the API's records do not name it)."
			props[k] = id
		}
		top := map[string]any{
			"$schema":              "http://json-schema.org/draft-07/schema#",
			"title":                s.Name,
			"description":          fmt.Sprintf("A %s record as GET %s%s returns it (derived from Pipedrive's published OpenAPI spec).", s.Name, prefix(s.Version), s.Path),
			"type":                 "object",
			"additionalProperties": true,
			"properties":           props,
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(top); err != nil {
			return nil, err
		}
		out[s.Name] = b.Bytes()
	}
	return out, nil
}

func prefix(v int) string {
	if v == 1 {
		return "/v1"
	}
	return "/api/v2"
}

// recordSchemaAt is recordSchema for records at recordsPath: an array
// inside data, or data itself (".").
func recordSchemaAt(doc *openapi3.T, path, recordsPath string) (*openapi3.Schema, error) {
	data, err := recordSchema(doc, path)
	if err != nil || recordsPath == "" || recordsPath == "." {
		return data, err
	}
	props := map[string]*openapi3.Schema{}
	collect(data, props, 0)
	arr := props[recordsPath]
	if arr == nil || arr.Items == nil || arr.Items.Value == nil {
		return nil, fmt.Errorf("data has no array %q", recordsPath)
	}
	return arr.Items.Value, nil
}

// recordSchema finds the schema of one item of "data" in GET path's 200
// answer.
func recordSchema(doc *openapi3.T, path string) (*openapi3.Schema, error) {
	item := doc.Paths.Find(path)
	if item == nil || item.Get == nil {
		return nil, fmt.Errorf("no GET operation")
	}
	resp := item.Get.Responses.Status(200)
	if resp == nil || resp.Value == nil {
		return nil, fmt.Errorf("no 200 response")
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil, fmt.Errorf("no application/json schema")
	}
	props := map[string]*openapi3.Schema{}
	collect(mt.Schema.Value, props, 0)
	data := props["data"]
	if data == nil {
		return nil, fmt.Errorf("the response has no data property")
	}
	if data.Type.Is("array") || data.Items != nil {
		if data.Items == nil || data.Items.Value == nil {
			return nil, fmt.Errorf("data is an array without items")
		}
		return data.Items.Value, nil
	}
	return data, nil
}

// collect merges the properties of s and of its allOf/oneOf/anyOf parts.
func collect(s *openapi3.Schema, into map[string]*openapi3.Schema, depth int) {
	if s == nil || depth > 10 {
		return
	}
	for name, p := range s.Properties {
		if p == nil || p.Value == nil {
			continue
		}
		if prev, ok := into[name]; ok && prev != p.Value {
			into[name] = mergeTwo(prev, p.Value)
			continue
		}
		into[name] = p.Value
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil {
				collect(r.Value, into, depth+1)
			}
		}
	}
}

// mergeTwo combines two declarations of the same property (from different
// allOf parts): an object keeps the properties of both.
func mergeTwo(a, b *openapi3.Schema) *openapi3.Schema {
	m := &openapi3.Schema{AllOf: openapi3.SchemaRefs{{Value: a}, {Value: b}}}
	return m
}

type conv struct{ v1 bool }

const maxDepth = 12

// properties converts the (merged) properties of an object schema.
func (c conv) properties(s *openapi3.Schema, depth int) map[string]any {
	props := map[string]*openapi3.Schema{}
	collect(s, props, 0)
	out := make(map[string]any, len(props))
	for name, p := range props {
		out[name] = c.value(name, p, depth+1)
	}
	return out
}

// value converts one property schema.
func (c conv) value(name string, s *openapi3.Schema, depth int) map[string]any {
	if depth > maxDepth {
		return map[string]any{}
	}
	types := c.types(s, 0)
	out := map[string]any{}
	if d := description(s); d != "" {
		out["description"] = d
	}
	if len(types) == 0 {
		// Unconstrained (or an unresolvable union): any JSON value.
		return out
	}
	sort.Strings(types)
	out["type"] = append([]string{"null"}, types...)
	if len(types) == 1 {
		switch types[0] {
		case "object":
			if p := c.properties(s, depth); len(p) > 0 {
				out["properties"] = p
			}
		case "array":
			if it := itemsOf(s); it != nil {
				out["items"] = c.value("", it, depth+1)
			}
		case "string":
			c.stringFormat(name, s, out)
		}
	}
	return out
}

func description(s *openapi3.Schema) string {
	if s.Description != "" {
		return strings.TrimSpace(s.Description)
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil && r.Value != nil && r.Value.Description != "" {
				return strings.TrimSpace(r.Value.Description)
			}
		}
	}
	return ""
}

// types lists the JSON types s allows (without null); empty means any.
func (c conv) types(s *openapi3.Schema, depth int) []string {
	if s == nil || depth > 10 {
		return nil
	}
	set := map[string]bool{}
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				set[t] = true
			}
		}
	}
	if len(set) == 0 && len(s.Properties) > 0 {
		set["object"] = true
	}
	if len(set) == 0 && s.Items != nil {
		set["array"] = true
	}
	// allOf: the parts describe one value; take the first typed part.
	if len(set) == 0 {
		for _, r := range s.AllOf {
			if r != nil {
				for _, t := range c.types(r.Value, depth+1) {
					set[t] = true
				}
			}
			if len(set) > 0 {
				break
			}
		}
	}
	// oneOf/anyOf: any of the parts; an untyped part allows anything.
	for _, group := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(group) == 0 || (s.Type != nil && len(s.Type.Slice()) > 0) {
			continue
		}
		for _, r := range group {
			if r == nil {
				return nil
			}
			ts := c.types(r.Value, depth+1)
			if len(ts) == 0 {
				return nil
			}
			for _, t := range ts {
				set[t] = true
			}
		}
	}
	// An integer is a number: keep only "number" when both appear.
	if set["integer"] && set["number"] {
		delete(set, "integer")
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	return out
}

func itemsOf(s *openapi3.Schema) *openapi3.Schema {
	if s.Items != nil && s.Items.Value != nil {
		return s.Items.Value
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil && r.Value != nil {
				if it := itemsOf(r.Value); it != nil {
					return it
				}
			}
		}
	}
	return nil
}

// v2Timestamps are v2 properties that hold RFC 3339 timestamps although the
// spec declares no format for them (its examples show "2021-01-01T00:00:00Z").
var v2Timestamps = map[string]bool{
	"add_time": true, "update_time": true, "close_time": true, "won_time": true, "lost_time": true,
	"stage_change_time": true, "archive_time": true, "marked_as_done_time": true, "first_won_time": true,
	"last_activity_time": true, "delete_time": true, "status_change_time": true,
}

func (c conv) stringFormat(name string, s *openapi3.Schema, out map[string]any) {
	if c.v1 {
		// v1 dates are "YYYY-MM-DD HH:MM:SS" without a zone (or RFC 3339 with
		// milliseconds on leads): no format would hold for all of them.
		return
	}
	switch {
	case s.Format == "date-time" || v2Timestamps[name]:
		out["format"] = "date-time"
		out["airbyte_type"] = "timestamp_with_timezone"
	case s.Format == "date":
		out["format"] = "date"
	}
}

func isFieldsStream(s Stream) bool {
	return s.Version == 2 && strings.HasSuffix(s.Path, "Fields")
}
