package airbyte

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/startdate"
)

// ErrInvalidConfig marks every error caused by the user's config (wrong
// shape, missing token, bad date): check reports it as FAILED, read as a
// config_error trace.
var ErrInvalidConfig = errors.New("invalid config")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Auth types (the credentials.auth_type discriminator).
const (
	AuthAPIToken = "api_token"
	AuthOAuth    = "oauth2.0"
)

// Credentials is the credentials object of the config: an API token, or
// the OAuth 2.0 fields (access_token, token_expiry_date and api_domain are
// filled in by pdx as tokens rotate).
type Credentials struct {
	AuthType        string `json:"auth_type"`
	APIToken        string `json:"api_token,omitempty"`
	ClientID        string `json:"client_id,omitempty"`
	ClientSecret    string `json:"client_secret,omitempty"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	AccessToken     string `json:"access_token,omitempty"`
	TokenExpiryDate string `json:"token_expiry_date,omitempty"`
	APIDomain       string `json:"api_domain,omitempty"`
}

// Config is the connector config (connectionConfiguration.json):
//
//	{"credentials": {"auth_type": "api_token", "api_token": "..."}
//	              | {"auth_type": "oauth2.0", "client_id", "client_secret", "refresh_token",
//	                 "access_token", "token_expiry_date", "api_domain"},
//	 "start_date": "2017-01-25T00:00:00Z",   optional; also "2017-01-25 00:00:00Z", "2017-01-25", offsets
//	 "api_base_url": "https://api.pipedrive.com", optional; https, or http on loopback (tests)
//	 "oauth_base_url": "https://oauth.pipedrive.com", optional, hidden; the OAuth server (tests; default: a loopback api_base_url's own, else Pipedrive's)
//	 "concurrency": 4}                        optional; streams read in parallel
//
// The old connector's shapes ({api_token, replication_start_date} and
// {authorization: {auth_type: Token|Client, ...}, replication_start_date})
// are accepted and migrated; Migrated reports it so the caller can send the
// new config back in a CONTROL message.
type Config struct {
	Credentials Credentials `json:"credentials"`
	StartDate   string      `json:"start_date,omitempty"`
	APIBaseURL  string      `json:"api_base_url,omitempty"`
	// OAuthBaseURL is the OAuth server (default https://oauth.pipedrive.com);
	// tests point it at the simulator. Hidden in the spec.
	OAuthBaseURL string `json:"oauth_base_url,omitempty"`
	Concurrency  int    `json:"concurrency,omitempty"`
	// MaxTokens caps the API tokens one read spends (0: none).
	MaxTokens int64 `json:"max_tokens,omitempty"`
	// BudgetReserve is the daily budget left to the company's others:
	// "10%" of the limit or a number of tokens (client.ParseReserve);
	// "" is client.DefaultReserve.
	BudgetReserve string `json:"budget_reserve,omitempty"`
	// Readable adds each record's decoded custom fields (names, option
	// labels, typed parts) as _pdx_readable, declared in the catalog.
	Readable bool `json:"readable,omitempty"`
	// ReconcileDeletes: tombstone the purged ids delivered before, kept in
	// IDsDir (absolute, persisting between reads).
	ReconcileDeletes bool   `json:"reconcile_deletes,omitempty"`
	IDsDir           string `json:"ids_dir,omitempty"`

	start    time.Time
	migrated string // the old shape this config was migrated from, or ""
}

// rawConfig is every shape ParseConfig accepts; unknown fields are ignored.
type rawConfig struct {
	Credentials          *Credentials    `json:"credentials"`
	Authorization        *oldCredentials `json:"authorization"`
	APIToken             *string         `json:"api_token"`
	StartDate            *string         `json:"start_date"`
	ReplicationStartDate *string         `json:"replication_start_date"`
	APIBaseURL           *string         `json:"api_base_url"`
	OAuthBaseURL         *string         `json:"oauth_base_url"`
	Concurrency          *int            `json:"concurrency"`
	MaxTokens            *int64          `json:"max_tokens"`
	BudgetReserve        *string         `json:"budget_reserve"`
	Readable             *bool           `json:"readable"`
	ReconcileDeletes     *bool           `json:"reconcile_deletes"`
	IDsDir               *string         `json:"ids_dir"`
}

type oldCredentials struct {
	AuthType     string `json:"auth_type"` // "Token" | "Client"
	APIToken     string `json:"api_token"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// Reserve is the config's budget reserve (validated by ParseConfig).
func (c *Config) Reserve() client.Reserve {
	r, err := client.ParseReserve(c.BudgetReserve)
	if err != nil {
		return client.DefaultReserve
	}
	return r
}

// MaxConcurrency bounds the concurrency setting: more parallel streams than
// this only fight over the same burst limit.
const MaxConcurrency = 16

// ParseConfig reads a config in any accepted shape and validates it. Errors
// wrap ErrInvalidConfig and never contain a secret value.
func ParseConfig(data []byte) (*Config, error) {
	var raw rawConfig
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&raw); err != nil {
		// The JSON error may quote part of the input (a secret): name only the position.
		return nil, configErr("cannot read the config as JSON (%s)", jsonErrWhere(err))
	}
	c := &Config{}
	switch {
	case raw.Credentials != nil:
		c.Credentials = *raw.Credentials
	case raw.Authorization != nil:
		c.migrated = "authorization"
		o := raw.Authorization
		switch {
		case o.AuthType == "Token" || (o.AuthType == "" && o.APIToken != ""):
			c.Credentials = Credentials{AuthType: AuthAPIToken, APIToken: o.APIToken}
		case o.AuthType == "Client" || (o.AuthType == "" && o.RefreshToken != ""):
			c.Credentials = Credentials{AuthType: AuthOAuth, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RefreshToken: o.RefreshToken}
		default:
			return nil, configErr("authorization.auth_type %q is not one of Token, Client", o.AuthType)
		}
	case raw.APIToken != nil:
		c.migrated = "api_token"
		c.Credentials = Credentials{AuthType: AuthAPIToken, APIToken: *raw.APIToken}
	default:
		return nil, configErr(`no credentials: set "credentials": {"auth_type": "api_token", "api_token": "<your Pipedrive API token>"}`)
	}
	switch {
	case raw.StartDate != nil:
		c.StartDate = *raw.StartDate
	case raw.ReplicationStartDate != nil:
		c.StartDate = *raw.ReplicationStartDate
		if c.migrated == "" {
			c.migrated = "replication_start_date"
		}
	}
	if raw.APIBaseURL != nil {
		c.APIBaseURL = *raw.APIBaseURL
	}
	if raw.OAuthBaseURL != nil {
		c.OAuthBaseURL = *raw.OAuthBaseURL
	}
	if raw.MaxTokens != nil {
		c.MaxTokens = *raw.MaxTokens
	}
	if raw.BudgetReserve != nil {
		c.BudgetReserve = *raw.BudgetReserve
	}
	if raw.Readable != nil {
		c.Readable = *raw.Readable
	}
	if raw.Concurrency != nil {
		c.Concurrency = *raw.Concurrency
	}
	if raw.ReconcileDeletes != nil {
		c.ReconcileDeletes = *raw.ReconcileDeletes
	}
	if raw.IDsDir != nil {
		c.IDsDir = *raw.IDsDir
	}
	if c.ReconcileDeletes && !filepath.IsAbs(c.IDsDir) {
		return nil, configErr("reconcile_deletes needs ids_dir, an absolute directory that persists between reads (got %q)", c.IDsDir)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func jsonErrWhere(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String()))
	}
	return "unreadable JSON"
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "ptr", "struct", "map":
		return "object"
	case "int", "int64":
		return "integer"
	}
	return k
}

