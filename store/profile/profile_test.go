package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	s := OpenDir(t.TempDir())
	c, err := s.Load()
	if err != nil {
		t.Fatalf("Load of a missing file: %v", err)
	}
	if len(c.Profiles) != 0 {
		t.Fatalf("want empty config, got %v", c.Profiles)
	}
	c.Put("acme", Profile{AuthType: AuthToken, APIBaseURL: "http://127.0.0.1:9", Company: "Acme", Streams: []string{"deals", "persons"},
		Mode: engine.Incremental, StreamModes: map[string]engine.Mode{"pipelines": ModeFull}, Format: "csv", OutDir: "/tmp/out", StartDate: "2024-01-01"})
	c.Put("other", Profile{AuthType: AuthOAuth})
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config perm = %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(s.Path())
	if !strings.HasPrefix(string(data), "# pdx settings") {
		t.Errorf("config lacks its explanatory header:\n%s", data)
	}
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.Default != "acme" {
		t.Errorf("default = %q, want acme (first profile saved)", got.Default)
	}
	name, p, ok := got.Resolve("")
	if !ok || name != "acme" || p.Company != "Acme" || p.Format != "csv" || len(p.Streams) != 2 || p.ModeFor("pipelines") != engine.FullRefresh || p.ModeFor("deals") != engine.Incremental {
		t.Errorf("Resolve(\"\") = %q %+v %v", name, p, ok)
	}
	if n, _, ok := got.Resolve("other"); !ok || n != "other" {
		t.Errorf("Resolve(other) = %q %v", n, ok)
	}
	if _, _, ok := got.Resolve("missing"); ok {
		t.Error("Resolve(missing) reported it exists")
	}
	if names := got.Names(); strings.Join(names, ",") != "acme,other" {
		t.Errorf("Names = %v", names)
	}
	got.Remove("acme")
	if got.Default != "" {
		t.Errorf("default still %q after removing it", got.Default)
	}
}

func TestLoadBadConfig(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not toml", "profiles = [", "not valid TOML"},
		{"unknown key", "[profiles.a]\nauth_tipe = \"token\"\n", "unknown setting"},
		{"bad mode", "[profiles.a]\nmode = \"sometimes\"\n", `mode "sometimes"`},
		{"bad format", "[profiles.a]\nformat = \"xml\"\n", `format "xml"`},
		{"bad auth", "[profiles.a]\nauth_type = \"basic\"\n", `auth_type "basic"`},
		{"bad date", "[profiles.a]\nstart_date = \"yesterday\"\n", "start_date"},
		{"bad stream mode", "[profiles.a]\n[profiles.a.stream_modes]\ndeals = \"x\"\n", "stream_modes.deals"},
		{"bad name", "[profiles.\"../etc\"]\n", "invalid profile name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := OpenDir(dir)
			_, err := s.Load()
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), s.Path()) {
				t.Errorf("error %q should contain %q and the file path", err, tt.want)
			}
		})
	}
}

func TestDirEnvOverride(t *testing.T) {
	t.Setenv(EnvConfigDir, "/some/where")
	d, err := Dir()
	if err != nil || d != "/some/where" {
		t.Errorf("Dir() = %q, %v", d, err)
	}
}

func TestSavedFileIsPlain(t *testing.T) {
	s := OpenDir(t.TempDir())
	c := &Config{}
	c.Put("acme", Profile{AuthType: AuthToken})
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(s.Path())
	if strings.Contains(string(data), "\nconcurrency =") || strings.Contains(string(data), "\n  auth_type") {
		t.Errorf("zero values or indentation in the saved file:\n%s", data)
	}
}
