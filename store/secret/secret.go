// Package secret keeps each profile's credentials: in the OS keyring
// (service "pdx", user = profile name) through zalando/go-keyring, falling
// back to a 0600 file in the config directory, with a warning naming it, when
// no keyring answers. PIPEDRIVE_API_TOKEN in the environment overrides both.
// All values of a profile (an API token, or the OAuth client secret and
// tokens) are one small JSON blob, so one keyring entry holds them.
package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/pdxhq/pdx/store/atomicfile"
	pprofile "github.com/pdxhq/pdx/store/profile"
)

// Service is the keyring service name.
const Service = "pdx"

// EnvToken overrides every stored secret with an API token (for CI).
const EnvToken = "PIPEDRIVE_API_TOKEN"

// DefaultTimeout bounds every keyring call: a locked keyring can block on an
// unlock prompt forever.
const DefaultTimeout = 3 * time.Second

// ErrNotFound: the profile has no stored secret.
var ErrNotFound = errors.New("no credentials stored")

// Secret is everything secret about one profile. Never log or print it.
type Secret struct {
	APIToken     string    `json:"api_token,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`
	ClientSecret string    `json:"client_secret,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	APIDomain    string    `json:"api_domain,omitempty"`
}

// String never reveals the values, so a stray %v cannot leak them.
func (s Secret) String() string { return "secret.Secret{redacted}" }

// GoString hides the values from %#v too.
func (s Secret) GoString() string { return s.String() }

// Empty reports whether nothing is set.
func (s Secret) Empty() bool { return s == Secret{} }

// Kind says where a secret lives.
type Kind string

const (
	KindEnv     Kind = "env"
	KindKeyring Kind = "keyring"
	KindFile    Kind = "file"
	KindMemory  Kind = "memory"
	KindNone    Kind = "none"
)

// Location is where a profile's secret is (or would be) kept.
type Location struct {
	Kind Kind
	Path string // KindFile: the file
}

// String describes the location for people ("the OS keyring (service pdx)").
func (l Location) String() string {
	switch l.Kind {
	case KindEnv:
		return "the " + EnvToken + " environment variable"
	case KindKeyring:
		return "the OS keyring (service " + Service + ")"
	case KindFile:
		return "the file " + l.Path + " (readable only by you; no OS keyring was available)"
	case KindMemory:
		return "memory only (not saved)"
	}
	return "nowhere (not logged in)"
}

// Keyring is the part of go-keyring used here; tests may substitute it.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// Options configure a Store.
type Options struct {
	// Dir holds the fallback files (<Dir>/secrets/<profile>.json).
	Dir string
	// Keyring defaults to the OS keyring (go-keyring, which keyring.MockInit
	// replaces in tests). NoKeyring skips it entirely (demo, tests).
	Keyring   Keyring
	NoKeyring bool
	// Timeout bounds each keyring call (DefaultTimeout when 0).
	Timeout time.Duration
	// Warn receives the fallback warning (os.Stderr when nil).
	Warn io.Writer
	// IgnoreEnv disables the PIPEDRIVE_API_TOKEN override.
	IgnoreEnv bool
}

// Store reads and writes secrets.
type Store struct {
	opt    Options
	memory bool
	mu     sync.Mutex
	mem    map[string]Secret
	warned map[string]bool // fallback files already warned about
}

// New returns a store with the given options.
func New(opt Options) *Store {
	if opt.Keyring == nil {
		opt.Keyring = osKeyring{}
	}
	if opt.Timeout == 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Warn == nil {
		opt.Warn = os.Stderr
	}
	return &Store{opt: opt}
}

// NewMemory returns a store that keeps secrets in memory only (the demo's
// temporary profile); the environment override does not apply.
func NewMemory() *Store {
	return &Store{memory: true, mem: map[string]Secret{}, opt: Options{IgnoreEnv: true}}
}

// FilePath is the fallback file of profile.
func (s *Store) FilePath(profile string) string {
	return filepath.Join(s.opt.Dir, "secrets", profile+".json")
}

// Get returns the profile's secret and where it came from; ErrNotFound when
// there is none.
func (s *Store) Get(profile string) (Secret, Location, error) {
	if err := pprofile.ValidateName(profile); err != nil {
		return Secret{}, Location{Kind: KindNone}, err
	}
	if !s.opt.IgnoreEnv {
		if tok, set, err := envToken(); set {
			return Secret{APIToken: tok}, Location{Kind: KindEnv}, err
		}
	}
	if s.memory {
		s.mu.Lock()
		defer s.mu.Unlock()
		if sec, ok := s.mem[profile]; ok {
			return sec, Location{Kind: KindMemory}, nil
		}
		return Secret{}, Location{Kind: KindNone}, ErrNotFound
	}
	// The fallback file first: Set removes it whenever the keyring takes
	// the secret, so a file that exists was written after the keyring's
	// entry (the keyring was locked or absent then). Preferring the keyring
	// would bring back an older token, e.g. one an OAuth refresh replaced.
	path := s.FilePath(profile)
	data, err := readFile(path, profile)
	switch {
	case errors.Is(err, errUnsafeFile):
		return Secret{}, Location{Kind: KindFile, Path: path}, err
	case err == nil:
		sec, err := decode(string(data))
		if err != nil {
			return Secret{}, Location{Kind: KindFile, Path: path}, fmt.Errorf("credentials file %s is damaged (remove it and run 'pdx auth login --profile %s'): %w", path, profile, err)
		}
		return sec, Location{Kind: KindFile, Path: path}, nil
	case !errors.Is(err, os.ErrNotExist):
		return Secret{}, Location{Kind: KindFile, Path: path}, fmt.Errorf("read credentials file %s: %w", path, err)
	}
	if s.opt.NoKeyring {
		return Secret{}, Location{Kind: KindNone}, ErrNotFound
	}
	blob, err := s.call(func(k Keyring) (string, error) { return k.Get(Service, profile) })
	switch {
	case err == nil:
		sec, derr := decode(blob)
		if derr != nil {
			return Secret{}, Location{Kind: KindKeyring}, fmt.Errorf("keyring entry %s/%s is not a pdx secret (run 'pdx auth login --profile %s' again): %w", Service, profile, profile, derr)
		}
		return sec, Location{Kind: KindKeyring}, nil
	case errors.Is(err, keyring.ErrNotFound):
		return Secret{}, Location{Kind: KindNone}, ErrNotFound
	}
	return Secret{}, Location{Kind: KindNone}, &UnreachableError{File: path, Err: err}
}

// UnreachableError is ErrNotFound when the OS keyring could not be asked
// (no D-Bus session, a locked or absent keyring): the secret may be stored
// there. File is the fallback file, which was looked in first and does not
// exist; Err is the keyring's own error, for those who ask for it.
type UnreachableError struct {
	File string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%v; the OS keyring could not be reached: %v", ErrNotFound, e.Err)
}

// Is makes it an ErrNotFound; Unwrap keeps the keyring's error reachable.
func (e *UnreachableError) Is(target error) bool { return target == ErrNotFound }
func (e *UnreachableError) Unwrap() error        { return e.Err }

// envToken reads PIPEDRIVE_API_TOKEN: set reports a non-empty value. A
// copied token often ends in a newline ($(cat token.txt) does not always
// strip it, a CI secret may keep it): surrounding white space is trimmed.
// What is left must be a possible header value, or the first request fails
// in the HTTP client and is retried as a network error without naming the
// variable; the value itself never appears in the error.
func envToken() (tok string, set bool, err error) {
	raw := os.Getenv(EnvToken)
	if raw == "" {
		return "", false, nil
	}
	tok = strings.TrimSpace(raw)
	if tok == "" {
		return "", true, fmt.Errorf("%s is set but blank: set it to your API token, or unset it to use the saved credentials", EnvToken)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f {
			return "", true, fmt.Errorf("%s cannot be sent as an API token: byte %d of %d is %s (set it to the token alone, e.g. export %s=\"$(tr -d '[:space:]' < token.txt)\")", EnvToken, i+1, len(tok), byteKind(c), EnvToken)
		}
	}
	return tok, true, nil
}

func byteKind(c byte) string {
	switch {
	case c == ' ' || c == '\t':
		return "white space inside the token"
	case c < ' ' || c == 0x7f:
		return "a control character"
	}
	return "not ASCII"
}

// maxFileSize bounds a credentials file (a few hundred bytes of JSON).
const maxFileSize = 64 << 10

var errUnsafeFile = errors.New("credentials file is accessible to other users")

// readFile reads a fallback file, refusing one other users can read or
// write, as ssh refuses such a private key: the secret may have been read
// already, so pdx says so and lets the user decide (revoke, then fix the
// mode or log in again) instead of quietly repairing the mode and calling
// the file "readable only by you". Windows has no such mode bits.
func readFile(path, profile string) ([]byte, error) {
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			return nil, fmt.Errorf("%w: %s has mode %04o, pdx will not use it. If others can log in to this machine, revoke the token in Pipedrive; then run 'chmod 600 %s' or 'pdx auth login --profile %s'", errUnsafeFile, path, m, path, profile)
		}
	}
	return atomicfile.ReadFile(path, maxFileSize)
}

// Set saves the profile's secret in the keyring, or, when the keyring is
// unavailable, in the fallback file with a warning. It returns where it went.
func (s *Store) Set(profile string, sec Secret) (Location, error) {
	if err := pprofile.ValidateName(profile); err != nil {
		return Location{}, err
	}
	blob, err := json.Marshal(sec)
	if err != nil {
		return Location{}, fmt.Errorf("encode credentials: %w", err)
	}
	if s.memory {
		s.mu.Lock()
		s.mem[profile] = sec
		s.mu.Unlock()
		return Location{Kind: KindMemory}, nil
	}
	var kerr error
	if !s.opt.NoKeyring {
		_, kerr = s.call(func(k Keyring) (string, error) { return "", k.Set(Service, profile, string(blob)) })
		if kerr == nil {
			// An older fallback file would shadow the keyring (Get reads it
			// first): it must go.
			if err := os.Remove(s.FilePath(profile)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return Location{}, fmt.Errorf("credentials saved in the OS keyring, but the older file %s could not be removed (remove it by hand): %w", s.FilePath(profile), err)
			}
			return Location{Kind: KindKeyring}, nil
		}
	}
	path := s.FilePath(profile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Location{}, fmt.Errorf("create credentials directory: %w", err)
	}
	if err := atomicfile.WriteFile(path, blob, 0o600); err != nil {
		return Location{}, fmt.Errorf("save credentials: %w", err)
	}
	if kerr != nil {
		s.warnOnce(path, fmt.Sprintf("warning: no OS keyring available (%v); credentials saved in %s, readable only by you\n", kerr, path))
	} else {
		s.warnOnce(path, fmt.Sprintf("warning: OS keyring disabled; credentials saved in %s, readable only by you\n", path))
	}
	return Location{Kind: KindFile, Path: path}, nil
}

// warnOnce prints the fallback warning the first time a store writes path:
// OAuth rotations save again and again during a sync, and the warning must
// not repeat in the middle of its progress lines (nor race on the writer).
func (s *Store) warnOnce(path, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned[path] {
		return
	}
	if s.warned == nil {
		s.warned = map[string]bool{}
	}
	s.warned[path] = true
	fmt.Fprint(s.opt.Warn, msg)
}

// Delete removes the profile's secret from the keyring and the fallback
// file. Deleting nothing is not an error.
func (s *Store) Delete(profile string) error {
	if err := pprofile.ValidateName(profile); err != nil {
		return err
	}
	if s.memory {
		s.mu.Lock()
		delete(s.mem, profile)
		s.mu.Unlock()
		return nil
	}
	var errs []error
	if !s.opt.NoKeyring {
		_, err := s.call(func(k Keyring) (string, error) { return "", k.Delete(Service, profile) })
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			// Only a problem when the file is not where the secret was either.
			if _, ferr := os.Stat(s.FilePath(profile)); ferr != nil {
				errs = append(errs, fmt.Errorf("delete from OS keyring: %w", err))
			}
		}
	}
	if err := os.Remove(s.FilePath(profile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("delete credentials file: %w", err))
	}
	return errors.Join(errs...)
}

// errTimeout reports a keyring call that did not return in time.
type errTimeout time.Duration

func (e errTimeout) Error() string {
	return fmt.Sprintf("the OS keyring did not answer within %s (is it locked?)", time.Duration(e))
}

// call runs one keyring operation bounded by the timeout. A call that times
// out keeps running in its goroutine; nothing waits for it.
func (s *Store) call(f func(Keyring) (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(s.opt.Keyring)
		ch <- result{v, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
	defer cancel()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return "", errTimeout(s.opt.Timeout)
	}
}

func decode(blob string) (Secret, error) {
	var sec Secret
	if err := json.Unmarshal([]byte(blob), &sec); err != nil {
		// Do not wrap err: json errors can quote input, which is secret.
		return Secret{}, errors.New("not valid JSON")
	}
	return sec, nil
}
