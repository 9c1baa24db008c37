package profile

import (
	"os"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    engine.Mode
		wantErr bool
	}{
		{"", "", false},
		{"incremental", engine.Incremental, false},
		{"full", engine.FullRefresh, false}, // older profiles, --mode
		{"full_refresh", engine.FullRefresh, false},
		{"Full", "", true},
		{"sometimes", "", true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestOldModeSpellingRead: a config written before the modes had one
// spelling ("full") loads as engine.FullRefresh and is saved in the new one.
func TestOldModeSpellingRead(t *testing.T) {
	s := OpenDir(t.TempDir())
	old := "[profiles.acme]\nauth_type = \"token\"\nmode = \"full\"\n\n[profiles.acme.stream_modes]\ndeals = \"incremental\"\nusers = \"full\"\n"
	if err := os.WriteFile(s.Path(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := c.Profiles["acme"]
	if p.Mode != engine.FullRefresh || p.StreamModes["users"] != engine.FullRefresh || p.ModeFor("deals") != engine.Incremental || p.ModeFor("persons") != engine.FullRefresh {
		t.Fatalf("loaded modes %q %v", p.Mode, p.StreamModes)
	}
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	body := string(data)
	body = body[strings.Index(body, "\n[profiles"):] // past the header, which mentions "full"
	if strings.Contains(body, `"full"`) || strings.Count(body, `"full_refresh"`) != 2 {
		t.Errorf("saved config keeps the old spelling:\n%s", body)
	}
}
