package sqlite

import (
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/streams"
)

// The custom-field definitions as tables (issue 13 §1): custom_fields (one
// row per field of an entity: its key, name, readable column and type) and
// custom_field_options (one row per option of an enum or set field), so an
// analyst joins ids to labels, or a readable column to its field, in SQL
// without pdx. The runner writes them at the end of a run from the
// definitions it read anyway (app/readable.go), as two streams that are not
// Pipedrive's.
//
// Unlike the CSV files, which are rewritten whole each run, the tables are
// upserted by key and rows are never deleted: the database keeps the
// tables of every stream earlier runs synced, and a run writes the
// definitions of the entities it synced only. A field or option deleted in
// Pipedrive keeps its row, as its column and the values in the tables and
// their history stay too.

// fieldTable is one of the two tables: its key and columns.
type fieldTable struct {
	stream streams.Stream
	cols   []Column
}

var fieldTables = map[string]fieldTable{
	readable.FieldsTable: {
		stream: streams.Stream{Name: readable.FieldsTable, PrimaryKey: []string{"entity", "field_key"}},
		cols:   textColumns("entity", "field_key", "name", "column", "field_type"),
	},
	readable.OptionsTable: {
		stream: streams.Stream{Name: readable.OptionsTable, PrimaryKey: []string{"entity", "field_key", "option_id"}},
		cols: append(textColumns("entity", "field_key"),
			Column{Name: "option_id", Key: "option_id", Type: Integer}, Column{Name: "label", Key: "label", Type: Text}),
	},
}

func textColumns(keys ...string) []Column {
	out := make([]Column, len(keys))
	for i, k := range keys {
		out[i] = Column{Name: k, Key: k, Type: Text}
	}
	return out
}
