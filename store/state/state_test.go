package state

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/airbyte"
)

func TestCheckpointAndReload(t *testing.T) {
	s := OpenDir(t.TempDir())
	p, err := s.Load("acme")
	if err != nil {
		t.Fatalf("Load with no files: %v", err)
	}
	if len(p.Streams()) != 0 {
		t.Fatal("want no state")
	}
	// Concurrent checkpoints from several streams, as the engine does.
	var wg sync.WaitGroup
	for i, name := range []string{"deals", "persons", "organizations"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				st := json.RawMessage(`{"update_time":"2024-01-0` + string(rune('1'+j)) + `T00:00:00Z"}`)
				if err := p.Checkpoint(name, st, &Output{Path: "/o/" + name + ".jsonl", Size: int64(100*i + j)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := p.FinishRun(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), map[string]int64{"deals": 42}); err != nil {
		t.Fatal(err)
	}

	// state.json is exactly what `pdx read --state` takes.
	data, err := os.ReadFile(p.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := airbyte.ParseState(data)
	if err != nil {
		t.Fatalf("state.json is not a valid Airbyte state: %v\n%s", err, data)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, parsed["deals"]); err != nil || compact.String() != `{"update_time":"2024-01-05T00:00:00Z"}` {
		t.Errorf("deals state = %s (%v)", compact.String(), err)
	}
	var msgs []map[string]any
	if err := json.Unmarshal(data, &msgs); err != nil || len(msgs) != 3 || msgs[0]["type"] != "STREAM" {
		t.Errorf("state.json shape: %v %s", err, data)
	}

	q, err := s.Load("acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Streams()) != 3 {
		t.Errorf("reloaded %d streams", len(q.Streams()))
	}
	r := q.Run()
	if r.Counts["deals"] != 42 || r.Outputs["persons"].Size != 104 || r.LastRun.IsZero() {
		t.Errorf("run = %+v", r)
	}
	for _, f := range []string{p.StatePath(), p.RunPath()} {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, fi.Mode().Perm())
		}
	}

	had, err := q.Reset("deals", "nope")
	if err != nil || strings.Join(had, ",") != "deals" {
		t.Fatalf("Reset = %v %v", had, err)
	}
	z, _ := s.Load("acme")
	if _, ok := z.Streams()["deals"]; ok {
		t.Error("deals state survived reset")
	}
	if _, ok := z.Run().Outputs["deals"]; ok {
		t.Error("deals output survived reset")
	}
	if len(z.Streams()) != 2 {
		t.Errorf("reset removed other streams: %v", z.Streams())
	}
	if had, _ := z.Reset(); len(had) != 2 {
		t.Errorf("reset all reported %v", had)
	}
	if y, _ := s.Load("acme"); len(y.Streams()) != 0 {
		t.Error("state survived reset of all")
	}
}

func TestCorruptFiles(t *testing.T) {
	tests := []struct {
		name, file, content string
	}{
		{"state not json", "state.json", `[{"type":"STATE",`},
		{"state wrong shape", "state.json", `"hello"`},
		{"state bad message", "state.json", `[{"type":"NOPE"}]`},
		{"run not json", "run.json", `{"counts":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "acme", tt.file)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenDir(dir).Load("acme")
			if err == nil {
				t.Fatal("want an error, got a silent fresh state")
			}
			for _, want := range []string{path, "pdx state reset --profile acme"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestUnreadableStateIsAnError(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be cannot be read, even by root.
	if err := os.MkdirAll(filepath.Join(dir, "acme", "state.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(dir).Load("acme"); err == nil || !strings.Contains(err.Error(), "pdx state reset") {
		t.Fatalf("err = %v", err)
	}
}

func TestEphemeralWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvStateDir, dir)
	p := Ephemeral("demo")
	if err := p.Checkpoint("deals", json.RawMessage(`{"a":1}`), &Output{Path: "x", Size: 1}); err != nil {
		t.Fatal(err)
	}
	if string(p.Streams()["deals"]) != `{"a":1}` {
		t.Error("ephemeral state not kept in memory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("ephemeral state wrote %d entries", len(entries))
	}
}

func TestDir(t *testing.T) {
	tests := []struct {
		name, env, xdg, want string
	}{
		{"override", "/x/state", "/y", "/x/state"},
		{"xdg", "", "/y", "/y/pdx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvStateDir, tt.env)
			t.Setenv("XDG_STATE_HOME", tt.xdg)
			got, err := Dir()
			if err != nil || got != tt.want {
				t.Errorf("Dir() = %q %v, want %q", got, err, tt.want)
			}
		})
	}
	t.Run("home", func(t *testing.T) {
		t.Setenv(EnvStateDir, "")
		t.Setenv("XDG_STATE_HOME", "")
		t.Setenv("HOME", "/home/u")
		if got, _ := Dir(); got != "/home/u/.local/state/pdx" {
			t.Errorf("Dir() = %q", got)
		}
	})
}

func TestRemoveCorrupt(t *testing.T) {
	dir := t.TempDir()
	s := OpenDir(dir)
	if had, err := s.Remove("acme"); err != nil || had {
		t.Fatalf("Remove of nothing = %v %v", had, err)
	}
	os.MkdirAll(filepath.Join(dir, "acme"), 0o700)
	os.WriteFile(filepath.Join(dir, "acme", "state.json"), []byte("garbage"), 0o600)
	if _, err := s.Load("acme"); err == nil {
		t.Fatal("corrupt state loaded")
	}
	if had, err := s.Remove("acme"); err != nil || !had {
		t.Fatalf("Remove = %v %v", had, err)
	}
	if p, err := s.Load("acme"); err != nil || len(p.Streams()) != 0 {
		t.Fatalf("after Remove: %v", err)
	}
}

func TestResumeSizeSurvivesCrashBetweenFiles(t *testing.T) {
	s := OpenDir(t.TempDir())
	p, _ := s.Load("acme")
	st1, st2 := json.RawMessage(`{"c": "2024-01-01"}`), json.RawMessage(`{"c":"2024-02-01"}`)
	if err := p.Checkpoint("deals", st1, &Output{Path: "/o/deals.jsonl", Size: 100}); err != nil {
		t.Fatal(err)
	}
	afterFirst, _ := os.ReadFile(p.StatePath())
	if err := p.Checkpoint("deals", st2, &Output{Path: "/o/deals.jsonl", Size: 250}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		crash bool // state.json still holds the first checkpoint
		path  string
		want  int64
	}{
		{"both written", false, "/o/deals.jsonl", 250},
		{"crash between run.json and state.json", true, "/o/deals.jsonl", 100},
		{"another file", false, "/other/deals.jsonl", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.crash {
				if err := os.WriteFile(p.StatePath(), afterFirst, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			q, err := s.Load("acme")
			if err != nil {
				t.Fatal(err)
			}
			if got := q.ResumeSize("deals", tt.path); got != tt.want {
				t.Errorf("ResumeSize = %d, want %d", got, tt.want)
			}
			if got := q.ResumeSize("persons", tt.path); got != -1 {
				t.Errorf("unknown stream: %d", got)
			}
		})
	}
}
