package app

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
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

	want, got := pkSet(t, "jsonl", jsonlDir), sqlitePKs(t, sqliteDir)
	checked := 0
	for _, st := range streams.All() {
		if !slices.Equal(got[st.Name], want[st.Name]) {
			t.Errorf("%s: %d rows, the JSONL export has %d distinct primary keys (or other ones)", st.Name, len(got[st.Name]), len(want[st.Name]))
		}
		if len(want[st.Name]) > 0 {
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("only %d streams had records to compare", checked)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(sqliteDir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The edited deal has two versions in the history view.
	var versions int
	if err := db.QueryRow(`SELECT count(*) FROM deals_history WHERE id = 1`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != 2 {
		t.Errorf("deal 1 has %d versions in deals_history, want 2", versions)
	}
}

// sqlitePKs reads the primary keys per stream of a SQLite destination, as
// pkSet does for files ("|" between parts, sorted); a table holding a key
// twice fails the test.
func sqlitePKs(t *testing.T, dir string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]string{}
	for _, st := range streams.All() {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, st.Name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			continue
		}
		cols := make([]string, len(st.PrimaryKey))
		for i, k := range st.PrimaryKey {
			cols[i] = fmt.Sprintf("CAST(%q AS TEXT)", k)
		}
		rows, err := db.Query(fmt.Sprintf(`SELECT %s FROM %q`, strings.Join(cols, " || '|' || "), st.Name))
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		var keys []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		rows.Close()
		sort.Strings(keys)
		if c := compactStrings(keys); len(c) != len(keys) {
			t.Errorf("%s: %d rows for %d primary keys", st.Name, len(keys), len(c))
		}
		out[st.Name] = keys
	}
	return out
}
