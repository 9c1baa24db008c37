package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/pdxhq/pdx/source/client"
)

// Pipedrive's OAuth server.
const (
	DefaultBaseURL  = "https://oauth.pipedrive.com"
	AuthorizePath   = "/oauth/authorize"
	TokenPath       = "/oauth/token"
	DefaultAuthURL  = DefaultBaseURL + AuthorizePath
	DefaultTokenURL = DefaultBaseURL + TokenPath
)

// DefaultLoginHint ends the message of errors that only a new login fixes.
const DefaultLoginHint = "run `pdx auth login --oauth` again"

// DefaultRefreshSkew is how long before expiry an access token is replaced.
const DefaultRefreshSkew = time.Minute

// defaultTTL is assumed when a token response has no expires_in (Pipedrive
// documents ~1 hour and always sends 3599).
const defaultTTL = 3599 * time.Second

// Config identifies the user's Pipedrive app and the OAuth server.
type Config struct {
	ClientID     string
	ClientSecret string
	// BaseURL of the OAuth server; default https://oauth.pipedrive.com. The
	// simulator's URL() in tests and --demo. Must be https or loopback http.
	BaseURL string
	// HTTPClient for the token endpoint; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock that turns expires_in into an expiry and decides when
	// to refresh; default time.Now (tests use the simulator's clock).
	Now func() time.Time
	// RefreshSkew: refresh this long before expiry (default 1 minute).
	RefreshSkew time.Duration
	// LoginHint ends "log in again" messages; default DefaultLoginHint. The
	// Airbyte source sets e.g. "re-authenticate the Pipedrive source".
	LoginHint string
}

func (c Config) withDefaults() (Config, error) {
	if strings.TrimSpace(c.ClientID) == "" {
		return c, &Error{Kind: ErrBadInput, Msg: "oauth: no client id: copy it from Pipedrive Developer Hub > your app > OAuth & access scopes"}
	}
	if c.ClientSecret == "" {
		return c, &Error{Kind: ErrBadInput, Msg: "oauth: no client secret: copy it from Pipedrive Developer Hub > your app > OAuth & access scopes"}
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if _, err := checkSecureURL(c.BaseURL); err != nil {
		return c, &Error{Kind: ErrBadInput, Msg: "oauth: server base URL: " + err.Error()}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	// The token endpoint gets the client secret, a code or a refresh token
	// (a 307/308 would resend the form body): never follow a redirect with
	// them (see source/client/redirect.go).
	c.HTTPClient = client.NoRedirects(c.HTTPClient)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RefreshSkew <= 0 {
		c.RefreshSkew = DefaultRefreshSkew
	}
	if c.LoginHint == "" {
		c.LoginHint = DefaultLoginHint
	}
	return c, nil
}

// AuthURL and TokenURL are the endpoints under BaseURL.
func (c Config) AuthURL() string  { return strings.TrimRight(c.base(), "/") + AuthorizePath }
func (c Config) TokenURL() string { return strings.TrimRight(c.base(), "/") + TokenPath }

func (c Config) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return c.BaseURL
}

func (c Config) oauth2(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  redirectURI,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.AuthURL(),
			TokenURL:  c.TokenURL(),
			AuthStyle: oauth2.AuthStyleInHeader, // HTTP Basic, form body
		},
	}
}

func (c Config) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.HTTPClient)
}

