package app

// Sign-in use cases: log in with an API token or OAuth (auth_oauth.go), show
// who a profile's credentials belong to, log out. `pdx auth` and the UI's
// Connect step call these; they print nothing but what a Prompter shows and
// return results and errors as values (IsInput says which errors the
// person's input caused).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
)

// Auth holds what the sign-in use cases read and save.
type Auth struct {
	Profiles *profile.Store
	Secrets  *secret.Store
	// HTTPClient reaches Pipedrive and its OAuth server (nil: the default).
	HTTPClient *http.Client
}

// Login is a finished sign-in.
type Login struct {
	Profile string          // the profile's name
	Saved   profile.Profile // the profile as saved (auth type, who it is)
	Me      client.Me       // who the credentials belong to
	Budget  client.Budget   // the daily budget seen during the check
	Where   secret.Location // where the secret went
	Default bool            // the profile is the default one
}

// TokenLogin is a sign-in with an API token.
type TokenLogin struct {
	Profile     string // "" : the default profile
	Token       string // "" : asked with the prompter
	APIBaseURL  string // "" : the profile's (loopback http for tests)
	MakeDefault bool
}

// verifyTimeout bounds the /users/me check.
const verifyTimeout = 60 * time.Second

// load reads the config and resolves a profile name ("" : the default).
func (a Auth) load(name string) (*profile.Config, string, profile.Profile, bool, error) {
	cfg, err := a.Profiles.Load()
	if err != nil {
		return nil, "", profile.Profile{}, false, err
	}
	name, p, exists := cfg.Resolve(name)
	return cfg, name, p, exists, nil
}

