// Package profile keeps pdx's non-secret settings, one named profile per
// Pipedrive company, in a TOML file a person can read and edit:
// <user config dir>/pdx/config.toml (PDX_CONFIG_DIR overrides the directory,
// which tests use so they never touch the real home). Secrets never go here:
// see store/secret.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/startdate"
	"github.com/pdxhq/pdx/store/atomicfile"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/xdg"
)

// EnvConfigDir overrides the configuration directory.
const EnvConfigDir = "PDX_CONFIG_DIR"

// DefaultName is the profile used when none is given and none is marked default.
const DefaultName = "default"

// Auth types.
const (
	AuthToken = "token"
	AuthOAuth = "oauth"
)

// ModeFull is how older profiles (and `pdx sync --mode`) spell
// engine.FullRefresh; it is read, and saved as full_refresh.
const ModeFull = "full"

// Profile is one company's settings. Empty fields mean "the built-in default".
type Profile struct {
	// AuthType is "token" (API token) or "oauth".
	AuthType string `toml:"auth_type"`
	// APIBaseURL is the API root without /v1 or /api/v2, e.g.
	// https://api.pipedrive.com, or the OAuth api_domain. Tests point it at a
	// loopback simulator (plain http is accepted only for loopback hosts).
	APIBaseURL string `toml:"api_base_url,omitempty"`
	// OAuthBaseURL overrides Pipedrive's OAuth server (tests, the simulator).
	OAuthBaseURL string `toml:"oauth_base_url,omitempty"`
	// Company and User are what /v1/users/me said at login, for display only.
	Company       string `toml:"company,omitempty"`
	CompanyDomain string `toml:"company_domain,omitempty"`
	User          string `toml:"user,omitempty"`
	// Streams to sync; empty means every stream.
	Streams []string `toml:"streams,omitempty"`
	// Mode is the default sync mode: engine.Incremental or
	// engine.FullRefresh (read from the older spelling "full" too).
	Mode engine.Mode `toml:"mode,omitempty"`
	// StreamModes overrides Mode per stream.
	StreamModes map[string]engine.Mode `toml:"stream_modes,omitempty"`
	// Format names a format of store/output's registry ("jsonl", "csv",
	// "airbyte", ...).
	Format string `toml:"format,omitempty"`
	// OutDir is where files go ("-" for stdout with the airbyte format).
	OutDir string `toml:"out_dir,omitempty"`
	// StartDate bounds the first incremental sync (RFC 3339 or YYYY-MM-DD).
	StartDate string `toml:"start_date,omitempty"`
	// Concurrency is the number of streams read at once (0 = engine default).
	Concurrency int `toml:"concurrency,omitzero"`
	// BudgetReserve is the daily API budget pdx leaves to the company's
	// other users: "10%" of the limit or a number of tokens; "" is
	// client.DefaultReserve (10%), "0" none.
	BudgetReserve string `toml:"budget_reserve,omitempty"`
	// Readable adds decoded custom fields (names, option labels, typed
	// parts) to JSONL and Airbyte records, beside the API's bytes.
	Readable bool `toml:"readable,omitzero"`
	// RawIDs writes enum and set option ids instead of labels in CSV.
	RawIDs bool `toml:"raw_ids,omitzero"`
	// ReconcileDeletesDays makes a sync reconcile deletes (list the ids
	// that exist, tombstone the purged ones; pdx sync --reconcile-deletes)
	// when this many days passed since the destination's last pass; 0 never.
	ReconcileDeletesDays int `toml:"reconcile_deletes_days,omitzero"`
	// MaxTokens caps the API tokens one sync spends (0 = no cap); a
	// per-parent backfill stops at it and the next sync goes on.
	MaxTokens int64 `toml:"max_tokens,omitzero"`
}

// Config is the whole file.
type Config struct {
	// Default names the profile used when --profile is not given.
	Default  string              `toml:"default_profile,omitempty"`
	Profiles map[string]*Profile `toml:"profiles"`
}

