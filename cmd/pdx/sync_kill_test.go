package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// pdxBin is the real binary, built once per test binary (the tests only
// run it; TestMain removes its directory).
var pdxBin struct {
	once      sync.Once
	dir, path string
	out       []byte
	err       error
}

// buildPDX builds the real binary on first use and returns its path.
func buildPDX(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build the pdx binary for the kill test")
	}
	pdxBin.once.Do(func() {
		if pdxBin.dir, pdxBin.err = os.MkdirTemp("", "pdx-test-bin-"); pdxBin.err != nil {
			return
		}
		pdxBin.path = filepath.Join(pdxBin.dir, "pdx")
		pdxBin.out, pdxBin.err = exec.Command(gobin, "build", "-o", pdxBin.path, ".").CombinedOutput()
	})
	if pdxBin.err != nil {
		t.Fatalf("go build: %v\n%s", pdxBin.err, pdxBin.out)
	}
	return pdxBin.path
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// TestSyncKillAndResume kills a real `pdx sync --no-tui` with SIGKILL at
// several points (each when an output file has grown by some bytes, watched
// by polling), runs it again, and finally checks that every record the
// simulator has is in the files, that no line is torn, that duplicates stay
// at the inclusive boundary, and that the full-refresh file was never half
// written.
func TestSyncKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process; skipped with -short")
	}
	k := newKillRun(t, 41, "jsonl")
	srv, stateDir, out, start := k.srv, k.stateDir, k.out, k.start
	personsWant := len(srv.Records("persons"))
	var stderrs []string

	// size is one output file's size, or with file "" the sum of all of
	// them (partial files included), which grows in every run until the
	// last one: the full-refresh stream is rewritten each time.
	size := func(file string) int64 {
		if file != "" {
			return fileSize(filepath.Join(out, file))
		}
		var n int64
		ents, _ := os.ReadDir(out)
		for _, e := range ents {
			n += fileSize(filepath.Join(out, e.Name()))
		}
		return n
	}
	kills := []struct {
		file string
		grow int64
	}{
		{"", 1},                       // the very first bytes
		{"", 250_000},                 // mid-page of whichever streams run
		{".persons.jsonl.partial", 1}, // during the full refresh
		{"", 700_000},
		{"", 400_000},
		{"", 800_000},
	}
	for i, kl := range kills {
		target := size(kl.file) + kl.grow
		stderrs = append(stderrs, k.killWhen(i, fmt.Sprintf("%q reached %d bytes", kl.file, target), func() bool { return size(kl.file) >= target }))
		// Whatever the moment: the state file parses and the full-refresh
		// file is absent or complete.
		if data, err := os.ReadFile(filepath.Join(stateDir, "main", "state.json")); err == nil {
			if _, err := airbyte.ParseState(data); err != nil {
				t.Fatalf("kill %d: state.json damaged: %v", i, err)
			}
		}
		if data, err := os.ReadFile(filepath.Join(out, "persons.jsonl")); err == nil {
			if n := bytes.Count(data, []byte("\n")); n != personsWant || data[len(data)-1] != '\n' {
				t.Fatalf("kill %d: persons.jsonl is half written (%d lines, want %d)", i, n, personsWant)
			}
		}
	}

	_, errb, done := start()
	if err := <-done; err != nil {
		t.Fatalf("final run: %v\n%s", err, errb.String())
	}
	stderrs = append(stderrs, errb.String())
	all := strings.Join(stderrs, "\n")
	t.Logf("repairs reported: %d", strings.Count(all, "removed "))

	totalDup := 0
	for _, s := range killStreams {
		lines := fileLines(t, filepath.Join(out, s+".jsonl"))
		want := map[string]string{}
		for _, r := range apiRecordsFor(t, srv, s) {
			want[string(mustID(t, r))] = string(r)
		}
		got := dedupeLast(t, lines)
		if len(got) != len(want) {
			t.Errorf("%s: %d distinct records, the simulator has %d", s, len(got), len(want))
		}
		for id, rec := range want {
			if got[id] != rec {
				t.Errorf("%s: record %s missing or different", s, id)
				break
			}
		}
		for _, l := range lines {
			if !json.Valid([]byte(l)) {
				t.Errorf("%s: invalid line %q", s, l)
			}
		}
		dup := len(lines) - len(got)
		totalDup += dup
		t.Logf("%s: %d lines, %d records, %d duplicates", s, len(lines), len(got), dup)
		// Each resume re-reads at most the records sharing the saved
		// cursor's second (the inclusive boundary).
		if dup > 2*len(kills) {
			t.Errorf("%s: %d duplicates after %d kills: more than the inclusive boundary explains", s, dup, len(kills))
		}
		if _, err := os.Stat(filepath.Join(out, "."+s+".jsonl.partial")); err == nil {
			t.Errorf("%s: a partial file is left after a complete run", s)
		}
	}
	t.Logf("total duplicates after %d kills: %d", len(kills), totalDup)
	assertNoToken(t, srv.Token(), []string{k.cfgDir, stateDir, out}, all)
}

// killRun is a profile syncing deals, persons (full refresh), notes and
// activities from a simulator into a directory with the real binary.
type killRun struct {
	t                     *testing.T
	bin                   string
	srv                   *pipedrivetest.Server
	cfgDir, stateDir, out string
	env                   []string
}

