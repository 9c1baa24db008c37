package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pdxhq/pdx/store/profile"
)

// TestProfileNameCannotLeaveTheStateDir: Load and Remove refuse names that
// would resolve outside the store's directory, and touch nothing there.
func TestProfileNameCannotLeaveTheStateDir(t *testing.T) {
	root := t.TempDir()
	s := OpenDir(filepath.Join(root, "state"))
	victim := filepath.Join(root, "victim", "state.json")
	if err := os.MkdirAll(filepath.Dir(victim), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../victim", "..", ".", "", "a/b", "/abs", `a\b`, "-x", "x\x00y"} {
		if _, err := s.Load(name); !errors.Is(err, profile.ErrInvalidName) {
			t.Errorf("Load(%q) = %v, want ErrInvalidName", name, err)
		}
		if _, err := s.Remove(name); !errors.Is(err, profile.ErrInvalidName) {
			t.Errorf("Remove(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	if _, err := os.Stat(victim); err != nil {
		t.Fatalf("victim removed: %v", err)
	}
}