// Store reads and writes config.toml in one directory.
type Store struct{ dir string }

// Dir returns the configuration directory: $PDX_CONFIG_DIR, else
// <os.UserConfigDir()>/pdx.
func Dir() (string, error) {
	return xdg.Dir(EnvConfigDir, "the user config directory", func() (string, error) {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(base, "pdx"), nil
	})
}

// Open returns the store in Dir().
func Open() (*Store, error) { return xdg.Open(Dir, OpenDir) }

// OpenDir returns a store rooted at dir.
func OpenDir(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path is the config file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, "config.toml") }

// Load reads the config; a missing file is an empty config, a malformed one
// an error naming the file and the line.
func (s *Store) Load() (*Config, error) {
	c := &Config{Profiles: map[string]*Profile{}}
	data, err := atomicfile.ReadFile(s.Path(), MaxConfigSize)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", s.Path(), err)
	}
	md, err := toml.Decode(string(data), c)
	if err != nil {
		return nil, fmt.Errorf("config file %s is not valid TOML (fix or remove it): %w", s.Path(), err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("config file %s: unknown setting(s) %s", s.Path(), strings.Join(keys, ", "))
	}
	if c.Profiles == nil {
		c.Profiles = map[string]*Profile{}
	}
	if err := c.validateNames(s.Path()); err != nil {
		return nil, err
	}
	for name, p := range c.Profiles {
		if p == nil {
			c.Profiles[name] = &Profile{}
			continue
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("config file %s, profile %q: %w", s.Path(), name, err)
		}
		*p = p.canonical()
	}
	return c, nil
}

// header is written above the settings; the formats come from the registry.
var header = `# pdx settings: one [profiles.NAME] table per Pipedrive company.
# No secrets are kept here (they live in the OS keyring; see 'pdx auth status').
# Editable by hand; pdx rewrites this file (comments other than this header are not kept).
#
#   auth_type      "token" (API token) or "oauth"
#   api_base_url   API root, default https://api.pipedrive.com (OAuth: the api_domain)
#   streams        streams to sync, e.g. ["deals", "persons"]; empty = all
#   mode           "incremental" (default) or "full_refresh" ("full" is read too); stream_modes overrides it per stream
#   format         ` + formatList() + `
#   out_dir        output directory ("-" = stdout, for a format that writes there: ` + strings.Join(output.StdoutNames(), ", ") + `)
#   start_date     first incremental sync starts here, e.g. "2024-01-01"
#   concurrency    streams read at once (0 = default)

`

