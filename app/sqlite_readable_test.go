package app

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/store/sqlite"
	"github.com/pdxhq/pdx/store/state"
)

// TestSQLiteReadableColumnsAreTheCSVs syncs one simulator account into CSV
// and into SQLite: deals (v2) and leads (v1) tables have the CSV's
// readable custom-field columns, by the same names, with the same values
// cell by cell (labels for enum and set, amount and currency, address
// parts), beside the raw custom-field columns.
func TestSQLiteReadableColumnsAreTheCSVs(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 23, Scale: 60})
	csvDir, sqliteDir := t.TempDir(), t.TempDir()
	p := e.prof
	p.Streams = []string{"deals", "leads"}
	for _, f := range []struct {
		format, dir string
		states      *state.Store
	}{{"csv", csvDir, e.states}, {"sqlite", sqliteDir, state.OpenDir(t.TempDir())}} {
		p.Format, p.OutDir = f.format, f.dir
		e.states = f.states
		if sum := e.run(t, p, nil); !sum.OK() {
			t.Fatalf("%s run: %+v", f.format, sum.Streams)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(sqliteDir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range []struct {
		stream string
		raw    string // a raw custom-field column the table keeps
		parts  []string
	}{
		{"deals", "custom_fields", []string{" currency", " locality", " formatted address"}},
		{"leads", "", []string{" currency", " locality"}},
	} {
		t.Run(tt.stream, func(t *testing.T) {
			types := readableTypes(t, db, tt.stream)
			if len(types) < 10 {
				t.Fatalf("%s: %d readable columns: %v", tt.stream, len(types), types)
			}
			for _, suffix := range tt.parts {
				found := false
				for name := range types {
					found = found || strings.HasSuffix(name, suffix)
				}
				if !found {
					t.Errorf("%s: no readable column ending in %q: %v", tt.stream, suffix, types)
				}
			}
			header, byID := csvByID(t, filepath.Join(csvDir, tt.stream+".csv"))
			col := map[string]int{}
			for i, h := range header {
				col[h] = i
			}
			if tt.raw != "" {
				var n int
				if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, tt.stream, tt.raw).Scan(&n); err != nil || n != 1 {
					t.Errorf("%s: raw column %s missing (%v)", tt.stream, tt.raw, err)
				}
			}
			rows, err := db.Query(`SELECT * FROM "` + tt.stream + `" ORDER BY id LIMIT 25`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			names, _ := rows.Columns()
			compared, labels, sets := 0, 0, 0
			for rows.Next() {
				vals := make([]any, len(names))
				ptrs := make([]any, len(names))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				id := sqlCell(vals[0], "")
				row, ok := byID[id]
				if !ok {
					t.Fatalf("%s %s: not in the CSV", tt.stream, id)
				}
				for i, n := range names {
					typ, ok := types[n]
					if !ok {
						continue
					}
					c, ok := col[n]
					if !ok {
						t.Fatalf("%s: readable column %q is not a CSV column", tt.stream, n)
					}
					if got, want := sqlCell(vals[i], typ), row[c]; got != want {
						t.Errorf("%s %s %q: sqlite %q, csv %q", tt.stream, id, n, got, want)
					}
					compared++
					s, _ := vals[i].(string)
					if strings.Contains(n, "enum") && isLabel(s) {
						labels++
					}
					var list []string
					if strings.Contains(n, "set") && json.Unmarshal([]byte(s), &list) == nil && len(list) > 0 && isLabel(list[0]) {
						sets++
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if compared < 200 || labels == 0 || sets == 0 {
				t.Errorf("%s: %d cells compared, %d enum labels, %d set label lists", tt.stream, compared, labels, sets)
			}
		})
	}
}

func isLabel(s string) bool {
	return s == "Low" || s == "Medium" || s == "High" || s == "Ünïcode"
}

// readableTypes are the stream's readable columns and their logical types.
func readableTypes(t *testing.T, db *sql.DB, stream string) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT name, type FROM _pdx_columns WHERE stream = ? AND (part = 'readable' OR part LIKE 'readable.%')`, stream)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, typ string
		if err := rows.Scan(&n, &typ); err != nil {
			t.Fatal(err)
		}
		out[n] = typ
	}
	return out
}

func csvByID(t *testing.T, path string) ([]string, map[string][]string) {
	t.Helper()
	recs := readCSVRows(t, path)
	byID := map[string][]string{}
	for _, r := range recs[1:] {
		byID[r[0]] = r
	}
	return recs[0], byID
}

// sqlCell renders a SQLite value as the CSV writes the readable value.
func sqlCell(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		if typ == string(sqlite.Boolean) {
			return strconv.FormatBool(x != 0)
		}
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []byte:
		return string(x)
	case string:
		return x
	}
	return "?"
}

// TestSQLiteFieldTablesAreTheCSVs: the SQLite database holds the
// custom_fields and custom_field_options tables, row for row the CSV
// files of the same account, and a later run of fewer streams upserts
// them without dropping the other entities' rows.
func TestSQLiteFieldTablesAreTheCSVs(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 29, Scale: 40})
	csvDir, sqliteDir := t.TempDir(), t.TempDir()
	sqliteStates := state.OpenDir(t.TempDir())
	p := e.prof
	p.Streams = []string{"deals", "persons", "leads"}
	for _, f := range []struct {
		format, dir string
		states      *state.Store
	}{{"csv", csvDir, e.states}, {"sqlite", sqliteDir, sqliteStates}} {
		p.Format, p.OutDir = f.format, f.dir
		e.states = f.states
		if sum := e.run(t, p, nil); !sum.OK() {
			t.Fatalf("%s run: %+v", f.format, sum.Streams)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(sqliteDir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables := []struct{ name, cols, order string }{
		{readable.FieldsTable, `entity, field_key, name, "column", field_type`, "entity, field_key"},
		{readable.OptionsTable, "entity, field_key, option_id, label", "entity, field_key, option_id"},
	}
	rowsOf := func(table, cols, order string) []string {
		t.Helper()
		rows, err := db.Query("SELECT " + cols + " FROM " + table + " ORDER BY " + order)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := len(strings.Split(cols, ","))
		var out []string
		for rows.Next() {
			vals := make([]string, n)
			ptrs := make([]any, n)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, strings.Join(vals, "|"))
		}
		return out
	}
	for _, tt := range tables {
		recs := readCSVRows(t, filepath.Join(csvDir, tt.name+".csv"))
		at := map[string]int{}
		for i, h := range recs[0] {
			at[h] = i
		}
		var want []string
		for _, r := range recs[1:] {
			var cells []string
			for _, c := range strings.Split(tt.cols, ",") {
				i, ok := at[strings.Trim(strings.TrimSpace(c), `"`)]
				if !ok {
					t.Fatalf("%s.csv has no column %s: %q", tt.name, c, recs[0])
				}
				cells = append(cells, r[i])
			}
			want = append(want, strings.Join(cells, "|"))
		}
		sort.Strings(want) // the CSV's order is the SQL's: by entity, key (and option id)
		got := rowsOf(tt.name, tt.cols, tt.order)
		sort.Strings(got)
		if len(want) < 5 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %d rows in SQLite, %d in the CSV\n got %q\nwant %q", tt.name, len(got), len(want), got, want)
		}
	}
	// Each field's column is a column of its entity's table, so a join
	// from a field to its values needs no pdx either.
	missing := rowsOf(readable.FieldsTable+` f WHERE entity IN ('deal', 'person') AND NOT EXISTS (SELECT 1 FROM pragma_table_info(CASE entity WHEN 'deal' THEN 'deals' ELSE 'persons' END) WHERE name = f."column")`,
		`entity, "column"`, "entity")
	if len(missing) > 0 {
		t.Errorf("custom_fields columns not in their tables: %v", missing)
	}
	perEntity := func() []string {
		return rowsOf(readable.FieldsTable+" GROUP BY entity", "entity, count(*)", "entity")
	}
	before := perEntity()
	if len(before) < 2 {
		t.Fatalf("custom_fields has the fields of %v only", before)
	}
	// A second run of deals only: the persons' fields stay, the deals'
	// are upserted (no duplicate row).
	p.Streams = []string{"deals"}
	if sum := e.run(t, p, nil); !sum.OK() {
		t.Fatalf("second sqlite run: %+v", sum.Streams)
	}
	equal := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s after a run of deals only: %v, want %v", what, got, want)
		}
	}
	equal("fields per entity", perEntity(), before)
}
