package readable

import (
	"sort"

	"github.com/pdxhq/pdx/source/schema"
)

// The definitions as tables of their own, so a destination can join ids to
// labels without pdx: custom_fields (one row per field of an entity) and
// custom_field_options (one row per option of an enum or set). They are
// derived from the *_fields streams pdx reads anyway (no API cost) rather
// than declared in the stream table: they are not Pipedrive endpoints,
// have no cursor, and are rewritten whole each run.

// Table names.
const (
	FieldsTable  = "custom_fields"
	OptionsTable = "custom_field_options"
)

// FieldRow is one row of custom_fields.
type FieldRow struct {
	Entity string `json:"entity"`    // deal, person, organization, product, note, project
	Key    string `json:"field_key"` // the 40-hex hash
	Name   string `json:"name"`      // the name in Pipedrive now
	Column string `json:"column"`    // the readable column name (stable across renames)
	Type   string `json:"field_type"`
}

// OptionRow is one row of custom_field_options.
type OptionRow struct {
	Entity string `json:"entity"`
	Key    string `json:"field_key"`
	ID     int64  `json:"option_id"`
	Label  string `json:"label"`
}

// Rows lays out the two tables for one entity's fields, with column names
// from names (NameBook.Assign), sorted by key (and option id).
func Rows(entity string, fields []schema.Field, names map[string]string) ([]FieldRow, []OptionRow) {
	fs := append([]schema.Field(nil), fields...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Key < fs[j].Key })
	var frs []FieldRow
	var ors []OptionRow
	for _, f := range fs {
		col := names[f.Key]
		if col == "" {
			col = baseName(f)
		}
		frs = append(frs, FieldRow{Entity: entity, Key: f.Key, Name: f.Name, Column: col, Type: f.Type})
		opts := append([]schema.Option(nil), f.Options...)
		sort.Slice(opts, func(i, j int) bool { return opts[i].ID < opts[j].ID })
		for _, o := range opts {
			ors = append(ors, OptionRow{Entity: entity, Key: f.Key, ID: o.ID, Label: o.Label})
		}
	}
	return frs, ors
}
