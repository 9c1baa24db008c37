package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func TestStateShowReset(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 31, Scale: 200})
	e.writeConfig(t, `out_dir = "`+e.out+`"`, `streams = ["deals", "persons"]`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	if r := pdxCLI(t, "", "state", "show"); r.code != exitOK || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("empty state: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := pdxCLI(t, "", "sync", "--no-tui"); r.code != exitOK {
		t.Fatalf("sync: %s", r.stderr)
	}
	show := pdxCLI(t, "", "state", "show")
	st, err := airbyte.ParseState([]byte(show.stdout))
	if show.code != exitOK || err != nil || len(st) != 2 {
		t.Fatalf("state show: %d %v %q", show.code, err, show.stdout)
	}
	if !strings.Contains(show.stderr, "last run") || !strings.Contains(show.stderr, "deals ") {
		t.Errorf("show stderr: %q", show.stderr)
	}
	one := pdxCLI(t, "", "state", "show", "--stream", "deals")
	if st, _ := airbyte.ParseState([]byte(one.stdout)); len(st) != 1 || st["deals"] == nil {
		t.Errorf("show --stream deals: %q", one.stdout)
	}
	if r := pdxCLI(t, "", "state", "show", "--stream", "leads"); r.code != exitFailure || !strings.Contains(r.stderr, "no state for stream \"leads\"") {
		t.Errorf("show unknown: %d %q", r.code, r.stderr)
	}

	// Reset one stream: the next sync rewrites its file in full (no
	// duplicates), the other stream appends only its boundary.
	before := len(fileLines(t, filepath.Join(e.out, "deals.jsonl")))
	if r := pdxCLI(t, "", "state", "reset", "--stream", "deals"); r.code != exitOK || !strings.Contains(r.stdout, "Reset the state of deals") {
		t.Fatalf("reset: %d %q", r.code, r.stdout)
	}
	if r := pdxCLI(t, "", "sync", "--no-tui"); r.code != exitOK {
		t.Fatalf("sync after reset: %s", r.stderr)
	}
	if after := len(fileLines(t, filepath.Join(e.out, "deals.jsonl"))); after != before {
		t.Errorf("deals after reset: %d lines, want the %d of a full copy", after, before)
	}
	if r := pdxCLI(t, "", "state", "reset"); r.code != exitOK || !strings.Contains(r.stdout, "deals, persons") {
		t.Errorf("reset all: %q", r.stdout)
	}
	if r := pdxCLI(t, "", "state", "reset"); !strings.Contains(r.stdout, "had no saved state") {
		t.Errorf("reset of nothing: %q", r.stdout)
	}
	// A misspelt stream is a usage error, not a reset of nothing.
	for _, sub := range []string{"show", "reset"} {
		if r := pdxCLI(t, "", "state", sub, "--stream", "deal"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown stream "deal"`) {
			t.Errorf("state %s --stream deal: %d %q", sub, r.code, r.stderr)
		}
	}
}

func TestCorruptStateStopsSync(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 32, Scale: 50})
	e.writeConfig(t, `out_dir = "`+e.out+`"`, `streams = ["deals"]`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	if r := pdxCLI(t, "", "sync", "--no-tui"); r.code != exitOK {
		t.Fatalf("sync: %s", r.stderr)
	}
	statePath := destStatePath(t, e.stateDir, "main", "jsonl", e.out)
	if err := os.WriteFile(statePath, []byte(`[{"type":"STREAM","stream":`), 0o600); err != nil {
		t.Fatal(err)
	}
	dealsBefore, _ := os.ReadFile(filepath.Join(e.out, "deals.jsonl"))
	e.srv.ResetRequests()
	r := pdxCLI(t, "", "sync", "--no-tui")
	if r.code != exitFailure || !strings.Contains(r.stderr, statePath) || !strings.Contains(r.stderr, "pdx state reset --profile main") {
		t.Fatalf("corrupt state: %d\n%s", r.code, r.stderr)
	}
	if len(e.srv.Requests()) != 0 {
		t.Error("a corrupt state still started a sync")
	}
	dealsAfter, _ := os.ReadFile(filepath.Join(e.out, "deals.jsonl"))
	if string(dealsAfter) != string(dealsBefore) {
		t.Error("output changed by a run that refused to start")
	}
	if r := pdxCLI(t, "", "state", "reset", "--stream", "deals"); r.code != exitFailure || !strings.Contains(r.stderr, "reset whole") {
		t.Errorf("partial reset of a damaged file: %d %q", r.code, r.stderr)
	}
	if r := pdxCLI(t, "", "state", "reset"); r.code != exitOK || !strings.Contains(r.stdout, "Removed the damaged state") {
		t.Fatalf("reset: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := pdxCLI(t, "", "sync", "--no-tui"); r.code != exitOK {
		t.Fatalf("sync after reset: %s", r.stderr)
	}
	if got := len(fileLines(t, filepath.Join(e.out, "deals.jsonl"))); got != len(strings.Split(strings.TrimSpace(string(dealsBefore)), "\n")) {
		t.Errorf("after reset the file has %d lines", got)
	}
}

// TestFreshCSVAfterJSONL is issue 12 item 1 through the CLI: after a full
// JSONL sync, `pdx sync --no-tui --format csv --out ./fresh` writes every
// record, and `pdx state show --all` names both destinations.
func TestFreshCSVAfterJSONL(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 33, Scale: 200})
	e.writeConfig(t, `out_dir = "`+e.out+`"`, `streams = ["deals", "persons", "activities"]`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	if r := pdxCLI(t, "", "sync", "--no-tui"); r.code != exitOK {
		t.Fatalf("jsonl sync: %s", r.stderr)
	}
	jsonlState, err := os.ReadFile(destStatePath(t, e.stateDir, "main", "jsonl", e.out))
	if err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	if r := pdxCLI(t, "", "sync", "--no-tui", "--format", "csv", "--out", fresh); r.code != exitOK {
		t.Fatalf("csv sync: %s", r.stderr)
	}
	for _, s := range []string{"deals", "persons", "activities"} {
		j := len(fileLines(t, filepath.Join(e.out, s+".jsonl")))
		c := csvRows(t, filepath.Join(fresh, s+".csv"))
		if j == 0 || c != j || c != len(e.srv.Records(s)) {
			t.Errorf("%s: fresh CSV %d rows, JSONL %d lines, API %d", s, c, j, len(e.srv.Records(s)))
		}
	}
	after, _ := os.ReadFile(destStatePath(t, e.stateDir, "main", "jsonl", e.out))
	if string(after) != string(jsonlState) {
		t.Error("the CSV sync changed the JSONL destination's state")
	}
	r := pdxCLI(t, "", "state", "show", "--all")
	if r.code != exitOK || !strings.Contains(r.stderr, "jsonl in "+e.out) || !strings.Contains(r.stderr, "csv in "+fresh) {
		t.Errorf("state show --all: %d %q", r.code, r.stderr)
	}
	if r := pdxCLI(t, "", "state", "reset", "--format", "csv", "--out", fresh); r.code != exitOK || !strings.Contains(r.stdout, "csv in "+fresh) {
		t.Errorf("reset csv: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := pdxCLI(t, "", "state", "show"); r.code != exitOK || strings.TrimSpace(r.stdout) == "[]" {
		t.Errorf("the JSONL destination lost its state in a CSV reset: %q", r.stdout)
	}
}

// csvRows counts the data rows of a CSV file (fields may hold newlines).
func csvRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	return len(rows) - 1
}