func (c *Config) validate() error {
	cr := &c.Credentials
	switch cr.AuthType {
	case AuthAPIToken:
		cr.APIToken = strings.TrimSpace(cr.APIToken)
		if cr.APIToken == "" {
			return configErr("credentials.api_token is empty: copy your token from Pipedrive > Personal preferences > API")
		}
		if strings.ContainsAny(cr.APIToken, " \t\r\n") {
			return configErr("credentials.api_token contains white space: paste the token alone")
		}
	case AuthOAuth:
		var missing []string
		for _, f := range []struct{ name, v string }{{"client_id", cr.ClientID}, {"client_secret", cr.ClientSecret}, {"refresh_token", cr.RefreshToken}} {
			if strings.TrimSpace(f.v) == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return configErr("credentials (oauth2.0) lacks %s", strings.Join(missing, ", "))
		}
		if cr.TokenExpiryDate != "" {
			if _, err := time.Parse(time.RFC3339, cr.TokenExpiryDate); err != nil {
				return configErr("credentials.token_expiry_date %q is not an RFC 3339 time", cr.TokenExpiryDate)
			}
		}
		if cr.APIDomain != "" {
			if err := checkBaseURL(cr.APIDomain); err != nil {
				return configErr("credentials.api_domain: %v", err)
			}
		}
	case "":
		return configErr(`credentials.auth_type is missing: use "api_token" or "oauth2.0"`)
	default:
		return configErr(`credentials.auth_type %q is not one of "api_token", "oauth2.0"`, cr.AuthType)
	}
	if c.StartDate != "" {
		t, err := startdate.Parse(c.StartDate)
		if err != nil {
			return configErr("start_date: %v", err)
		}
		c.start = t
	}
	if c.APIBaseURL != "" {
		if err := checkBaseURL(c.APIBaseURL); err != nil {
			return configErr("api_base_url: %v", err)
		}
		c.APIBaseURL = strings.TrimRight(c.APIBaseURL, "/")
	}
	if c.OAuthBaseURL != "" {
		if err := checkBaseURL(c.OAuthBaseURL); err != nil {
			return configErr("oauth_base_url: %v", err)
		}
		c.OAuthBaseURL = strings.TrimRight(c.OAuthBaseURL, "/")
	}
	if c.MaxTokens < 0 {
		return configErr("max_tokens %d: must be 0 (no cap) or more", c.MaxTokens)
	}
	if _, err := client.ParseReserve(c.BudgetReserve); err != nil {
		return configErr("%v", err)
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		return configErr("concurrency %d is outside 1..%d (0 or absent: the default)", c.Concurrency, MaxConcurrency)
	}
	return nil
}

