package state

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/store/atomicfile"
	"github.com/pdxhq/pdx/store/output"
)

func writeStateFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, "acme", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadRefuses: files that cannot be used are errors naming the file and
// the way out ('pdx state reset'), including a saved cursor the next sync
// could not read and files too large to be pdx's (read no further than the
// cap, instead of hundreds of MB of memory).
func TestLoadRefuses(t *testing.T) {
	huge := `[` + strings.Repeat(" ", MaxFileSize) + `]`
	cases := []struct {
		name, file, content string
		want                []string
		is                  error
	}{
		{"garbage cursor", "state.json", `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"yesterday"}}}]`, []string{"deals", `"yesterday"`}, nil},
		{"cursor of the wrong type", "state.json", `{"persons":{"update_time":17}}`, []string{"persons"}, nil},
		{"state over the cap", "state.json", huge, []string{"too large"}, atomicfile.ErrTooLarge},
		{"run record over the cap", "run.json", `{"counts":{}` + strings.Repeat(" ", MaxFileSize) + `}`, []string{"too large"}, atomicfile.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeStateFile(t, dir, tc.file, tc.content)
			_, err := OpenDir(dir).Load("acme")
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range append(tc.want, path, "pdx state reset --profile acme") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
	// A good cursor of an unknown stream, and the old keys, still load.
	dir := t.TempDir()
	writeStateFile(t, dir, "state.json", `{"deals":{"update_time":"2017-06-01 10:10:10"},"files":{"modified":"2024-01-01"},"gone":{"x":1}}`)
	if _, err := OpenDir(dir).Load("acme"); err != nil {
		t.Fatal(err)
	}
}

// TestUnsavedCheckpointIsReported: a checkpoint that cannot be written
// says why (the path and the OS error) and FinishRun reports it too, so
// the run cannot end as "state saved"; a later good checkpoint clears it.
func TestUnsavedCheckpointIsReported(t *testing.T) {
	dir := t.TempDir()
	p, err := OpenDir(dir).Load("acme")
	if err != nil {
		t.Fatal(err)
	}
	// A non-empty directory where state.json goes: the rename fails, as a
	// full or read-only state dir fails the write (and it does as root).
	if err := os.MkdirAll(filepath.Join(p.StatePath(), "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	st := json.RawMessage(`{"update_time":"2024-01-01T00:00:00Z"}`)
	err = p.Checkpoint("deals", st, nil)
	if err == nil || !strings.Contains(err.Error(), p.StatePath()) || !strings.Contains(err.Error(), "not saved") {
		t.Fatalf("checkpoint: %v", err)
	}
	ferr := p.FinishRun(time.Now(), map[string]int64{"deals": 1})
	if ferr == nil || !strings.Contains(ferr.Error(), "deals") || !strings.Contains(ferr.Error(), p.StatePath()) {
		t.Fatalf("FinishRun after an unsaved checkpoint: %v", ferr)
	}
	if err := os.RemoveAll(p.StatePath()); err != nil {
		t.Fatal(err)
	}
	if err := p.Checkpoint("deals", st, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishRun(time.Now(), nil); err != nil {
		t.Fatalf("FinishRun after the state was saved again: %v", err)
	}
}

// TestResetTakesTheSyncLock: while a sync holds the profile's lock, Reset
// and Remove refuse and change nothing; afterwards Reset works on the files
// as they are then (a checkpoint made since Load is not undone).
func TestResetTakesTheSyncLock(t *testing.T) {
	dir := t.TempDir()
	s := OpenDir(dir)
	p, err := s.Load("acme")
	if err != nil {
		t.Fatal(err)
	}
	sync, err := s.Load("acme")
	if err != nil {
		t.Fatal(err)
	}
	release, err := output.Lock(filepath.Dir(p.StatePath())) // what store/job takes
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"deals", "persons"} {
		if err := sync.Checkpoint(s, json.RawMessage(`{"update_time":"2024-01-01T00:00:00Z"}`), nil); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile(p.StatePath())
	if _, err := p.Reset(); !errors.Is(err, ErrSyncing) {
		t.Fatalf("Reset during a sync: %v", err)
	}
	if _, err := s.Remove("acme"); !errors.Is(err, ErrSyncing) {
		t.Fatalf("Remove during a sync: %v", err)
	}
	if after, _ := os.ReadFile(p.StatePath()); string(after) != string(before) {
		t.Fatalf("state changed while locked:\n%s\n%s", before, after)
	}
	release()
	had, err := p.Reset("deals")
	if err != nil || len(had) != 1 || had[0] != "deals" {
		t.Fatalf("Reset after the sync: %v, %v", had, err)
	}
	again, err := s.Load("acme")
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Streams(); len(got) != 1 || got["persons"] == nil {
		t.Fatalf("after reset of deals: %v (persons, saved after Load, must stay)", got)
	}
}
