package secret

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

const canary = "CANARY-9f8e7d6c5b4a-token"

func TestKeyringRoundTrip(t *testing.T) {
	keyring.MockInit()
	t.Setenv(EnvToken, "")
	var warn bytes.Buffer
	s := New(Options{Dir: t.TempDir(), Warn: &warn})
	if _, _, err := s.Get("acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: err = %v, want ErrNotFound", err)
	}
	in := Secret{ClientID: "cid", ClientSecret: canary, RefreshToken: "r", AccessToken: "a", Expiry: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), APIDomain: "https://x.pipedrive.com"}
	loc, err := s.Set("acme", in)
	if err != nil || loc.Kind != KindKeyring {
		t.Fatalf("Set = %v, %v; want keyring", loc, err)
	}
	got, loc, err := s.Get("acme")
	if err != nil || loc.Kind != KindKeyring || got != in {
		t.Fatalf("Get = %v, %v (equal=%v)", loc, err, got == in)
	}
	if warn.Len() != 0 {
		t.Errorf("unexpected warning: %s", warn.String())
	}
	if _, err := os.Stat(s.FilePath("acme")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a fallback file exists although the keyring worked")
	}
	if err := s.Delete("acme"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get("acme"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if err := s.Delete("acme"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

// blockingKeyring never answers, like a keyring waiting on an unlock prompt.
type blockingKeyring struct{ release chan struct{} }

func (b blockingKeyring) Get(string, string) (string, error) {
	<-b.release
	return "", keyring.ErrNotFound
}
func (b blockingKeyring) Set(string, string, string) error { <-b.release; return nil }
func (b blockingKeyring) Delete(string, string) error      { <-b.release; return nil }

func TestFallbackToFile(t *testing.T) {
	t.Setenv(EnvToken, "")
	tests := []struct {
		name    string
		opt     func(t *testing.T) Options
		wantMsg string
	}{
		{"keyring errors", func(t *testing.T) Options {
			keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
			return Options{}
		}, "no OS keyring available"},
		{"keyring hangs", func(t *testing.T) Options {
			rel := make(chan struct{})
			t.Cleanup(func() { close(rel) })
			return Options{Keyring: blockingKeyring{rel}, Timeout: 20 * time.Millisecond}
		}, "did not answer within"},
		{"keyring disabled", func(t *testing.T) Options { return Options{NoKeyring: true} }, "keyring disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warn bytes.Buffer
			opt := tt.opt(t)
			dir := t.TempDir()
			opt.Dir, opt.Warn = dir, &warn
			s := New(opt)
			loc, err := s.Set("p1", Secret{APIToken: canary})
			if err != nil {
				t.Fatal(err)
			}
			if loc.Kind != KindFile || loc.Path != filepath.Join(dir, "secrets", "p1.json") {
				t.Fatalf("loc = %+v", loc)
			}
			if !strings.Contains(warn.String(), tt.wantMsg) || !strings.Contains(warn.String(), loc.Path) {
				t.Errorf("warning %q should contain %q and the path", warn.String(), tt.wantMsg)
			}
			if strings.Contains(warn.String(), canary) {
				t.Error("warning leaks the secret")
			}
			// OAuth rotations save again during a sync: warn once only.
			first := warn.Len()
			if _, err := s.Set("p1", Secret{APIToken: canary}); err != nil {
				t.Fatal(err)
			}
			if warn.Len() != first {
				t.Errorf("second save warned again: %q", warn.String())
			}
			fi, err := os.Stat(loc.Path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("file mode: %v %v", fi, err)
			}
			got, gl, err := s.Get("p1")
			if err != nil || got.APIToken != canary || gl.Kind != KindFile {
				t.Fatalf("Get = %v %v", gl, err)
			}
			if !strings.Contains(gl.String(), loc.Path) {
				t.Errorf("location text %q does not name the file", gl)
			}
			if err := s.Delete("p1"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(loc.Path); !errors.Is(err, os.ErrNotExist) {
				t.Error("file survives Delete")
			}
		})
	}
}

func TestEnvOverride(t *testing.T) {
	keyring.MockInit()
	s := New(Options{Dir: t.TempDir()})
	if _, err := s.Set("p", Secret{APIToken: "stored"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvToken, "from-env")
	got, loc, err := s.Get("p")
	if err != nil || got.APIToken != "from-env" || loc.Kind != KindEnv {
		t.Errorf("Get = %v %v", loc, err)
	}
	if !strings.Contains(loc.String(), EnvToken) {
		t.Errorf("location %q should name the variable", loc)
	}
}

func TestMemoryStore(t *testing.T) {
	t.Setenv(EnvToken, "ignored-in-memory")
	s := NewMemory()
	if _, _, err := s.Get("demo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if loc, err := s.Set("demo", Secret{APIToken: "t"}); err != nil || loc.Kind != KindMemory {
		t.Fatal(loc, err)
	}
	got, _, err := s.Get("demo")
	if err != nil || got.APIToken != "t" {
		t.Fatal(err)
	}
}

func TestDamagedFile(t *testing.T) {
	t.Setenv(EnvToken, "")
	dir := t.TempDir()
	s := New(Options{Dir: dir, NoKeyring: true})
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.FilePath("p"), []byte(`{"api_token":"`+canary), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Get("p")
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "pdx auth login") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Error("error leaks the secret")
	}
}

func TestSecretNeverFormatted(t *testing.T) {
	s := Secret{APIToken: canary, ClientSecret: canary}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, s); strings.Contains(out, canary) {
			t.Errorf("%s prints the secret: %s", f, out)
		}
	}
}

