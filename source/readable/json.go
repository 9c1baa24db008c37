package readable

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/pdxhq/pdx/source/schema"
)

type schemaField = schema.Field

// Key is the top-level key that holds the readable object in JSONL and
// Airbyte records written with --readable. One key beside the API's own
// (which stay as sent): readable names are free text, and a record must
// not gain top-level keys that could collide with Pipedrive's; the _pdx_
// prefix is pdx's namespace (as in the SQLite tables).
const Key = "_pdx_readable"

// AppendJSON appends the readable object of vals (from Decode): one member
// per field, named by its column name; a one-part field's value is the
// value itself, a field with parts an object ({"amount","currency"},
// {"start","until"}, {"id","name"}, {"value", address parts...}).
func (d *Decoder) AppendJSON(b []byte, vals []Value) []byte {
	b = append(b, '{')
	for i, fd := range d.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, fd.keyJSON...) // `"Name":`, encoded once
		if len(fd.sh.parts) == 1 {
			b = appendValue(b, vals[fd.col0])
			continue
		}
		b = append(b, '{')
		for j, p := range fd.sh.parts {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, p.keyJSON...)
			b = appendValue(b, vals[fd.col0+j])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// AppendRecord appends rec with the readable object added as its last
// top-level member (Key), the API's bytes otherwise untouched.
func (d *Decoder) AppendRecord(b []byte, rec []byte) ([]byte, error) {
	// The values are appended before the next record: they may borrow its
	// bytes instead of copying (JSONL --readable's speed depends on it).
	d.borrow = true
	vals, err := d.Decode(rec)
	d.borrow = false
	if err != nil {
		return b, err
	}
	r := bytes.TrimRight(rec, " \t\r\n")
	if len(r) == 0 || r[len(r)-1] != '}' {
		return b, errSyntax
	}
	b = append(b, r[:len(r)-1]...)
	if !bytes.Equal(bytes.TrimSpace(r[:len(r)-1]), []byte("{")) {
		b = append(b, ',')
	}
	b = append(b, `"`+Key+`":`...)
	b = d.AppendJSON(b, vals)
	return append(b, '}'), nil
}

func appendValue(b []byte, v Value) []byte {
	if v.Null {
		return append(b, "null"...)
	}
	if v.num != "" {
		return append(b, v.num...)
	}
	switch v.Kind {
	case Real:
		return strconv.AppendFloat(b, v.Real, 'f', -1, 64)
	case Integer:
		return strconv.AppendInt(b, v.Int, 10)
	case Bool:
		return strconv.AppendBool(b, v.Bool)
	case JSON:
		return append(b, v.Text...)
	}
	return appendString(b, v.Text)
}

// appendString appends s as a JSON string (no HTML escaping, as the API).
// Runs of bytes that need no escape are appended whole.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && plainByte[s[j]] {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, "0123456789abcdef"[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// plainByte marks the bytes appendString copies as they are: printable
// ASCII but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func jsonCompact(b *bytes.Buffer, v []byte) error { return json.Compact(b, v) }

// Schema is the JSON schema of the readable object (for the Airbyte
// catalog: a record's top-level keys must all be declared).
func (d *Decoder) Schema() map[string]any {
	props := map[string]any{}
	for _, fd := range d.fields {
		if len(fd.sh.parts) == 1 {
			props[fd.name] = kindSchema(fd.sh.parts[0].kind, fd.f)
			continue
		}
		inner := map[string]any{}
		for _, p := range fd.sh.parts {
			inner[p.json] = kindSchema(p.kind, fd.f)
		}
		props[fd.name] = map[string]any{"type": []string{"null", "object"}, "properties": inner,
			"description": describe(fd.f)}
	}
	return map[string]any{"type": []string{"null", "object"}, "properties": props,
		"description": "Custom fields decoded by pdx (--readable): names from the Fields endpoints, option labels, typed parts"}
}

func describe(f schemaField) string {
	return "Custom field " + strconv.Quote(f.Name) + " (" + f.Type + ", " + f.Key + ")"
}

func kindSchema(k Kind, f schemaField) map[string]any {
	m := map[string]any{"description": describe(f)}
	switch k {
	case Real:
		m["type"] = []string{"null", "number"}
	case Integer:
		m["type"] = []string{"null", "integer"}
	case Bool:
		m["type"] = []string{"null", "boolean"}
	case Date:
		m["type"] = []string{"null", "string"}
		m["format"] = "date"
	case Time: // "HH:MM:SS" without an offset, which JSON schema's "time" requires
		m["type"] = []string{"null", "string"}
	case JSON:
		switch f.Type {
		case "set":
			m["type"] = []string{"null", "array"}
			m["items"] = map[string]any{"type": "string"}
		case "deals":
			m["type"] = []string{"null", "array"}
			m["items"] = map[string]any{"type": "integer"}
		}
	default:
		m["type"] = []string{"null", "string"}
	}
	return m
}