// check asks /v1/users/me who sec belongs to.
func (a Auth) check(ctx context.Context, p profile.Profile, sec secret.Secret, persist func(secret.Secret) error) (client.Me, client.Budget, error) {
	cl, err := NewClient(Conn{Profile: p, Secret: sec, Persist: persist, HTTPClient: a.HTTPClient})
	if err != nil {
		return client.Me{}, client.Budget{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	me, err := cl.Me(ctx)
	return me, cl.Budget(), err
}

// save stores sec, then the profile with who it belongs to.
func (a Auth) save(cfg *profile.Config, name string, p profile.Profile, sec secret.Secret, me client.Me, makeDefault bool) (Login, error) {
	loc, err := a.Secrets.Set(name, sec)
	if err != nil {
		return Login{}, err
	}
	p.Company, p.CompanyDomain, p.User = me.CompanyName, me.CompanyDomain, UserLabel(me)
	cfg.Put(name, p)
	if makeDefault {
		cfg.Default = name
	}
	if err := a.Profiles.Save(cfg); err != nil {
		return Login{}, err
	}
	return Login{Profile: name, Saved: p, Me: me, Where: loc, Default: cfg.Default == name}, nil
}

// LoginToken checks an API token against Pipedrive and only then saves it.
func (a Auth) LoginToken(ctx context.Context, in TokenLogin, pr Prompter) (Login, error) {
	cfg, name, p, _, err := a.load(in.Profile)
	if err != nil {
		return Login{}, err
	}
	if err := profile.ValidateName(name); err != nil {
		return Login{}, &inputError{err}
	}
	if in.APIBaseURL != "" {
		p.APIBaseURL = in.APIBaseURL
	}
	tok := in.Token
	if tok == "" {
		if tok, err = pr.Hidden("token", "Pipedrive API token (Personal preferences > API; input hidden): "); err != nil {
			return Login{}, err
		}
	}
	p.AuthType = profile.AuthToken
	sec := secret.Secret{APIToken: tok}
	me, bu, err := a.check(ctx, p, sec, nil)
	if err != nil {
		return Login{}, fmt.Errorf("the token was not saved: %w", err)
	}
	l, err := a.save(cfg, name, p, sec, me, in.MakeDefault)
	l.Budget = bu
	return l, err
}

// Status is what `pdx auth status` shows. When the check fails, every
// field but Me and Budget is still set (Found says the secret was read).
type Status struct {
	Profile    string
	Default    bool
	APIBaseURL string // the address used ("" in the profile: the default)
	Where      secret.Location
	OAuth      bool   // signed in with OAuth (not overridden by the environment)
	ClientID   string // the OAuth app's client id
	Found      bool
	Me         client.Me
	Budget     client.Budget
	Profiles   []string // every profile's name
}

// Status reads a profile's secret and checks it live; rotated OAuth tokens
// are saved on the way.
func (a Auth) Status(ctx context.Context, name string) (Status, error) {
	cfg, name, p, exists, err := a.load(name)
	if err != nil {
		return Status{}, err
	}
	st := Status{Profile: name, Default: cfg.Default == name, APIBaseURL: p.APIBaseURL, Profiles: cfg.Names()}
	if st.APIBaseURL == "" {
		st.APIBaseURL = client.DefaultBaseURL
	}
	sec, loc, err := a.Secrets.Get(name)
	if errors.Is(err, secret.ErrNotFound) {
		if !exists {
			return st, fmt.Errorf("profile %q does not exist: run 'pdx auth login --profile %s'", name, name)
		}
		return st, notLoggedIn(name, err)
	}
	if err != nil {
		return st, err
	}
	st.Found, st.Where = true, loc
	if p.AuthType == profile.AuthOAuth && loc.Kind != secret.KindEnv {
		st.OAuth, st.ClientID = true, sec.ClientID
	}
	st.Me, st.Budget, err = a.check(ctx, p, sec, func(s secret.Secret) error { _, err := a.Secrets.Set(name, s); return err })
	if err != nil {
		return st, fmt.Errorf("the saved credentials do not work: %w", err)
	}
	return st, nil
}

// NotLoggedInError: a profile has no stored credentials. When the OS
// keyring could not be asked, they may be there: Note says so apart from
// the message, which stays one plain sentence.
type NotLoggedInError struct {
	Profile string
	// Unreachable is set when the keyring could not be reached (where pdx
	// looked, the keyring's own error).
	Unreachable *secret.UnreachableError
}

func (e *NotLoggedInError) Error() string {
	return fmt.Sprintf("profile %q is not logged in: no credentials stored for profile %q; run 'pdx auth login --profile %s'", e.Profile, e.Profile, e.Profile)
}

// Unwrap is secret.ErrNotFound, which Explain and Hint know.
func (e *NotLoggedInError) Unwrap() error { return secret.ErrNotFound }

// Note says, only when the keyring could not be reached, where pdx looked;
// verbose adds the keyring's own error (an exec or D-Bus message).
func (e *NotLoggedInError) Note(verbose bool) string {
	u := e.Unreachable
	if u == nil {
		return ""
	}
	n := fmt.Sprintf("the OS keyring could not be reached, so pdx looked only in %s, which does not exist", u.File)
	if verbose {
		return n + "; the keyring said: " + u.Err.Error()
	}
	return n + fmt.Sprintf(" ('pdx auth status --profile %s --verbose' shows the keyring's error)", e.Profile)
}

// notLoggedIn is the NotLoggedInError of profile name for err (an
// ErrNotFound from the secret store).
func notLoggedIn(name string, err error) error {
	e := &NotLoggedInError{Profile: name}
	errors.As(err, &e.Unreachable)
	return e
}

// Logout says what a logout removed.
type Logout struct {
	Profile string
	Had     bool            // there were saved credentials
	Where   secret.Location // where they were (KindEnv: only the environment has some)
}

// Logout removes a profile's saved credentials; its settings and state stay.
func (a Auth) Logout(name string) (Logout, error) {
	_, name, _, _, err := a.load(name)
	if err != nil {
		return Logout{}, err
	}
	_, loc, gerr := a.Secrets.Get(name)
	if err := a.Secrets.Delete(name); err != nil {
		return Logout{}, err
	}
	return Logout{Profile: name, Had: !errors.Is(gerr, secret.ErrNotFound), Where: loc}, nil
}

// UserLabel names the user: "Name <email>", or what is known.
func UserLabel(me client.Me) string {
	switch {
	case me.Name != "" && me.Email != "":
		return me.Name + " <" + me.Email + ">"
	case me.Name != "":
		return me.Name
	}
	return me.Email
}

// CompanyLabel names the company and its Pipedrive address.
func CompanyLabel(me client.Me) string {
	if me.CompanyDomain != "" {
		return fmt.Sprintf("%s (%s.pipedrive.com)", me.CompanyName, me.CompanyDomain)
	}
	return me.CompanyName
}
