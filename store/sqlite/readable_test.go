package sqlite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/schema"
)

const (
	hPrio   = "1111111111111111111111111111111111111111"
	hBudget = "2222222222222222222222222222222222222222"
	hWon    = "3333333333333333333333333333333333333333"
)

// readableRun writes one incremental run of deals with a decoder of fields.
func readableRun(t *testing.T, dir string, at time.Time, fields []schema.Field, recs ...string) {
	t.Helper()
	s, err := Open(ctx, Options{Dir: dir, Now: func() time.Time { return at },
		Decoder: func(string) (*readable.Decoder, error) {
			return readable.NewDecoder(2, fields, nil, readable.Options{}), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, engine.Event{Kind: engine.StreamStarted, Stream: "deals"}, page("deals", recs...), ckpt("deals"), done("deals"))
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
}

// TestReadableColumns: the decoder's columns are the table's, typed by
// kind and filled per record; the raw custom_fields stay; a field added
// later adds its columns in place (earlier rows keep theirs, NULL in the
// new ones); a renamed field and its options keep their column.
func TestReadableColumns(t *testing.T) {
	dir := t.TempDir()
	prio := schema.Field{Key: hPrio, Name: "Priority", Type: "enum", Options: []schema.Option{{ID: 1, Label: "Low"}}}
	readableRun(t, dir, t0, []schema.Field{prio, {Key: hWon, Name: "Signed", Type: "boolean"}},
		`{"id":1,"title":"a","update_time":"2026-11-27T10:00:00Z","custom_fields":{"`+hPrio+`":1,"`+hWon+`":true}}`)

	renamed := prio
	renamed.Name, renamed.Options = "Urgency", []schema.Option{{ID: 1, Label: "Low"}, {ID: 2, Label: "High"}}
	readableRun(t, dir, t0.Add(time.Hour), []schema.Field{renamed, {Key: hWon, Name: "Signed", Type: "boolean"}, {Key: hBudget, Name: "Budget", Type: "monetary"}},
		`{"id":2,"title":"b","update_time":"2026-11-27T11:00:00Z","custom_fields":{"`+hPrio+`":2,"`+hWon+`":false,"`+hBudget+`":{"value":99.5,"currency":"EUR"}}}`)

	tests := []struct {
		what, q string
		want    []string
	}{
		{"readable columns", `SELECT name || ':' || type || ':' || declared_type FROM _pdx_columns WHERE stream = 'deals' AND part LIKE 'readable%' ORDER BY ordinal`,
			[]string{"Priority:string:TEXT", "Signed:boolean:INTEGER", "Budget:number:REAL", "Budget currency:string:TEXT"}},
		{"table columns", `SELECT name FROM pragma_table_info('deals') WHERE name IN ('Priority', 'Signed', 'Budget', 'Budget currency', 'Urgency', 'custom_fields') ORDER BY cid`,
			[]string{"custom_fields", "Priority", "Signed", "Budget", "Budget currency"}},
		{"values", `SELECT id, "Priority", "Signed", "Budget", "Budget currency" FROM deals ORDER BY id`,
			[]string{"1|Low|1|NULL|NULL", "2|High|0|99.5|EUR"}},
		{"raw kept", `SELECT json_extract(custom_fields, '$."` + hBudget + `".currency') FROM deals WHERE id = 2`, []string{"EUR"}},
		{"history has them", `SELECT id, "Priority" FROM deals_history ORDER BY id`, []string{"1|Low", "2|High"}},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) { equal(t, tt.what, query(t, dir, tt.q), tt.want) })
	}
}

// TestReadableColumnsOnAnOlderDatabase: a table written without a decoder
// gets the readable columns in place, its rows kept, and a notice says the
// old rows fill in when written again.
func TestReadableColumnsOnAnOlderDatabase(t *testing.T) {
	dir := t.TempDir()
	rec := `{"id":1,"title":"a","update_time":"2026-11-27T10:00:00Z","custom_fields":{"` + hPrio + `":1}}`
	run(t, dir, "deals", engine.Incremental, t0, []string{rec})
	var notices []string
	s, err := Open(ctx, Options{Dir: dir, Now: func() time.Time { return t0.Add(time.Hour) }, Notice: func(_, m string) { notices = append(notices, m) },
		Decoder: func(string) (*readable.Decoder, error) {
			return readable.NewDecoder(2, []schema.Field{{Key: hPrio, Name: "Priority", Type: "enum", Options: []schema.Option{{ID: 1, Label: "Low"}}}}, nil, readable.Options{}), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, engine.Event{Kind: engine.StreamStarted, Stream: "deals"}, page("deals", strings.Replace(rec, `"a"`, `"b"`, 1)), ckpt("deals"), done("deals"))
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
	equal(t, "rows", query(t, dir, `SELECT id, title, "Priority" FROM deals`), []string{"1|b|Low"})
	if len(notices) != 1 || !strings.Contains(notices[0], "stay NULL") {
		t.Errorf("notices = %q", notices)
	}
}

func TestFieldTables(t *testing.T) {
	field := func(entity, key, name string) string {
		return fmt.Sprintf(`{"entity":%q,"field_key":%q,"name":%q,"column":%q,"field_type":"enum"}`, entity, key, name, name)
	}
	option := func(entity, key string, id int, label string) string {
		return fmt.Sprintf(`{"entity":%q,"field_key":%q,"option_id":%d,"label":%q}`, entity, key, id, label)
	}
	// Each run writes the tables of the entities it synced, as the runner
	// does: full refresh streams at the end of the run.
	runs := [][2][]string{
		{{field("deal", "aa", "Priority"), field("person", "bb", "Tier")}, {option("deal", "aa", 1, "Low"), option("deal", "aa", 2, "High")}},
		// Deals only: Priority renamed, a new option, a new field.
		{{field("deal", "aa", "Urgency"), field("deal", "cc", "Region")}, {option("deal", "aa", 2, "Very high"), option("deal", "aa", 3, "Mid")}},
	}
	dir := t.TempDir()
	modes := map[string]engine.Mode{readable.FieldsTable: engine.FullRefresh, readable.OptionsTable: engine.FullRefresh}
	for i, r := range runs {
		s := open(t, dir, modes, t0.Add(time.Duration(i)*time.Hour))
		for j, name := range []string{readable.FieldsTable, readable.OptionsTable} {
			emit(t, s, engine.Event{Kind: engine.StreamStarted, Stream: name}, page(name, r[j]...), ckpt(name), done(name))
		}
		if err := s.Finish(nil); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "custom_fields", query(t, dir, `SELECT entity, field_key, name, "column", field_type FROM custom_fields ORDER BY entity, field_key`), []string{
		"deal|aa|Urgency|Urgency|enum", "deal|cc|Region|Region|enum", "person|bb|Tier|Tier|enum"})
	equal(t, "custom_field_options", query(t, dir, `SELECT entity, field_key, option_id, typeof(option_id), label FROM custom_field_options ORDER BY option_id`), []string{
		"deal|aa|1|integer|Low", "deal|aa|2|integer|Very high", "deal|aa|3|integer|Mid"})
	// A join of a label to its field, as an analyst writes it.
	equal(t, "join", query(t, dir, `SELECT f.name, o.label FROM custom_field_options o JOIN custom_fields f USING (entity, field_key) WHERE o.option_id = 3`), []string{"Urgency|Mid"})
	// The tables are not streams of the runs.
	equal(t, "runs", query(t, dir, `SELECT count(*) FROM _pdx_runs, json_each(streams) WHERE json_extract(value, '$.stream') LIKE 'custom_field%'`), []string{"0"})
}
