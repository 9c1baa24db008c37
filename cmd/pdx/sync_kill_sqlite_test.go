package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/store/sqlite"
)

// TestSyncKillAndResumeSQLite is TestSyncKillAndResume for --format
// sqlite: a real `pdx sync --no-tui --format sqlite` killed with SIGKILL
// whenever the database (with its WAL) has grown by some bytes, then run
// again. After every kill the file passes SQLite's integrity check and the
// full-refresh table holds either nothing or all of its rows; after the
// final run every table has exactly one row per record the simulator has.
func TestSyncKillAndResumeSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process; skipped with -short")
	}
	k := newKillRun(t, 43, "sqlite")
	srv, stateDir, out, start := k.srv, k.stateDir, k.out, k.start
	dbPath := filepath.Join(out, sqlite.FileName)
	personsWant := len(srv.Records("persons"))
	// The database and its WAL grow with every page written.
	size := func() int64 { return fileSize(dbPath) + fileSize(dbPath+"-wal") }
	var stderrs []string
	for i, grow := range []int64{1, 500_000, 1_500_000, 1_500_000, 2_000_000, 1_500_000} {
		target := size() + grow
		stderrs = append(stderrs, k.killWhen(i, fmt.Sprintf("the database reached %d bytes", target), func() bool { return size() >= target }))
		if data, err := os.ReadFile(filepath.Join(stateDir, "main", "state.json")); err == nil {
			if _, err := airbyte.ParseState(data); err != nil {
				t.Fatalf("kill %d: state.json damaged: %v", i, err)
			}
		}
		db := openDB(t, dbPath)
		deals, _ := count(t, db, "deals")
		t.Logf("kill %d at %d bytes: %d deals committed", i, target, deals)
		if got := queryString(t, db, "PRAGMA integrity_check"); got != "ok" {
			t.Fatalf("kill %d: integrity_check: %s", i, got)
		}
		if n, ok := count(t, db, "persons"); ok && n != 0 && n != personsWant {
			t.Fatalf("kill %d: persons has %d rows, want 0 or %d (a full refresh is all or nothing)", i, n, personsWant)
		}
		db.Close()
	}

	_, errb, done := start()
	if err := <-done; err != nil {
		t.Fatalf("final run: %v\n%s", err, errb.String())
	}
	stderrs = append(stderrs, errb.String())
	db := openDB(t, dbPath)
	defer db.Close()
	for _, s := range killStreams {
		want := map[string]bool{}
		for _, r := range apiRecordsFor(t, srv, s) {
			want[strings.Trim(string(mustID(t, r)), `"`)] = true
		}
		rows, err := db.Query(fmt.Sprintf(`SELECT CAST(id AS TEXT) FROM %q`, s))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		n := 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got[id] = true
			n++
		}
		rows.Close()
		if n != len(want) || len(got) != len(want) {
			t.Errorf("%s: %d rows (%d distinct), the simulator has %d records", s, n, len(got), len(want))
		}
		for id := range want {
			if !got[id] {
				t.Errorf("%s: record %s missing", s, id)
				break
			}
		}
		t.Logf("%s: %d rows", s, n)
	}
	// A run killed before its row was committed has none.
	outcomes := queryString(t, db, `SELECT group_concat(outcome) FROM (SELECT outcome FROM _pdx_runs ORDER BY run_id)`)
	t.Logf("runs: %s", outcomes)
	if got := queryString(t, db, `SELECT group_concat(outcome) FROM (SELECT outcome FROM _pdx_runs ORDER BY run_id)`); !strings.HasSuffix(got, "killed,complete") || strings.Contains(got, "running") {
		t.Errorf("_pdx_runs outcomes = %s, want killed ones, then complete", got)
	}
	assertNoToken(t, srv.Token(), []string{k.cfgDir, stateDir, out}, strings.Join(stderrs, "\n"))
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func queryString(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

// count is the rows of table (ok false when it does not exist yet).
func count(t *testing.T, db *sql.DB, table string) (int, bool) {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		return 0, false
	}
	if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %q`, table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n, true
}
