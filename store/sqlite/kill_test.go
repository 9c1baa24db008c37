package sqlite

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
)

// The kill test runs a writer in a child process (this test binary again,
// told by an environment variable), kills it with SIGKILL right after it
// reports a given point, reopens the database and checks that everything
// committed is there and the file is consistent.

const killEnv = "PDX_SQLITE_KILL_CHILD"

const (
	killPages    = 500 // deals per page
	personsPages = 3   // pages of the persons full refresh
)

func killDeal(id int) string {
	return fmt.Sprintf(`{"id":%d,"title":"deal %d","value":%d,"update_time":"2026-01-01T00:00:00Z","notes":"%0300d"}`, id, id, id, id)
}

// TestKillChild is the child's body; it does nothing in a normal test run.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killEnv)
	if dir == "" {
		t.Skip("only run by TestKill9")
	}
	say := func(s string) { fmt.Fprintln(os.Stdout, s) }
	s, err := Open(ctx, Options{Dir: dir, Modes: map[string]engine.Mode{"persons": engine.FullRefresh}})
	if err != nil {
		t.Fatal(err)
	}
	say("opened")
	for i := 1; i <= 400; i++ {
		recs := make([]json.RawMessage, killPages)
		for j := range recs {
			recs[j] = json.RawMessage(killDeal((i-1)*killPages + j + 1))
		}
		emit(t, s, engine.Event{Kind: engine.Records, Stream: "deals", Records: recs}, ckpt("deals"))
		say("committed " + strconv.Itoa(i))
		switch i {
		case 3:
			for p := 0; p < personsPages; p++ {
				recs := make([]json.RawMessage, killPages)
				for j := range recs {
					recs[j] = json.RawMessage(fmt.Sprintf(`{"id":%d,"name":"new","update_time":"2026-01-02T00:00:00Z"}`, p*killPages+j+1))
				}
				emit(t, s, engine.Event{Kind: engine.Records, Stream: "persons", Records: recs})
			}
			emit(t, s, ckpt("persons"))
			say("persons staged")
		case 5:
			emit(t, s, done("persons"))
			say("persons complete")
		}
	}
	t.Fatal("the parent did not kill the child")
}

func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	points := []string{"opened", "committed 1", "committed 4", "persons staged", "persons complete", "committed 9"}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			// The previous run's persons: what an unfinished refresh must keep.
			old := make([]string, 10)
			for i := range old {
				old[i] = fmt.Sprintf(`{"id":%d,"name":"old","update_time":"2026-01-01T00:00:00Z"}`, i+1)
			}
			run(t, dir, "persons", engine.FullRefresh, t0, old)

			cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), killEnv+"="+dir)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			committed, personsDone, killed := 0, false, false
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				if n, ok := strings.CutPrefix(line, "committed "); ok {
					committed, _ = strconv.Atoi(n)
				}
				if line == "persons complete" {
					personsDone = true
				}
				if line == point {
					// The child is already writing its next page.
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					killed = true
					break
				}
			}
			cmd.Wait()
			if !killed {
				t.Fatalf("the child ended before %q", point)
			}

			// Reopening repairs what the kill left (a stale stage table).
			s := open(t, dir, nil, t0)
			if err := s.Finish(nil); err != nil {
				t.Fatal(err)
			}
			equal(t, "integrity", query(t, dir, "PRAGMA integrity_check"), []string{"ok"})
			inFile := "0"
			if one(t, dir, "SELECT count(*) FROM sqlite_schema WHERE name = 'deals'") == "0" {
				if committed > 0 {
					t.Fatalf("after %d committed pages the deals table is missing", committed)
				}
			} else {
				inFile = one(t, dir, "SELECT count(*) FROM deals")
				want := committed * killPages
				got := one(t, dir, "SELECT count(*) FROM deals WHERE id <= ?", want)
				if got != strconv.Itoa(want) {
					t.Fatalf("after %d committed pages: %s of the %d committed deals are there", committed, got, want)
				}
				// Every row is whole (no torn values), and each deal has
				// exactly one current version in its history. Before the
				// first commit the table may exist without the columns a
				// record adds (its DDL can outlive a killed page).
				if committed > 0 {
					equal(t, "bad rows", query(t, dir, "SELECT id FROM deals WHERE title IS NOT 'deal ' || id OR value IS NOT id OR length(notes) != 300"), nil)
					equal(t, "current versions", query(t, dir, "SELECT count(*) = (SELECT count(*) FROM deals) FROM deals_history WHERE _pdx_valid_to IS NULL"), []string{"1"})
				}
			}
			// persons: the previous content or the new one, never a mix.
			persons := one(t, dir, "SELECT count(*) || '|' || group_concat(DISTINCT name) FROM persons")
			switch {
			case persons == "1500|new":
			case persons == "10|old" && !personsDone:
			default:
				t.Fatalf("persons after the kill: %s (refresh completed: %v)", persons, personsDone)
			}
			equal(t, "stage dropped", query(t, dir, "SELECT name FROM sqlite_schema WHERE name LIKE '_pdx_stage%'"), nil)
			equal(t, "killed run recorded", query(t, dir, "SELECT outcome FROM _pdx_runs ORDER BY run_id"), []string{"complete", "killed", "complete"})
			t.Logf("killed after %q: %d pages committed, %s deals in the file, persons %s", point, committed, inFile, persons)
		})
	}
}
