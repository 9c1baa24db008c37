// Package keyringtest runs store/secret against the real OS keyring (the
// Secret Service on Linux). It is a separate test binary because the unit
// tests replace go-keyring's provider with its mock for good.
package keyringtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/pdxhq/pdx/store/secret"
)

func TestRealSecretService(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset): run under dbus-run-session with an unlocked gnome-keyring, as .ci/run does")
	}
	probe := fmt.Sprintf("pdx-probe-%d", time.Now().UnixNano())
	done := make(chan error, 1)
	go func() { done <- keyring.Set(secret.Service, probe, "x") }()
	select {
	case err := <-done:
		if err != nil {
			t.Skipf("no Secret Service answers on this D-Bus session: %v", err)
		}
		keyring.Delete(secret.Service, probe)
	case <-time.After(5 * time.Second):
		t.Skip("the Secret Service did not answer within 5s (locked keyring?)")
	}

	t.Setenv(secret.EnvToken, "")
	var warn bytes.Buffer
	s := secret.New(secret.Options{Dir: t.TempDir(), Warn: &warn, Timeout: 10 * time.Second})
	profile := fmt.Sprintf("pdx-test-%d", time.Now().UnixNano())
	t.Cleanup(func() { s.Delete(profile) })
	in := secret.Secret{APIToken: "real-keyring-canary", RefreshToken: "r"}
	loc, err := s.Set(profile, in)
	if err != nil || loc.Kind != secret.KindKeyring {
		t.Fatalf("Set = %v, %v (warning: %s)", loc, err, warn.String())
	}
	got, loc, err := s.Get(profile)
	if err != nil || loc.Kind != secret.KindKeyring || got != in {
		t.Fatalf("Get = %v, %v", loc, err)
	}
	if _, err := os.Stat(s.FilePath(profile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("fallback file written although the keyring answered")
	}
	if err := s.Delete(profile); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(profile); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("after Delete: %v", err)
	}
}
