package sqlite

import (
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
