package app

// Sign-in with the user's own Pipedrive app (source/oauth): the browser (or
// a pasted address, or an existing refresh token), a check against
// /v1/users/me, then every token in the profile's secret (one keyring
// blob), so later syncs refresh and persist rotated tokens themselves.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
)

// OAuthLogin is a sign-in with the user's Pipedrive app.
type OAuthLogin struct {
	Profile      string // "" : the default profile
	ClientID     string // "" : asked (interactive prompters only)
	ClientSecret string // "" : asked
	// UseRefreshToken skips the browser: an existing refresh token
	// (RefreshToken, or asked) is exchanged once instead.
	UseRefreshToken bool
	RefreshToken    string
	RedirectURI     string // "" : oauth.DefaultRedirectURI
	// APIBaseURL points the profile at another API root ("" : the
	// profile's); a loopback one (the sandbox) is its own OAuth server.
	APIBaseURL   string
	OAuthBaseURL string // "" : the profile's, else OAuthServerFor the API root
	// OpenBrowser opens the sign-in address; nil only shows it.
	OpenBrowser func(url string) error
	// Timeout bounds the wait for the browser (0: 5 minutes).
	Timeout time.Duration
}

// OAuthServerFor is the OAuth server that goes with an API root: a
// loopback root is the sandbox (or the demo's simulator), which serves its
// own /oauth/authorize and /oauth/token, so the whole sign-in can be tried
// without a Pipedrive app; any other root uses Pipedrive's ("": the
// default, oauth.pipedrive.com). The UI and the CLI both call this.
func OAuthServerFor(apiBaseURL string) string { return oauth.ServerFor(apiBaseURL) }

// OAuthServer is the OAuth server of profile p: its own oauth_base_url,
// else the one its api_base_url implies (OAuthServerFor).
func OAuthServer(p profile.Profile) string {
	if p.OAuthBaseURL != "" {
		return p.OAuthBaseURL
	}
	return OAuthServerFor(p.APIBaseURL)
}

// oauthLoginTimeout bounds the wait for the browser.
const oauthLoginTimeout = 5 * time.Minute

// OAuthIntro is the one screen a first-time user needs (%s: the callback URL).
const OAuthIntro = `Signing in with OAuth uses your own Pipedrive app. To register one (once):
  1. Pipedrive developer sandbox > profile picture > Developer Hub > Create an app > Create private app
  2. Callback URL: exactly %s
  3. OAuth & access scopes: tick the ":read" scopes of the data you export (base is always on)
  4. Save, copy the Client ID and Client secret, click "Change to live"
Details: docs/oauth.md in the pdx repository.

`