// checkBaseURL accepts https URLs, and http only on a loopback host (the
// simulator in tests): a token must never travel in clear text.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL like https://api.pipedrive.com", s)
	}
	if u.User != nil {
		return errors.New("the URL must not carry a user or password")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q uses http: only https is allowed (http only on a loopback address, for tests)", s)
	}
	return fmt.Errorf("%q: scheme %q is not https", s, u.Scheme)
}

// isLoopback is the client's rule: plain http only to this machine.
var isLoopback = client.IsLoopback

// TokenExpiry is the parsed credentials.token_expiry_date (zero if unset).
func (c *Config) TokenExpiry() time.Time {
	t, _ := time.Parse(time.RFC3339, c.Credentials.TokenExpiryDate)
	return t
}

// Start is the parsed start date (zero when none is set).
func (c *Config) Start() time.Time { return c.start }

// Migrated says whether the config came in an old shape; MigratedFrom names it.
func (c *Config) Migrated() bool { return c.migrated != "" }

// MigratedFrom names the old shape ("api_token", "authorization",
// "replication_start_date"), or "".
func (c *Config) MigratedFrom() string { return c.migrated }

// JSON is the config in the current shape, complete (secrets included: it
// is what the platform stores). A migrated start date is written in RFC 3339.
func (c *Config) JSON() json.RawMessage {
	out := *c
	if c.migrated != "" && !c.start.IsZero() {
		out.StartDate = c.start.Format(time.RFC3339)
	}
	b, err := json.Marshal(&out)
	if err != nil {
		panic("airbyte: marshal config: " + err.Error()) // plain strings and an int cannot fail
	}
	return b
}

// Secrets lists the config's airbyte_secret values.
func (c *Config) Secrets() []string {
	cr := c.Credentials
	return []string{cr.APIToken, cr.ClientID, cr.ClientSecret, cr.RefreshToken, cr.AccessToken}
}

// Masker hides the config's secrets.
func (c *Config) Masker() *Masker { return NewMasker(c.Secrets()...) }

// ControlMessage is the CONNECTOR_CONFIG message carrying this config in
// full, sent when the config was migrated (or tokens rotated).
func (c *Config) ControlMessage() *Message {
	return &Message{Type: TypeControl, Control: &ControlMessage{
		Type:            "CONNECTOR_CONFIG",
		ConnectorConfig: &ControlConnectorConfig{Config: c.JSON()},
	}}
}

// SecretsFromJSON collects every string value under a key that names a
// secret in the spec, from a config that may not parse. It lets a caller
// mask secrets even in the error path of a half-valid config.
func SecretsFromJSON(data []byte) []string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && secretKeys[k] {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

var secretKeys = map[string]bool{"api_token": true, "client_id": true, "client_secret": true, "refresh_token": true, "access_token": true}