var killStreams = []string{"deals", "persons", "notes", "activities"}

func newKillRun(t *testing.T, seed int64, format string) *killRun {
	t.Helper()
	k := &killRun{t: t, bin: buildPDX(t)}
	k.srv = pipedrivetest.NewServer(pipedrivetest.Options{Seed: seed, Scale: 2000, Plan: pipedrivetest.PlanUltimate, Latency: 10 * time.Millisecond})
	t.Cleanup(k.srv.Close)
	root := t.TempDir()
	k.cfgDir, k.stateDir, k.out = filepath.Join(root, "config"), filepath.Join(root, "state"), filepath.Join(root, "out")
	os.MkdirAll(k.cfgDir, 0o700)
	cfg := fmt.Sprintf("default_profile = \"main\"\n[profiles.main]\nauth_type = \"token\"\napi_base_url = %q\nout_dir = %q\nformat = %q\nstreams = [\"deals\", \"persons\", \"notes\", \"activities\"]\nmode = \"incremental\"\n[profiles.main.stream_modes]\npersons = \"full\"\n", k.srv.URL(), k.out, format)
	if err := os.WriteFile(filepath.Join(k.cfgDir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	k.env = append(os.Environ(), "PDX_CONFIG_DIR="+k.cfgDir, "PDX_STATE_DIR="+k.stateDir, "PDX_NO_KEYRING=1",
		"PIPEDRIVE_API_TOKEN="+k.srv.Token(), "HOME="+root, "XDG_CONFIG_HOME="+root, "XDG_STATE_HOME="+root)
	return k
}

// start runs `pdx sync --no-tui`; done receives its exit.
func (k *killRun) start() (*exec.Cmd, *bytes.Buffer, chan error) {
	cmd := exec.Command(k.bin, "sync", "--no-tui")
	cmd.Env = k.env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, &errb, done
}

// killWhen starts a sync, sends it SIGKILL as soon as reached says so
// (polled every millisecond) and returns its stderr. The run finishing
// first, or reached never holding, fails the test.
func (k *killRun) killWhen(i int, what string, reached func() bool) string {
	k.t.Helper()
	cmd, errb, done := k.start()
	awaitRun(k.t, cmd, errb, done, fmt.Sprintf("kill %d: ", i)+what, reached)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		k.t.Fatal(err)
	}
	<-done
	return errb.String()
}

// awaitRun polls reached every millisecond while the run goes on; the run
// finishing first, or 60 s passing, fails the test (what says what was
// awaited).
func awaitRun(t *testing.T, cmd *exec.Cmd, errb *bytes.Buffer, done chan error, what string, reached func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("%s: pdx finished (%v) first; stderr:\n%s", what, err, errb.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("%s: not within 60s", what)
		case <-tick.C:
			if reached() {
				return
			}
		}
	}
}

func mustID(t *testing.T, rec json.RawMessage) json.RawMessage {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(rec, &v); err != nil || v.ID == nil {
		t.Fatalf("record without id: %s", rec)
	}
	return v.ID
}

// TestSyncInterruptSavesState: Ctrl-C (SIGINT) stops the run cleanly: exit
// 1, a message saying the state is saved, and the next run continues.
func TestSyncInterruptSavesState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals a real process; skipped with -short")
	}
	bin := buildPDX(t)
	srv := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 42, Scale: 2000, Plan: pipedrivetest.PlanUltimate, Latency: 10 * time.Millisecond})
	t.Cleanup(srv.Close)
	root := t.TempDir()
	cfgDir, stateDir, out := filepath.Join(root, "config"), filepath.Join(root, "state"), filepath.Join(root, "out")
	os.MkdirAll(cfgDir, 0o700)
	cfg := fmt.Sprintf("[profiles.default]\napi_base_url = %q\nout_dir = %q\nstreams = [\"deals\", \"activities\"]\n", srv.URL(), out)
	os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte(cfg), 0o600)
	env := append(os.Environ(), "PDX_CONFIG_DIR="+cfgDir, "PDX_STATE_DIR="+stateDir, "PDX_NO_KEYRING=1", "PIPEDRIVE_API_TOKEN="+srv.Token())

	cmd := exec.Command(bin, "sync", "--no-tui")
	cmd.Env = env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	awaitRun(t, cmd, &errb, done, "deals.jsonl has bytes", func() bool { return fileSize(filepath.Join(out, "deals.jsonl")) > 0 })
	cmd.Process.Signal(os.Interrupt)
	err := <-done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
		t.Fatalf("exit = %v, want %d; stderr:\n%s", err, exitFailure, errb.String())
	}
	if !strings.Contains(errb.String(), "state saved") && !strings.Contains(errb.String(), "state is saved") {
		t.Errorf("stderr does not say the state is saved:\n%s", errb.String())
	}
	if _, err := os.Stat(destStatePath(t, stateDir, "default", "jsonl", out)); err != nil {
		t.Fatalf("no state saved: %v", err)
	}
	again := exec.Command(bin, "sync", "--no-tui")
	again.Env = env
	if b, err := again.CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, b)
	}
	for _, s := range []string{"deals", "activities"} {
		if got, want := len(dedupeLast(t, fileLines(t, filepath.Join(out, s+".jsonl")))), len(apiRecordsFor(t, srv, s)); got != want {
			t.Errorf("%s: %d records after resume, want %d", s, got, want)
		}
	}
}