// mapKeyring is a keyring that works until down is set.
type mapKeyring struct {
	m    map[string]string
	down bool
}

func (k *mapKeyring) Get(s, u string) (string, error) {
	if k.down {
		return "", errors.New("keyring locked")
	}
	v, ok := k.m[s+"/"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}
func (k *mapKeyring) Set(s, u, p string) error {
	if k.down {
		return errors.New("keyring locked")
	}
	k.m[s+"/"+u] = p
	return nil
}
func (k *mapKeyring) Delete(s, u string) error {
	if k.down {
		return errors.New("keyring locked")
	}
	delete(k.m, s+"/"+u)
	return nil
}

// A save that fell back to the file (the keyring was locked just then) is
// newer than the keyring's entry: once the keyring answers again, the file
// still wins, so a rotated OAuth token is not replaced by the stale one.
// A later save that reaches the keyring removes the file again.
func TestFallbackFileIsNewerThanKeyring(t *testing.T) {
	t.Setenv(EnvToken, "")
	k := &mapKeyring{m: map[string]string{}}
	s := New(Options{Dir: t.TempDir(), Keyring: k, Warn: &bytes.Buffer{}})
	steps := []struct {
		down     bool
		save     string
		want     string
		wantKind Kind
	}{
		{false, "old", "old", KindKeyring},
		{true, "new", "new", KindFile},
		{false, "", "new", KindFile},
		{false, "newest", "newest", KindKeyring},
	}
	for i, st := range steps {
		k.down = st.down
		if st.save != "" {
			if _, err := s.Set("p", Secret{RefreshToken: st.save}); err != nil {
				t.Fatalf("step %d: Set: %v", i, err)
			}
		}
		got, loc, err := s.Get("p")
		if err != nil || got.RefreshToken != st.want || loc.Kind != st.wantKind {
			t.Errorf("step %d: Get = %q from %s (%v); want %q from %s", i, got.RefreshToken, loc.Kind, err, st.want, st.wantKind)
		}
	}
}

// A keyring that cannot be reached is "not found" (the callers' case) that
// still says where pdx looked and keeps the keyring's error apart.
func TestGetUnreachableKeyring(t *testing.T) {
	t.Setenv(EnvToken, "")
	cause := errors.New(`exec: "dbus-launch": executable file not found in $PATH`)
	keyring.MockInitWithError(cause)
	t.Cleanup(keyring.MockInit)
	dir := t.TempDir()
	s := New(Options{Dir: dir})
	_, _, err := s.Get("acme")
	var ue *UnreachableError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ue) || !errors.Is(err, cause) {
		t.Fatalf("err = %v, want an UnreachableError that is ErrNotFound", err)
	}
	if ue.File != s.FilePath("acme") {
		t.Errorf("File = %q, want %q", ue.File, s.FilePath("acme"))
	}
	keyring.MockInit()
	if _, _, err := s.Get("acme"); !errors.Is(err, ErrNotFound) || errors.As(err, &ue) {
		t.Errorf("a keyring that answers \"not found\": %v", err)
	}
}
