package secret

import (
	"errors"
	"testing"

	"github.com/pdxhq/pdx/store/profile"
)

// TestProfileNameIsChecked: the profile name becomes a file name and a
// keyring user, so every entry point refuses one that is not a plain name.
func TestProfileNameIsChecked(t *testing.T) {
	t.Setenv(EnvToken, "")
	s := New(Options{Dir: t.TempDir(), NoKeyring: true})
	for _, name := range []string{"../x", "a/b", "..", ""} {
		if _, _, err := s.Get(name); !errors.Is(err, profile.ErrInvalidName) {
			t.Errorf("Get(%q) = %v", name, err)
		}
		if _, err := s.Set(name, Secret{APIToken: "t"}); !errors.Is(err, profile.ErrInvalidName) {
			t.Errorf("Set(%q) = %v", name, err)
		}
		if err := s.Delete(name); !errors.Is(err, profile.ErrInvalidName) {
			t.Errorf("Delete(%q) = %v", name, err)
		}
	}
}