// formatList is `"jsonl" (default), "csv" or "airbyte"`.
func formatList() string {
	var names []string
	for _, n := range output.Names() {
		q := strconv.Quote(n)
		if n == output.DefaultFormat {
			q += " (default)"
		}
		names = append(names, q)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Save writes the config atomically (0600: it is the user's business).
func (s *Store) Save(c *Config) error {
	if err := c.validateNames(s.Path()); err != nil {
		return err
	}
	for name, p := range c.Profiles {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("profile %q: %w", name, err)
		}
	}
	out := &Config{Default: c.Default, Profiles: make(map[string]*Profile, len(c.Profiles))}
	for name, p := range c.Profiles {
		cp := p.canonical()
		out.Profiles[name] = &cp
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := atomicfile.WriteFile(s.Path(), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// Resolve picks the profile to use: name if given, else the config's
// default, else "default". It reports whether the profile exists; a missing
// profile comes back empty so `auth login` can create it.
func (c *Config) Resolve(name string) (string, Profile, bool) {
	if name == "" {
		name = c.Default
	}
	if name == "" {
		name = DefaultName
	}
	p, ok := c.Profiles[name]
	if !ok || p == nil {
		return name, Profile{}, false
	}
	return name, *p, true
}

// Names lists the profiles, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Put stores p under name; the first profile saved becomes the default.
func (c *Config) Put(name string, p Profile) {
	if c.Profiles == nil {
		c.Profiles = map[string]*Profile{}
	}
	c.Profiles[name] = &p
	if c.Default == "" {
		c.Default = name
	}
}

// Remove deletes a profile (and the default mark if it pointed at it).
func (c *Config) Remove(name string) {
	delete(c.Profiles, name)
	if c.Default == name {
		c.Default = ""
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ErrInvalidName marks a profile name that cannot be used: it becomes a
// directory (state), a file (secrets) and a keyring entry, so "../x" would
// reach outside pdx's directories. Every store checks the names it is given
// (whatever they came from: a flag, the config's default_profile, a test);
// the CLI answers it with exit code 2.
var ErrInvalidName = errors.New("invalid profile name")

// ValidateName accepts profile names usable as file and keyring names.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("%w %q: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)", ErrInvalidName, name)
	}
	return nil
}

// MaxConfigSize bounds config.toml: a hand-written file is a few KB.
const MaxConfigSize = 1 << 20

// validateNames checks every name the file gives: the profile tables and
// default_profile (which Resolve hands out when no --profile is given).
func (c *Config) validateNames(path string) error {
	for name := range c.Profiles {
		if err := ValidateName(name); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if c.Default != "" {
		if err := ValidateName(c.Default); err != nil {
			return fmt.Errorf("config file %s, default_profile: %w", path, err)
		}
	}
	return nil
}

// Validate checks the enumerated fields and the start date.
func (p *Profile) Validate() error {
	if err := oneOf("auth_type", p.AuthType, "", AuthToken, AuthOAuth); err != nil {
		return err
	}
	if _, err := ParseMode(string(p.Mode)); err != nil {
		return err
	}
	for s, m := range p.StreamModes {
		if _, err := ParseMode(string(m)); err != nil {
			return fmt.Errorf("stream_modes.%s: %w", s, err)
		}
	}
	if err := output.ValidFormat(p.Format); err != nil {
		return err
	}
	if p.StartDate != "" {
		if _, err := startdate.Parse(p.StartDate); err != nil {
			return fmt.Errorf("start_date: %w", err)
		}
	}
	if _, err := client.ParseReserve(p.BudgetReserve); err != nil {
		return err
	}
	if p.Concurrency < 0 {
		return fmt.Errorf("concurrency %d: must be 0 or more", p.Concurrency)
	}
	if p.ReconcileDeletesDays < 0 {
		return fmt.Errorf("reconcile_deletes_days %d: must be 0 (never) or more", p.ReconcileDeletesDays)
	}
	if p.MaxTokens < 0 {
		return fmt.Errorf("max_tokens %d: must be 0 (no cap) or more", p.MaxTokens)
	}
	return nil
}

// ParseMode reads a sync mode as a person or an older profile spells it:
// "incremental", "full_refresh" or "full"; "" stays "" (the default).
func ParseMode(s string) (engine.Mode, error) {
	switch s {
	case "":
		return "", nil
	case ModeFull, string(engine.FullRefresh):
		return engine.FullRefresh, nil
	case string(engine.Incremental):
		return engine.Incremental, nil
	}
	return "", fmt.Errorf("mode %q: must be one of incremental, full (or full_refresh)", s)
}

// canonical is p with its modes in the one spelling (engine.Mode's).
func (p Profile) canonical() Profile {
	p.Mode, _ = ParseMode(string(p.Mode))
	if p.StreamModes != nil {
		modes := make(map[string]engine.Mode, len(p.StreamModes))
		for s, m := range p.StreamModes {
			modes[s], _ = ParseMode(string(m))
		}
		p.StreamModes = modes
	}
	return p
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s %q: must be one of %s", field, v, strings.Join(allowed[1:], ", "))
}

// ModeFor is the sync mode of stream: its override, else the profile's mode,
// else incremental.
func (p *Profile) ModeFor(stream string) engine.Mode {
	for _, m := range []engine.Mode{p.StreamModes[stream], p.Mode} {
		if m, _ := ParseMode(string(m)); m != "" {
			return m
		}
	}
	return engine.Incremental
}
