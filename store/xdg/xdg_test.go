package xdg

import (
	"errors"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	boom := errors.New("boom")
	none := func() (string, error) { return "", nil }
	fails := func() (string, error) { return "", boom }
	at := func(d string) Place { return func() (string, error) { return d, nil } }
	tests := []struct {
		name    string
		env     string
		places  []Place
		want    string
		wantErr string
	}{
		{"override wins", "/o", []Place{at("/a")}, "/o", ""},
		{"first that answers", "", []Place{none, fails, at("/b"), at("/c")}, "/b", ""},
		{"none answers", "", []Place{none, fails}, "", "find a test directory (set PDX_XDG_TEST to choose one): boom"},
		{"no places", "", nil, "", "find a test directory (set PDX_XDG_TEST to choose one)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PDX_XDG_TEST", tt.env)
			got, err := Dir("PDX_XDG_TEST", "a test directory", tt.places...)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Dir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	boom := errors.New("boom")
	open := func(d string) *string { return &d }
	got, err := Open(func() (string, error) { return "/s", nil }, open)
	if err != nil || *got != "/s" {
		t.Fatalf("Open = %v, %v", got, err)
	}
	got, err = Open(func() (string, error) { return "", boom }, open)
	if !errors.Is(err, boom) || got != nil {
		t.Fatalf("Open on failure = %v, %v; want nil, boom", got, err)
	}
}
