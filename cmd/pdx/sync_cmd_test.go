package main

import (
	"bufio"
	"encoding/json"
	"github.com/pdxhq/pdx/app"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s ends in a torn line", path)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestSyncHeadless(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 21, Scale: 300})
	e.writeConfig(t, `streams = ["persons", "notes"]`, `format = "csv"`, `out_dir = "`+e.out+`"`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	// No --no-tui: stdout is not a terminal, so the run is headless; the
	// command line overrides the profile's format and streams.
	r := pdxCLI(t, "", "sync", "--format", "jsonl", "--streams", "persons,pipelines")
	if r.code != exitOK {
		t.Fatalf("sync: %d\n%s", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout should stay empty, got %q", r.stdout)
	}
	for _, want := range []string{"persons: started", "persons: done", "STREAM", "total", "output: 2 files in " + e.out, "state: " + destStatePath(t, e.stateDir, "main", "jsonl", e.out)} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	got := fileLines(t, filepath.Join(e.out, "persons.jsonl"))
	want := e.srv.Records("persons")
	if len(got) != len(want) {
		t.Fatalf("persons: %d lines, want %d", len(got), len(want))
	}
	if _, err := os.Stat(filepath.Join(e.out, "notes.csv")); !os.IsNotExist(err) {
		t.Error("profile's streams/format used despite the flags")
	}
	assertNoToken(t, e.srv.Token(), []string{e.cfg, e.stateDir, e.out}, r.stdout, r.stderr)
}

func TestSyncAirbyteToStdout(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 22, Scale: 50})
	e.writeConfig(t)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	r := pdxCLI(t, "", "sync", "--no-tui", "--format", "airbyte", "--out", "-", "--streams", "deals")
	if r.code != exitOK {
		t.Fatalf("sync: %d\n%s", r.code, r.stderr)
	}
	types := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m struct{ Type string }
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line is not a protocol message: %q", sc.Text())
		}
		types[m.Type]++
	}
	if types["RECORD"] == 0 || types["STATE"] == 0 || types["TRACE"] == 0 {
		t.Errorf("message types: %v", types)
	}
	if !strings.Contains(r.stderr, "Airbyte messages on stdout") {
		t.Errorf("summary: %s", r.stderr)
	}
}

func TestSyncErrors(t *testing.T) {
	tests := []struct {
		name   string
		config []string // nil: no config file
		raw    string   // raw config.toml content instead
		env    bool     // set PIPEDRIVE_API_TOKEN
		args   []string
		code   int
		want   string
	}{
		{"bad mode", []string{}, "", true, []string{"--mode", "sometimes"}, exitUsage, `--mode "sometimes"`},
		{"bad format", []string{}, "", true, []string{"--format", "xml"}, exitUsage, `--format "xml"`},
		{"unknown stream", []string{}, "", true, []string{"--streams", "dealz"}, exitUsage, `unknown stream "dealz"`},
		{"stdout needs airbyte", []string{}, "", true, []string{"--out", "-"}, exitUsage, "needs --format airbyte"},
		{"bad start date", []string{}, "", true, []string{"--start-date", "soon"}, exitUsage, "--start-date"},
		{"bad config", nil, "[profiles.main\n", true, nil, exitFailure, "config.toml is not valid TOML"},
		{"no profile", nil, "", false, nil, exitFailure, `profile "default" does not exist: run 'pdx auth login`},
		{"not logged in", []string{}, "", false, nil, exitFailure, `profile "main" is not logged in`},
		{"unwritable out", []string{}, "", true, []string{"--out", "/dev/null/out"}, exitFailure, "output directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSyncEnv(t, pipedrivetest.Options{Seed: 23, Scale: 20})
			switch {
			case tt.raw != "":
				os.MkdirAll(e.cfg, 0o700)
				os.WriteFile(filepath.Join(e.cfg, "config.toml"), []byte(tt.raw), 0o600)
			case tt.config != nil:
				e.writeConfig(t, append(tt.config, `out_dir = "`+e.out+`"`, `streams = ["pipelines"]`)...)
			}
			if tt.env {
				t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
			}
			r := pdxCLI(t, "", append([]string{"sync", "--no-tui"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("code %d, stderr:\n%s\nwant code %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
			if n := len(e.srv.Requests()); n != 0 {
				t.Errorf("%d API requests spent on a run that could not start", n)
			}
		})
	}
}

func TestSyncBudgetExhaustedExit3(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 24, Scale: 2000, DailyBudget: 25})
	e.writeConfig(t, `out_dir = "`+e.out+`"`, `streams = ["deals"]`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	r := pdxCLI(t, "", "sync", "--no-tui")
	if r.code != exitBudget {
		t.Fatalf("code %d, want %d\n%s", r.code, exitBudget, r.stderr)
	}
	for _, want := range []string{"budget is used up; state is saved", "resets at"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	show := pdxCLI(t, "", "state", "show", "--json")
	if show.code != exitOK || !strings.Contains(show.stdout, `"name": "deals"`) {
		t.Errorf("no deals state saved: %d %s %s", show.code, show.stdout, show.stderr)
	}
}

func TestSyncDemo(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 1, Scale: 1})
	r := pdxCLI(t, "", "--demo", "sync", "--no-tui", "--streams", "pipelines,stages", "--format", "csv", "--out", e.out)
	if r.code != exitOK {
		t.Fatalf("demo sync: %d\n%s", r.code, r.stderr)
	}
	for _, f := range []string{"pipelines.csv", "stages.csv"} {
		if _, err := os.Stat(filepath.Join(e.out, f)); err != nil {
			t.Error(err)
		}
	}
	// The demo touches no profile: nothing in the config dir, and in the
	// state dir only its own "demo" profile (it carries on between runs).
	if _, err := os.Stat(e.cfg); !os.IsNotExist(err) {
		t.Errorf("the demo wrote to %s", e.cfg)
	}
	ents, _ := os.ReadDir(e.stateDir)
	for _, ent := range ents {
		if ent.Name() != app.DemoProfile {
			t.Errorf("the demo wrote %s into the state dir", ent.Name())
		}
	}
}

// dedupeLast keeps each id's last line, as the docs tell users to.
func dedupeLast(t *testing.T, lines []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range lines {
		var v struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.ID == nil {
			t.Fatalf("bad line %q", l)
		}
		m[string(v.ID)] = l
	}
	return m
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
