package output

import (
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/store/sqlite"
)

func openSQLiteTarget(t *testing.T, dir string, specs map[string]Stream, fields func(string) ([]schema.Field, error)) Writer {
	t.Helper()
	f, ok := Lookup("sqlite")
	if !ok {
		t.Fatal("sqlite is not registered")
	}
	w, err := f.Open(ctx, Target{Dir: dir, Streams: []string{"leads", "persons"}, Specs: specs, Fields: fields,
		Notice: func(_, m string) { t.Log(m) }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func query(t *testing.T, path, q string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestSQLiteFormat: the registered format names custom-field columns from
// Target.Fields, honours a full refresh's spec (an unfinished one keeps the
// table's previous content) and says how to open the file.
func TestSQLiteFormat(t *testing.T) {
	dir := t.TempDir()
	fields := func(stream string) ([]schema.Field, error) {
		if stream == "leads" {
			return testFields, nil
		}
		return nil, nil
	}
	lead := json.RawMessage(`{"id":"b5d1c1a0-0000-4000-8000-000000000001","title":"Lead","` + hashA + `":100,"` + hashA + `_currency":"EUR","` + hashB + `":7}`)
	person := func(name string) json.RawMessage { return json.RawMessage(`{"id":1,"name":"` + name + `"}`) }

	w := openSQLiteTarget(t, dir, map[string]Stream{"leads": {Fresh: true, ResumeSize: -1}, "persons": {Full: true}}, fields)
	emit(t, w, ev(engine.StreamStarted, "leads"), ev(engine.Records, "leads", lead), ev(engine.Checkpoint, "leads"), ev(engine.StreamComplete, "leads"),
		ev(engine.StreamStarted, "persons"), ev(engine.Records, "persons", person("first")), ev(engine.StreamComplete, "persons"))
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sqlite.FileName)
	if got := w.Files(); !slices.Equal(got, []string{path}) {
		t.Fatalf("Files() = %v, want [%s]", got, path)
	}
	cols := query(t, path, `SELECT name FROM pragma_table_info('leads')`)
	for _, want := range []string{"budget_a1b2c3d4", "budget_currency_a1b2c3d4", "region_ffeeddcc"} {
		if !slices.Contains(cols, want) {
			t.Errorf("leads has no column %s: %v", want, cols)
		}
	}
	if got := query(t, path, `SELECT budget_currency_a1b2c3d4 || ' ' || region_ffeeddcc FROM leads`); !slices.Equal(got, []string{"EUR 7"}) {
		t.Errorf("lead custom values = %v", got)
	}

	// A second run's full refresh of persons that does not finish leaves
	// the first run's row.
	w = openSQLiteTarget(t, dir, map[string]Stream{"persons": {Full: true}}, nil)
	emit(t, w, ev(engine.StreamStarted, "persons"), ev(engine.Records, "persons", person("second")), ev(engine.Checkpoint, "persons"))
	if err := w.Finish(errors.New("stopped")); err != nil {
		t.Fatal(err)
	}
	if got := query(t, path, `SELECT name FROM persons`); !slices.Equal(got, []string{"first"}) {
		t.Errorf("persons after an unfinished full refresh = %v, want [first]", got)
	}

	f, _ := Lookup("sqlite")
	if f.Label != "SQLite database" || f.Description != "one file for DuckDB, pandas, Excel, BI tools" {
		t.Errorf("label %q, description %q", f.Label, f.Description)
	}
	if _, err := f.Open(ctx, Target{Dir: "-"}); err == nil {
		t.Error("sqlite to stdout did not fail")
	}
}

func TestSQLiteHowToOpen(t *testing.T) {
	f, _ := Lookup("sqlite")
	tests := []struct {
		files []string
		want  []string
	}{
		{nil, nil},
		{[]string{"/out/pipedrive.sqlite"}, []string{
			"sqlite3 /out/pipedrive.sqlite",
			"duckdb /out/pipedrive.sqlite",
			`python3 -c 'import sqlite3, pandas; print(pandas.read_sql("select * from deals", sqlite3.connect("/out/pipedrive.sqlite")))'`,
		}},
		{[]string{"/my data/it's.sqlite"}, []string{
			`sqlite3 '/my data/it'\''s.sqlite'`,
			`duckdb '/my data/it'\''s.sqlite'`,
			`python3 -c 'import sqlite3, pandas; print(pandas.read_sql("select * from deals", sqlite3.connect("/my data/it'\''s.sqlite")))'`,
		}},
	}
	for _, tt := range tests {
		got := f.HowToOpen(tt.files)
		if !slices.Equal(got, tt.want) {
			t.Errorf("HowToOpen(%v) =\n%s\nwant\n%s", tt.files, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}

// TestSQLiteFormatReadable: the format takes Target.Decoder (it
// DecodesFields): a v1 lead's readable columns are CSV's, labels and all.
func TestSQLiteFormatReadable(t *testing.T) {
	f, _ := Lookup("sqlite")
	if !f.DecodesFields {
		t.Fatal("sqlite does not decode custom fields")
	}
	dir := t.TempDir()
	w, err := f.Open(ctx, Target{Dir: dir, Streams: []string{"leads"}, Specs: map[string]Stream{"leads": {Fresh: true, ResumeSize: -1}},
		Decoder: testDecoder(1, testFields), Notice: func(_, m string) { t.Log(m) }})
	if err != nil {
		t.Fatal(err)
	}
	lead := json.RawMessage(`{"id":"b5d1c1a0-0000-4000-8000-000000000001","title":"Lead","` + hashA + `":100,"` + hashA + `_currency":"EUR","` + hashB + `":7}`)
	emit(t, w, ev(engine.StreamStarted, "leads"), ev(engine.Records, "leads", lead), ev(engine.Checkpoint, "leads"), ev(engine.StreamComplete, "leads"))
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	got := query(t, filepath.Join(dir, sqlite.FileName), `SELECT "Budget" || ' ' || "Budget currency" || ' ' || "Region" FROM leads`)
	if !slices.Equal(got, []string{"100.0 EUR North"}) {
		t.Errorf("readable lead = %v", got)
	}
}
