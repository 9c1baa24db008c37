package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
)

// complete runs `pdx __complete args...` in-process (cobra's machinery the
// shell scripts call) and returns the offered values (descriptions cut) and
// the directive line.
func complete(t *testing.T, args ...string) (values []string, directive string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"__complete"}, args...), strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errb.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, ":") {
			directive = line
			continue
		}
		v, _, _ := strings.Cut(line, "\t")
		values = append(values, v)
	}
	return values, directive
}

// Every flag that takes a name completes it from the registry that defines
// the names: the stream table, the format registry, the modes --mode
// accepts, the saved profiles, the sandbox's plans.
func TestFlagValueCompletion(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv(profile.EnvConfigDir, cfg)
	if err := os.WriteFile(filepath.Join(cfg, "config.toml"), []byte("default_profile = \"main\"\n[profiles.main]\nauth_type = \"token\"\n[profiles.work]\nauth_type = \"token\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prefixed := func(prefix string, names []string) []string {
		var out []string
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				out = append(out, n)
			}
		}
		return out
	}
	without := func(names []string, drop ...string) []string {
		var out []string
		for _, n := range names {
			if !slices.Contains(drop, n) {
				out = append(out, n)
			}
		}
		return out
	}
	join := func(head string, names []string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = head + n
		}
		return out
	}
	all := streams.Names()
	tests := []struct {
		name      string
		args      []string
		want      []string
		directive string
	}{
		{"--streams, nothing typed", []string{"sync", "--streams", ""}, all, ":6"},
		{"--streams, a prefix", []string{"sync", "--streams", "dea"}, prefixed("dea", all), ":6"},
		{"--streams after a comma completes the last name and skips listed ones",
			[]string{"sync", "--streams", "deals,pe"}, join("deals,", prefixed("pe", all)), ":6"},
		{"--streams after a trailing comma", []string{"sync", "--streams", "deals,notes,"},
			join("deals,notes,", without(all, "deals", "notes")), ":6"},
		{"--stream skips earlier --stream values", []string{"state", "show", "--stream", "deals", "--stream", "dea"},
			without(prefixed("dea", all), "deals"), ":6"},
		{"--stream of state reset", []string{"state", "reset", "--stream", ""}, all, ":6"},
		{"--format", []string{"sync", "--format", ""}, output.Names(), ":4"},
		{"--mode", []string{"sync", "--mode", ""}, []string{"incremental", "full"}, ":4"},
		{"--plan", []string{"sandbox", "--plan", ""}, []string{"lite", "growth", "premium", "ultimate"}, ":4"},
		{"--profile of sync", []string{"sync", "--profile", ""}, []string{"main", "work"}, ":4"},
		{"--profile of the UI", []string{"--profile", ""}, []string{"main", "work"}, ":4"},
		{"--profile of auth status (inherited)", []string{"auth", "status", "--profile", ""}, []string{"main", "work"}, ":4"},
		{"--profile of state show (inherited)", []string{"state", "show", "--profile", ""}, []string{"main", "work"}, ":4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dir := complete(t, tt.args...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("offered %q\nwant    %q", got, tt.want)
			}
			if dir != tt.directive {
				t.Errorf("directive %s, want %s", dir, tt.directive)
			}
		})
	}
}

// What is offered is what the flags accept.
func TestCompletedValuesAreAccepted(t *testing.T) {
	modes, _ := complete(t, "sync", "--mode", "")
	for _, m := range modes {
		if got, err := profile.ParseMode(m); err != nil || got == "" {
			t.Errorf("--mode offers %q, which ParseMode takes as (%q, %v)", m, got, err)
		}
	}
	plans, _ := complete(t, "sandbox", "--plan", "")
	for _, p := range plans {
		if _, err := sandboxOptions("127.0.0.1:0", 1, 1, p); err != nil {
			t.Errorf("--plan offers %q, refused: %v", p, err)
		}
	}
	formats, _ := complete(t, "sync", "--format", "")
	for _, f := range formats {
		if err := output.ValidFormat(f); err != nil {
			t.Errorf("--format offers %q, refused: %v", f, err)
		}
	}
}
