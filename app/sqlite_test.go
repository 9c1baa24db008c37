package app

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/sqlite"
	"github.com/pdxhq/pdx/store/state"
)

// TestSQLiteRowsAreTheJSONLExportsKeys syncs the same simulator account
// twice into JSONL and into SQLite (through Run, as `pdx sync` does), with
// edits, a deletion, an archived deal and new records between the runs:
// every table has exactly one row per distinct primary key of the JSONL
// export, and the same keys.
func TestSQLiteRowsAreTheJSONLExportsKeys(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 17, Scale: 150})
	jsonlDir, sqliteDir := t.TempDir(), t.TempDir()
	jsonlStates, sqliteStates := e.states, state.OpenDir(t.TempDir())
	syncBoth := func() {
		for _, f := range []struct {
			format, dir string
			states      *state.Store
		}{{"jsonl", jsonlDir, jsonlStates}, {"sqlite", sqliteDir, sqliteStates}} {
			p := e.prof
			p.Format, p.OutDir = f.format, f.dir
			e.states = f.states
			if sum := e.run(t, p, nil); !sum.OK() {
				for _, s := range sum.Streams {
					if !s.Complete {
						t.Fatalf("%s run: %s: %v", f.format, s.Name, s.Err)
					}
				}
			}
		}
	}
	syncBoth()
	e.srv.Advance(time.Hour)
	for _, m := range []struct {
		fn func(string, string) error
		id string
	}{{e.srv.Update, "1"}, {e.srv.Delete, "2"}, {e.srv.Archive, "3"}} {
		if err := m.fn("deals", m.id); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.Insert("deals")
	e.srv.Insert("leads")
	e.srv.Insert("persons")
	syncBoth()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(sqliteDir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checked := 0
	for _, st := range streams.All() {
		path := filepath.Join(jsonlDir, st.Name+".jsonl")
		want := map[string]bool{}
		for _, l := range lines(t, path) {
			want[pkOf(t, st.PrimaryKey, l)] = true
		}
		cols := make([]string, len(st.PrimaryKey))
		for i, k := range st.PrimaryKey {
			cols[i] = fmt.Sprintf("CAST(%q AS TEXT)", k)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = ?`, st.Name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if len(want) > 0 {
				t.Errorf("%s: no table, the JSONL export has %d records", st.Name, len(want))
			}
			continue
		}
		rows, err := db.Query(fmt.Sprintf(`SELECT %s FROM %q`, strings.Join(cols, " || '|' || "), st.Name))
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		got := map[string]bool{}
		n = 0
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			got[k] = true
			n++
		}
		rows.Close()
		if n != len(want) {
			t.Errorf("%s: %d rows, the JSONL export has %d distinct primary keys", st.Name, n, len(want))
		}
		for k := range want {
			if !got[k] {
				t.Errorf("%s: key %s of the JSONL export has no row", st.Name, k)
				break
			}
		}
		if len(want) > 0 {
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("only %d streams had records to compare", checked)
	}
	// The edited deal has two versions in the history view.
	var versions int
	if err := db.QueryRow(`SELECT count(*) FROM deals_history WHERE id = 1`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != 2 {
		t.Errorf("deal 1 has %d versions in deals_history, want 2", versions)
	}
}

// pkOf joins a JSON record's primary key values as text ("|" between).
func pkOf(t *testing.T, pk []string, rec string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rec), &m); err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(pk))
	for i, k := range pk {
		v, ok := m[k]
		if !ok {
			t.Fatalf("record without %s: %.200s", k, rec)
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		parts[i] = s
	}
	return strings.Join(parts, "|")
}
