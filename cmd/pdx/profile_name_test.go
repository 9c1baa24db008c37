package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/output"
)

// TestProfileNameTraversal: a profile name that would reach outside pdx's
// directories is refused with exit 2 by every command, from the flag or
// from the config's default_profile, and touches nothing outside.
func TestProfileNameTraversal(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 5, Scale: 20})
	root := filepath.Dir(e.stateDir)
	victim := filepath.Join(root, "victim", "state.json")
	if err := os.MkdirAll(filepath.Dir(victim), 0o700); err != nil {
		t.Fatal(err)
	}
	const garbage = "not a state file"
	if err := os.WriteFile(victim, []byte(garbage), 0o600); err != nil {
		t.Fatal(err)
	}
	e.writeConfig(t, `out_dir = "`+e.out+`"`, `streams = ["users"]`)
	// No token: without the check, sync stops at "profile does not exist"
	// (exit 1) instead of reaching for the default API host.
	cases := []struct {
		name string
		cfg  string // replaces the config's default_profile when set
		args []string
	}{
		{"state reset", "", []string{"state", "reset", "--profile", "../victim"}},
		{"state show", "", []string{"state", "show", "--profile", "../victim"}},
		{"sync", "", []string{"sync", "--no-tui", "--profile", "../pwn"}},
		{"sync absolute", "", []string{"sync", "--no-tui", "--profile", "/tmp/pwn"}},
		{"auth logout", "", []string{"auth", "logout", "--profile", "../victim"}},
		{"default_profile in the config", "../pwn", []string{"sync", "--no-tui"}},
		{"default_profile, state reset", "../victim", []string{"state", "reset"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg != "" {
				body := "default_profile = \"" + tc.cfg + "\"\n"
				if err := os.WriteFile(filepath.Join(e.cfg, "config.toml"), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				defer e.writeConfig(t, `out_dir = "`+e.out+`"`, `streams = ["users"]`)
			}
			r := pdxCLI(t, "", tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "invalid profile name") {
				t.Errorf("exit %d, stderr %q; want exit %d naming the invalid profile name", r.code, r.stderr, exitUsage)
			}
			if b, err := os.ReadFile(victim); err != nil || string(b) != garbage {
				t.Fatalf("the victim's state.json was touched: %q, %v", b, err)
			}
			for _, p := range []string{filepath.Join(root, "pwn"), filepath.Join(e.stateDir, "tmp")} {
				if _, err := os.Stat(p); err == nil {
					t.Fatalf("%s was created outside the state directory", p)
				}
			}
		})
	}
}

// TestStateResetDuringSync: while a sync holds the profile's lock, `state
// reset` fails saying so, instead of printing success and being overwritten
// by the sync's next checkpoint.
func TestStateResetDuringSync(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 5, Scale: 20})
	e.writeConfig(t, `out_dir = "`+e.out+`"`)
	pdir := filepath.Join(e.stateDir, "main")
	st := `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"2024-01-01T00:00:00Z"}}}]`
	if err := os.MkdirAll(pdir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pdir, "state.json"), []byte(st), 0o600); err != nil {
		t.Fatal(err)
	}
	release, err := output.Lock(pdir) // the lock store/job holds during a sync
	if err != nil {
		t.Fatal(err)
	}
	r := pdxCLI(t, "", "state", "reset")
	release()
	if r.code != exitFailure || !strings.Contains(r.stderr, "sync of this profile is running") || strings.Contains(r.stdout, "Reset") {
		t.Fatalf("reset during a sync: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(pdir, "state.json")); string(b) != st {
		t.Fatalf("state changed: %s", b)
	}
	if r := pdxCLI(t, "", "state", "reset"); r.code != exitOK || !strings.Contains(r.stdout, "Reset the state of deals") {
		t.Fatalf("reset after the sync: %d %q %q", r.code, r.stdout, r.stderr)
	}
}
