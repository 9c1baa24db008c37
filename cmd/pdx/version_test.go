package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name         string
		v, c, d      string
		bi           *debug.BuildInfo
		wantV, wantC string
		wantD        string
	}{
		{
			name: "no build info keeps the defaults",
			v:    "dev", c: "none", d: "unknown",
			wantV: "dev", wantC: "none", wantD: "unknown",
		},
		{
			name: "ldflags win over build info",
			v:    "1.2.3", c: "abc123", d: "2026-11-27T00:00:00Z",
			bi:    &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: vcs("vcs.revision", "fff", "vcs.time", "2020-01-01T00:00:00Z")},
			wantV: "1.2.3", wantC: "abc123", wantD: "2026-11-27T00:00:00Z",
		},
		{
			name: "go install module@version",
			v:    "dev", c: "none", d: "unknown",
			bi:    &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			wantV: "v1.4.0", wantC: "none", wantD: "unknown",
		},
		{
			name: "go build in a checkout",
			v:    "dev", c: "none", d: "unknown",
			bi:    &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", "deadbeef", "vcs.time", "2026-11-26T10:00:00Z", "vcs.modified", "false")},
			wantV: "dev", wantC: "deadbeef", wantD: "2026-11-26T10:00:00Z",
		},
		{
			name: "dirty checkout is marked",
			v:    "dev", c: "none", d: "unknown",
			bi:    &debug.BuildInfo{Settings: vcs("vcs.revision", "deadbeef", "vcs.modified", "true")},
			wantV: "dev", wantC: "deadbeef-dirty", wantD: "unknown",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolveVersion(tt.v, tt.c, tt.d, tt.bi)
			if got.Version != tt.wantV || got.Commit != tt.wantC || got.Date != tt.wantD {
				t.Errorf("resolveVersion = %+v, want {%s %s %s}", got, tt.wantV, tt.wantC, tt.wantD)
			}
		})
	}
}

// The version command and the --version flag print the same line, built
// from the link-time variables.
func TestVersionOutput(t *testing.T) {
	oldV, oldC, oldD := version, commit, date
	t.Cleanup(func() { version, commit, date = oldV, oldC, oldD })
	version, commit, date = "1.2.3", "abc1234", "2026-11-27T03:00:00Z"
	want := "pdx 1.2.3 (commit abc1234, committed 2026-11-27T03:00:00Z, "

	t.Run("version command", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := run([]string{"version"}, strings.NewReader(""), &out, &errb); code != exitOK {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
		if !strings.HasPrefix(out.String(), want) || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("stdout = %q, want one line starting %q", out.String(), want)
		}
	})
	t.Run("version command rejects arguments", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := run([]string{"version", "extra"}, strings.NewReader(""), &out, &errb); code != exitUsage {
			t.Errorf("exit %d, want %d (usage); stderr %q", code, exitUsage, errb.String())
		}
	})
	t.Run("--version flag", func(t *testing.T) {
		root := newRootCmd(&globals{})
		configureVersion(root)
		var out bytes.Buffer
		root.SetArgs([]string{"--version"})
		root.SetOut(&out)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("stdout = %q, want prefix %q", out.String(), want)
		}
	})
	t.Run("--version through run", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := run([]string{"--version"}, strings.NewReader(""), &out, &errb); code != exitOK {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("stdout = %q, want prefix %q", out.String(), want)
		}
	})
}