// LoginOAuth signs in, checks the tokens and saves them. What is missing
// from in is asked through pr; on a terminal, signing in again (a revoked
// grant) offers the saved app's client id and secret as defaults.
func (a Auth) LoginOAuth(ctx context.Context, in OAuthLogin, pr Prompter) (Login, error) {
	if _, nobody := pr.(noPrompter); nobody && in.UseRefreshToken && (in.RefreshToken == "" || in.ClientSecret == "") {
		return Login{}, inputErr("--refresh-token-stdin without a terminal for the client secret: add --with-token and pipe two lines, the client secret then the refresh token")
	}
	cfg, name, p, _, err := a.load(in.Profile)
	if err != nil {
		return Login{}, err
	}
	if err := profile.ValidateName(name); err != nil {
		return Login{}, &inputError{err}
	}
	var prev secret.Secret
	if pr.Interactive() {
		if s, loc, err := a.Secrets.Get(name); err == nil && loc.Kind != secret.KindEnv {
			prev = s
		}
	}
	clientID := strings.TrimSpace(in.ClientID)
	if clientID == "" {
		if !pr.Interactive() {
			return Login{}, inputErr("--oauth needs --client-id (Pipedrive Developer Hub > your app > OAuth & access scopes)")
		}
		prompt := "OAuth client id (Developer Hub > your app > OAuth & access scopes): "
		if prev.ClientID != "" {
			prompt = fmt.Sprintf("OAuth client id (enter keeps %s): ", prev.ClientID)
		} else {
			redirect := in.RedirectURI
			if redirect == "" {
				redirect = oauth.DefaultRedirectURI
			}
			pr.Say(fmt.Sprintf(OAuthIntro, redirect))
		}
		id, err := pr.Line("client id", prompt)
		switch {
		case err == nil:
			clientID = strings.TrimSpace(id)
		case prev.ClientID != "" && errors.Is(err, ErrNothingEntered):
			clientID = prev.ClientID // enter keeps the saved app
		default:
			return Login{}, err
		}
	}
	clientSecret := in.ClientSecret
	if clientSecret == "" {
		if prev.ClientSecret != "" && prev.ClientID == clientID {
			clientSecret, err = pr.Hidden("client secret", "OAuth client secret (input hidden; enter keeps the saved one): ")
			if errors.Is(err, ErrNothingEntered) {
				clientSecret, err = prev.ClientSecret, nil
			}
		} else {
			clientSecret, err = pr.Hidden("client secret", "OAuth client secret (input hidden): ")
		}
		if err != nil {
			return Login{}, err
		}
	}
	refreshToken := in.RefreshToken
	if in.UseRefreshToken && refreshToken == "" {
		if refreshToken, err = pr.Hidden("refresh token", "Existing refresh token (input hidden): "); err != nil {
			return Login{}, err
		}
	}
	switch {
	case in.OAuthBaseURL != "":
		p.OAuthBaseURL = in.OAuthBaseURL
	case in.APIBaseURL != "":
		// A new API root brings its OAuth server: the sandbox's own, or
		// Pipedrive's (not a sandbox's left in the profile).
		p.OAuthBaseURL = OAuthServerFor(in.APIBaseURL)
	default:
		p.OAuthBaseURL = OAuthServer(p)
	}
	if in.APIBaseURL != "" {
		p.APIBaseURL = in.APIBaseURL
	}
	opts := oauth.LoginOptions{
		Config:       oauth.Config{ClientID: clientID, ClientSecret: clientSecret, BaseURL: p.OAuthBaseURL, HTTPClient: a.HTTPClient},
		RedirectURI:  in.RedirectURI,
		RefreshToken: refreshToken,
		ShowURL:      func(u string) { pr.Say(fmt.Sprintf("Open this address to sign in to Pipedrive:\n  %s\n", u)) },
		OpenBrowser:  in.OpenBrowser,
		Prompt:       pr.Paste("Or paste the address your browser ended on: "),
	}
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = oauthLoginTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tok, err := oauth.Login(ctx, opts)
	if opts.Prompt != nil {
		pr.Say("\n") // end the paste prompt's line when the browser answered instead
	}
	if err != nil {
		return Login{}, err
	}
	sec := secret.Secret{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: tok.RefreshToken,
		AccessToken: tok.AccessToken, Expiry: tok.Expiry, APIDomain: tok.APIDomain}
	p.AuthType = profile.AuthOAuth
	if p.APIBaseURL == "" || in.OAuthBaseURL != "" {
		p.APIBaseURL = tok.APIDomain
	}
	// Rotated tokens during the check are kept in sec, then saved once.
	me, bu, err := a.check(ctx, p, sec, func(s secret.Secret) error { sec = s; return nil })
	if err != nil && refreshToken != "" {
		// The exchange may have spent the pasted refresh token: keep what
		// Pipedrive handed back rather than leave the user with nothing.
		if _, serr := a.Secrets.Set(name, sec); serr == nil {
			cfg.Put(name, p)
			if a.Profiles.Save(cfg) == nil {
				return Login{}, fmt.Errorf("the refresh token works and the rotated tokens were saved, but checking them against Pipedrive failed (try `pdx auth status`): %w", err)
			}
		}
	}
	if err != nil {
		return Login{}, fmt.Errorf("the OAuth tokens were not saved: %w", err)
	}
	l, err := a.save(cfg, name, p, sec, me, false)
	l.Budget = bu
	return l, err
}
