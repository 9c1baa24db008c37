package sqlite

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/source/streams"
)

// Type is a column's logical type. SQLite knows only a few storage classes,
// so several logical types share a declared SQL type; the logical one is
// kept in _pdx_columns for tools (and people) that want to know a column
// holds booleans or JSON.
type Type string

const (
	Integer  Type = "integer"   // INTEGER
	Real     Type = "number"    // REAL
	Boolean  Type = "boolean"   // INTEGER 0/1
	Text     Type = "string"    // TEXT; a non-string value is kept as its JSON text
	DateTime Type = "date-time" // TEXT, ISO 8601 as the API sent it
	Date     Type = "date"      // TEXT, YYYY-MM-DD
	JSON     Type = "json"      // TEXT holding JSON (objects, arrays); SQLite's json_* functions read it
)

// declared is the SQL type a column of t is created with.
func (t Type) declared() string {
	switch t {
	case Integer, Boolean:
		return "INTEGER"
	case Real:
		return "REAL"
	}
	return "TEXT"
}

// Column is one column of a stream's table: the value of a top-level record
// key, or of one key inside a top-level object (Sub).
//
// The identity of a column is (Key, Sub, Part), recorded in _pdx_columns
// with the column's name: a column keeps the name it got when it was created
// even if a later layout names it differently (a custom field renamed in
// Pipedrive), so queries and dashboards keep working.
type Column struct {
	Name string // SQL column name
	Key  string // top-level record key
	Sub  string // key inside the object at Key; "" for the whole value
	// Part tells apart several columns decoded from one value (readable
	// custom fields, issue 13 §1: a monetary value's amount and currency);
	// "" for the value itself.
	Part string
	Type Type
	// Decode, when set, turns the raw JSON value into the stored value
	// (nil, int64, float64, string or []byte); the readable decoding plugs
	// in here. A nil Decode stores the value by Type.
	Decode func(raw []byte) (any, error)
}

func (c Column) id() string { return c.Key + "\x00" + c.Sub + "\x00" + c.Part }

// ColumnsFunc lays out a stream's table when the writer first meets the
// stream. The runner passes one that knows the company's custom fields
// (like store/job's CSV columns); nil uses Layout(stream, nil).
type ColumnsFunc func(stream string) ([]Column, error)

var hashKey = regexp.MustCompile(`^([0-9a-f]{40})(?:_(.+))?$`)

// Layout lays out a stream's columns from its JSON schema: the primary key
// first, the standard fields sorted by name, then the custom fields sorted
// by name. v2 streams keep their custom fields in the custom_fields column
// (JSON text). v1 streams (leads, notes) carry custom fields as top-level
// hash keys; with fields given they are declared and named
// "<name>_<first 8 hex of the key>" ("budget_currency_4b0fd925"), otherwise
// each becomes a column named by its key when it first appears.
func Layout(stream string, fields []schema.Field) ([]Column, error) {
	st, ok := streams.Lookup(stream)
	if !ok {
		return nil, fmt.Errorf("unknown stream %q", stream)
	}
	js, err := schema.Base(stream)
	if err != nil {
		return nil, err
	}
	if len(fields) > 0 && st.Version == 1 {
		if js, err = schema.WithCustomFields(js, 1, fields); err != nil {
			return nil, fmt.Errorf("%s schema: %w", stream, err)
		}
	}
	var s struct {
		Properties map[string]struct {
			Type   json.RawMessage `json:"type"`
			Format string          `json:"format"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(js, &s); err != nil {
		return nil, fmt.Errorf("read %s schema: %w", stream, err)
	}
	names := map[string]string{}
	for _, f := range fields {
		names[f.Key] = f.Name
	}
	var std, custom []Column
	for key, p := range s.Properties {
		c := Column{Name: key, Key: key, Type: schemaType(p.Type, p.Format)}
		if m := hashKey.FindStringSubmatch(key); m != nil {
			c.Name = CustomName(names[m[1]], m[1], m[2])
			custom = append(custom, c)
			continue
		}
		std = append(std, c)
	}
	rank := func(c Column) int {
		if i := slices.Index(st.PrimaryKey, c.Key); i >= 0 {
			return i
		}
		return len(st.PrimaryKey)
	}
	sort.Slice(std, func(i, j int) bool {
		ri, rj := rank(std[i]), rank(std[j])
		if ri != rj {
			return ri < rj
		}
		return std[i].Name < std[j].Name
	})
	sort.Slice(custom, func(i, j int) bool { return custom[i].Name < custom[j].Name })
	return append(std, custom...), nil
}

// schemaType maps a JSON schema property to a column type: one non-null
// type picks it; none or several (an id that may come as an object) keep
// the value as text.
func schemaType(raw json.RawMessage, format string) Type {
	var types []string
	if err := json.Unmarshal(raw, &types); err != nil {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			types = []string{one}
		}
	}
	var t string
	for _, x := range types {
		if x == "null" {
			continue
		}
		if t != "" {
			return Text
		}
		t = x
	}
	switch t {
	case "integer":
		return Integer
	case "number":
		return Real
	case "boolean":
		return Boolean
	case "object", "array":
		return JSON
	case "string":
		switch format {
		case "date-time":
			return DateTime
		case "date":
			return Date
		}
	}
	return Text
}

// CustomName is a custom field's column name: its Pipedrive name (and
// suffix) in snake case plus the first 8 hex digits of its key, so it reads
// well in SQL without quoting and stays unique.
func CustomName(name, hash, suffix string) string {
	if ident(name) == "" {
		name = "custom"
	}
	if suffix != "" {
		name += " " + suffix
	}
	return ident(name) + "_" + hash[:8]
}

// ident lower-cases s and turns every run of characters other than letters
// and digits (of any script) into one underscore.
func ident(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
			continue
		}
		under = true
	}
	return b.String()
}

// inferType is the type of a column added for a key the layout did not
// know, from its first non-null value.
func inferType(v []byte) Type {
	switch v[0] {
	case '"':
		return Text
	case 't', 'f':
		return Boolean
	case '{', '[':
		return JSON
	}
	for _, c := range v {
		if c == '.' || c == 'e' || c == 'E' {
			return Real
		}
	}
	return Integer
}
