package profile

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/store/atomicfile"
)

// TestLoadRefusesNamesAndSize: every name the file gives must be usable
// as a path (default_profile too: Resolve hands it out), and a file far
// larger than any config is refused before it is read whole.
func TestLoadRefusesNamesAndSize(t *testing.T) {
	cases := []struct {
		name, body string
		is         error
		want       string
	}{
		{"default_profile traversal", "default_profile = \"../../victim\"\n", ErrInvalidName, "default_profile"},
		{"profile table traversal", "[profiles.\"../x\"]\n", ErrInvalidName, `"../x"`},
		{"oversized", "# " + strings.Repeat("x", MaxConfigSize) + "\n", atomicfile.ErrTooLarge, "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := OpenDir(t.TempDir())
			if err := os.WriteFile(s.Path(), []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load()
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), s.Path()) {
				t.Fatalf("Load: %v; want %v naming %q and the file", err, tc.is, tc.want)
			}
		})
	}
	if err := OpenDir(t.TempDir()).Save(&Config{Default: "../x"}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("Save with default ../x: %v", err)
	}
}

// FuzzLoad: a config file either fails to load or loads into a config that
// Save writes and Load reads back unchanged, whose names are all usable.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("default_profile = \"acme\"\n[profiles.acme]\nauth_type = \"token\"\nstreams = [\"deals\"]\nmode = \"full\"\n[profiles.acme.stream_modes]\npersons = \"incremental\"\n"))
	f.Add([]byte("[profiles.b]\nformat = \"csv\"\nout_dir = \"/tmp/o\"\nstart_date = \"2024-01-01T00:00:00+02:00\"\nconcurrency = 3\n"))
	f.Add([]byte("[profiles.x]\nbogus = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := OpenDir(t.TempDir())
		if err := os.WriteFile(s.Path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := s.Load()
		if err != nil {
			if c != nil {
				t.Fatalf("error %v with a config", err)
			}
			return
		}
		for _, n := range append(c.Names(), c.Default) {
			if n != "" && ValidateName(n) != nil {
				t.Fatalf("loaded unusable name %q", n)
			}
		}
		if err := s.Save(c); err != nil {
			t.Fatalf("a loaded config does not save: %v", err)
		}
		again, err := s.Load()
		if err != nil {
			t.Fatalf("a saved config does not load: %v", err)
		}
		if again.Default != c.Default || strings.Join(again.Names(), ",") != strings.Join(c.Names(), ",") {
			t.Fatalf("round trip: %+v -> %+v", c, again)
		}
		for _, n := range c.Names() {
			a, b := *c.Profiles[n], *again.Profiles[n]
			if a.AuthType != b.AuthType || a.Mode != b.Mode || a.Format != b.Format || a.OutDir != b.OutDir || a.StartDate != b.StartDate ||
				a.Concurrency != b.Concurrency || strings.Join(a.Streams, ",") != strings.Join(b.Streams, ",") || len(a.StreamModes) != len(b.StreamModes) {
				t.Fatalf("profile %q: %+v -> %+v", n, a, b)
			}
		}
	})
}

// FuzzValidateName: an accepted name is one plain path element.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"acme", "a.b-c_d", "..", "../x", "a/b", "", ".hidden", "x..y", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateName(name) != nil {
			return
		}
		if name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") || !strings.EqualFold(name, strings.TrimSpace(name)) || len(name) > 64 {
			t.Fatalf("accepted %q", name)
		}
	})
}
