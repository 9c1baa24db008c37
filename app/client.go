package app

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
)

// ErrNoCredentials: the profile has nothing to authenticate with.
var ErrNoCredentials = errors.New("no credentials")

// Conn is what a client needs besides the profile: the secret and how to
// save rotated OAuth tokens.
type Conn struct {
	Profile profile.Profile
	Secret  secret.Secret
	// Persist saves a changed secret (rotated OAuth tokens) durably; nil
	// makes OAuth credentials unusable (rotated refresh tokens must be kept).
	Persist    func(secret.Secret) error
	HTTPClient *http.Client
	Observer   func(client.Observation)
}

// NewClient builds the API client of a profile: an API token (sent in the
// x-api-token header, never in a URL) or, for OAuth, a refreshing token
// source calling the api_domain of the latest token.
func NewClient(c Conn) (*client.Client, error) {
	reserve, err := client.ParseReserve(c.Profile.BudgetReserve)
	if err != nil {
		return nil, err
	}
	opts := client.Options{BaseURL: c.Profile.APIBaseURL, HTTPClient: c.HTTPClient, Observer: c.Observer, UserAgent: "pdx", Reserve: reserve}
	sec := c.Secret
	switch {
	case c.Profile.AuthType == profile.AuthOAuth && sec.RefreshToken != "" && sec.APIToken == "":
		if c.Persist == nil {
			return nil, errors.New("OAuth credentials need somewhere to save rotated tokens")
		}
		cfg := oauth.Config{ClientID: sec.ClientID, ClientSecret: sec.ClientSecret, BaseURL: c.Profile.OAuthBaseURL, HTTPClient: c.HTTPClient}
		tok := oauth.Tokens{AccessToken: sec.AccessToken, RefreshToken: sec.RefreshToken, Expiry: sec.Expiry, APIDomain: sec.APIDomain}
		src, err := oauth.NewSource(cfg, tok, func(t oauth.Tokens) error {
			next := sec
			next.AccessToken, next.RefreshToken, next.Expiry, next.APIDomain = t.AccessToken, t.RefreshToken, t.Expiry, t.APIDomain
			return c.Persist(next)
		})
		if err != nil {
			return nil, err
		}
		// The source reports the token's api_domain as the base URL; the
		// profile's api_base_url stays the fallback.
		opts.Auth, opts.OAuth = src, true
	case sec.APIToken != "":
		opts.Auth = client.TokenAuth(sec.APIToken)
	default:
		return nil, ErrNoCredentials
	}
	cl, err := client.New(opts)
	if err != nil {
		return nil, fmt.Errorf("API client: %w", err)
	}
	return cl, nil
}