// Tokens is what a login or refresh yields. Store all of it: the refresh
// token may rotate on every refresh, and API calls must go to APIDomain.
// The JSON shape is what store/ and the Airbyte config keep.
type Tokens struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`     // zero: unknown, refreshed on first use
	APIDomain    string    `json:"api_domain"` // e.g. https://acme.pipedrive.com
	Scope        string    `json:"scope,omitempty"`
}

// String keeps tokens out of %v and %+v output (logs, panics, test failures).
func (t Tokens) String() string {
	return fmt.Sprintf("oauth.Tokens{access_token:%s refresh_token:%s expiry:%s api_domain:%s}",
		redacted(t.AccessToken), redacted(t.RefreshToken), t.Expiry.UTC().Format(time.RFC3339), t.APIDomain)
}

// GoString does the same for %#v.
func (t Tokens) GoString() string { return t.String() }

func redacted(s string) string {
	if s == "" {
		return "(none)"
	}
	return "(redacted)"
}

// checkSecureURL accepts https URLs and http only on loopback hosts.
func checkSecureURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("%q must use https (plain http is accepted only on loopback hosts)", raw)
	}
	if u.User != nil {
		return nil, errors.New("URL must not carry user info")
	}
	return u, nil
}

// isLoopback is the client's rule: plain http only to this machine.
var isLoopback = client.IsLoopback

// checkAPIDomain validates an api_domain before any token is sent there.
func checkAPIDomain(d string) (string, error) {
	if d == "" {
		return "", nil
	}
	u, err := checkSecureURL(d)
	if err != nil {
		return "", &Error{Kind: ErrInsecureAPIDomain, Msg: "oauth: refusing the api_domain from Pipedrive's token response: " + err.Error()}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", &Error{Kind: ErrInsecureAPIDomain, Msg: fmt.Sprintf("oauth: refusing api_domain %q: expected a bare origin like https://company.pipedrive.com", d)}
	}
	return u.Scheme + "://" + u.Host, nil
}

type grant int

const (
	grantCode grant = iota
	grantRefresh
)

// tokensFrom turns an x/oauth2 token into Tokens, with the expiry taken from
// expires_in on our clock (x/oauth2 uses the wall clock) and api_domain from
// the response's extra fields.
func (c Config) tokensFrom(t *oauth2.Token, previousRefresh string) (Tokens, error) {
	out := Tokens{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken}
	if out.RefreshToken == "" {
		// x/oauth2 already keeps the old one on refresh; this covers grants
		// where the server did not rotate it.
		out.RefreshToken = previousRefresh
	}
	if out.RefreshToken == "" {
		return Tokens{}, &Error{Kind: ErrBadInput, Msg: "oauth: Pipedrive's token response had no refresh token; " + c.LoginHint}
	}
	ttl := defaultTTL
	if t.ExpiresIn > 0 {
		ttl = time.Duration(t.ExpiresIn) * time.Second
	}
	out.Expiry = c.Now().Add(ttl).UTC()
	if s, ok := t.Extra("scope").(string); ok {
		out.Scope = s
	}
	if s, ok := t.Extra("api_domain").(string); ok {
		d, err := checkAPIDomain(s)
		if err != nil {
			return Tokens{}, err
		}
		out.APIDomain = d
	}
	return out, nil
}

// refresh runs the refresh_token grant once.
func (c Config) refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	if refreshToken == "" {
		return Tokens{}, &Error{Kind: ErrRefreshRejected, Msg: "oauth: no refresh token stored; " + c.LoginHint}
	}
	ts := c.oauth2("").TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken})
	t, err := ts.Token()
	if err != nil {
		return Tokens{}, c.tokenError(ctx, grantRefresh, err, refreshToken)
	}
	return c.tokensFrom(t, refreshToken)
}

// exchange trades an authorization code for tokens.
func (c Config) exchange(ctx context.Context, code, redirectURI string) (Tokens, error) {
	t, err := c.oauth2(redirectURI).Exchange(c.ctx(ctx), code)
	if err != nil {
		return Tokens{}, c.tokenError(ctx, grantCode, err, code)
	}
	return c.tokensFrom(t, "")
}

// tokenError classifies a token endpoint failure into a safe, actionable
// message. The raw body is never included: it is the server's to word and
// could echo what we sent.
func (c Config) tokenError(ctx context.Context, g grant, err error, sent string) error {
	secrets := []string{c.ClientSecret, sent}
	if ctx.Err() != nil {
		return fmt.Errorf("oauth token request: %w", ctx.Err())
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return &Error{Kind: ErrTransient, Msg: "oauth: token request to " + c.TokenURL() + " failed: " + scrub(err.Error(), secrets...)}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	code := safeCode(re.ErrorCode)
	what := fmt.Sprintf("HTTP %d", status)
	if code != "" {
		what += " " + code
	}
	switch {
	case code == "invalid_grant" && g == grantRefresh,
		g == grantRefresh && status == http.StatusBadRequest && code == "":
		return &Error{Kind: ErrRefreshRejected, Status: status, Msg: "refresh token rejected by Pipedrive (" + what + "): it was revoked or unused for 60 days — " + c.LoginHint}
	case code == "invalid_grant":
		return &Error{Kind: ErrCodeRejected, Status: status, Msg: "authorization code rejected by Pipedrive (" + what + "): it expired, was already used, or the redirect URI differs from the Callback URL registered for the app — " + c.LoginHint}
	case code == "invalid_client" || code == "unauthorized_client" || status == http.StatusUnauthorized:
		return &Error{Kind: ErrClientRejected, Status: status, Msg: "Pipedrive rejected the app's client credentials (" + what + "): check the client id and client secret in Developer Hub > your app > OAuth & access scopes"}
	case status == http.StatusTooManyRequests || status >= 500:
		return &Error{Kind: ErrTransient, Status: status, Msg: "oauth: Pipedrive's token endpoint is unavailable (" + what + "); try again later"}
	}
	msg := "oauth: Pipedrive's token endpoint refused the request (" + what + ")"
	if d := strings.TrimSpace(re.ErrorDescription); d != "" {
		if len(d) > 200 {
			d = d[:200] + "..."
		}
		msg += ": " + scrub(d, secrets...)
	}
	return &Error{Status: status, Msg: msg}
}
