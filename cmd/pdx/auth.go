package main

// `pdx auth login|status|logout`: credentials per profile. The token is
// read from a hidden prompt or, with --with-token, from stdin; never from an
// argument (it would sit in the shell history and the process list).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/tui"
)

// envNoKeyring turns the OS keyring off (containers, tests): secrets then go
// to the warned 0600 file.
const envNoKeyring = "PDX_NO_KEYRING"

// authOAuthLogin runs `pdx auth login --oauth` (the UI checks it is set to
// offer OAuth); the built-in one reads the login command's flags.
var authOAuthLogin func(cmd *cobra.Command, g *globals, name string) error = builtinOAuthLogin

func builtinOAuthLogin(cmd *cobra.Command, _ *globals, name string) error {
	fl := cmd.Flags()
	var f oauthFlags
	f.clientID, _ = fl.GetString("client-id")
	f.redirectURI, _ = fl.GetString("redirect-uri")
	f.baseURL, _ = fl.GetString("oauth-base-url")
	f.noBrowser, _ = fl.GetBool("no-browser")
	f.refreshStdin, _ = fl.GetBool("refresh-token-stdin")
	withToken, _ := fl.GetBool("with-token")
	err := oauthLogin(cmd, name, f, withToken)
	if err != nil {
		reportToUI(err)
	}
	return err
}

// reportToUI leaves the failure message where the UI that ran this command
// reads it (tui.EnvOAuthResult): the UI covers this terminal again on exit.
// Only a file the UI created is written (no O_CREATE).
func reportToUI(err error) {
	path := os.Getenv(tui.EnvOAuthResult)
	if path == "" {
		return
	}
	f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if ferr != nil {
		return
	}
	fmt.Fprint(f, err.Error())
	f.Close()
}

// stores opens the config and secret stores.
func stores(errw io.Writer) (*profile.Store, *secret.Store, error) {
	ps, err := profile.Open()
	if err != nil {
		return nil, nil, err
	}
	ss := secret.New(secret.Options{Dir: ps.Dir(), NoKeyring: os.Getenv(envNoKeyring) != "", Warn: errw})
	return ps, ss, nil
}

// loaded is a profile as the commands see it: the stores, the whole config
// (to save it back) and the profile --profile names (or the default).
type loaded struct {
	ps     *profile.Store
	ss     *secret.Store
	cfg    *profile.Config
	name   string
	p      profile.Profile
	exists bool
}

// loadProfile opens the stores and resolves g.profile; errors carry exit 1.
func loadProfile(g *globals, errw io.Writer) (*loaded, error) {
	ps, ss, err := stores(errw)
	if err != nil {
		return nil, withExit(exitFailure, err)
	}
	cfg, err := ps.Load()
	if err != nil {
		return nil, withExit(exitFailure, err)
	}
	name, p, exists := cfg.Resolve(g.profile)
	return &loaded{ps: ps, ss: ss, cfg: cfg, name: name, p: p, exists: exists}, nil
}

// verifyTimeout bounds the /users/me check.
const verifyTimeout = 60 * time.Second

// whoami checks credentials live and says who they belong to.
func whoami(ctx context.Context, p profile.Profile, sec secret.Secret, persist func(secret.Secret) error) (client.Me, *client.Client, error) {
	cl, err := app.NewClient(app.Conn{Profile: p, Secret: sec, Persist: persist})
	if err != nil {
		return client.Me{}, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	me, err := cl.Me(ctx)
	return me, cl, err
}

func init() {
	addCommand(func(g *globals) *cobra.Command {
		auth := &cobra.Command{
			Use:   "auth",
			Short: "Log in to Pipedrive, show or remove saved credentials",
			Args:  cobra.NoArgs,
		}
		auth.AddCommand(newAuthLogin(g), newAuthStatus(g), newAuthLogout(g))
		return auth
	})
}

// noTokenArgs refuses arguments without repeating them: cobra.NoArgs would
// print `unknown command "<the token>"`, and that line ends up in CI logs.
func noTokenArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usageErr(fmt.Errorf("%s takes no arguments (%d given, not shown): the token is read from a hidden prompt, or from stdin with --with-token, never from the command line, where it would stay in your shell history", cmd.CommandPath(), len(args)))
}

func newAuthLogin(g *globals) *cobra.Command {
	var withToken, useOAuth, makeDefault bool
	var baseURL string
	var of oauthFlags
	cmd := &cobra.Command{
		Use:   "login [--profile NAME] [--with-token]",
		Short: "Save a Pipedrive API token for a profile (checked first)",
		Long: "login asks for your Pipedrive API token (Pipedrive > Personal preferences > API) without echoing it,\n" +
			"checks it against /v1/users/me, and saves it in the OS keyring. With --with-token the token is read\n" +
			"from stdin instead, e.g. `pdx auth login --with-token < token.txt`. The token is never accepted as an argument.\n\n" +
			"Without an OS keyring (containers, headless Linux) the secret goes to a file readable only by you, with a\n" +
			"warning saying where; PDX_NO_KEYRING=1 chooses that file directly. PIPEDRIVE_API_TOKEN, when set, overrides\n" +
			"any saved credentials (CI). --oauth signs in with your own Pipedrive app instead (--client-id, browser).",
		Args: noTokenArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			errw := cmd.ErrOrStderr()
			l, err := loadProfile(g, errw)
			if err != nil {
				return err
			}
			ps, ss, cfg, name, p := l.ps, l.ss, l.cfg, l.name, l.p
			if err := profile.ValidateName(name); err != nil {
				return usageErr(err)
			}
			if baseURL != "" {
				p.APIBaseURL = baseURL
			}
			if !useOAuth && (of.refreshStdin || of.clientID != "" || of.redirectURI != "" || of.noBrowser) {
				return usageErr(errors.New("--client-id, --redirect-uri, --no-browser and --refresh-token-stdin go with --oauth"))
			}
			if useOAuth {
				if authOAuthLogin == nil {
					return withExit(exitFailure, errors.New("OAuth login is not available in this build; use an API token"))
				}
				return authOAuthLogin(cmd, g, name)
			}
			token, err := readToken(cmd, withToken)
			if err != nil {
				return err
			}
			p.AuthType = profile.AuthToken
			sec := secret.Secret{APIToken: token}
			me, _, err := whoami(cmd.Context(), p, sec, nil)
			if err != nil {
				return withExit(exitFailure, fmt.Errorf("the token was not saved: %w", err))
			}
			loc, err := ss.Set(name, sec)
			if err != nil {
				return withExit(exitFailure, err)
			}
			p.Company, p.CompanyDomain, p.User = me.CompanyName, me.CompanyDomain, userLabel(me)
			cfg.Put(name, p)
			if makeDefault {
				cfg.Default = name
			}
			if err := ps.Save(cfg); err != nil {
				return withExit(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Logged in to %s as %s (profile %q", companyLabel(me), userLabel(me), name)
			if cfg.Default == name {
				fmt.Fprint(out, ", the default")
			}
			fmt.Fprintf(out, ").\nToken saved in %s.\n", loc)
			if os.Getenv(secret.EnvToken) != "" {
				fmt.Fprintf(errw, "note: %s is set and overrides the saved token while it is.\n", secret.EnvToken)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&makeDefault, "default", false, "make this profile the default (the first profile saved is)")
	cmd.Flags().BoolVar(&withToken, "with-token", false, "read the token (with --oauth: the client secret) from stdin")
	cmd.Flags().BoolVar(&useOAuth, "oauth", false, "log in with OAuth (your Pipedrive app) instead of an API token")
	cmd.Flags().StringVar(&of.clientID, "client-id", "", "OAuth: your app's client id")
	cmd.Flags().StringVar(&of.redirectURI, "redirect-uri", "", "OAuth: your app's callback URL (default "+oauth.DefaultRedirectURI+")")
	cmd.Flags().BoolVar(&of.noBrowser, "no-browser", false, "OAuth: print the sign-in address instead of opening a browser")
	cmd.Flags().BoolVar(&of.refreshStdin, "refresh-token-stdin", false, "OAuth: skip the browser, read an existing refresh token from stdin (after the client secret with --with-token)")
	cmd.Flags().StringVar(&of.baseURL, "oauth-base-url", "", "OAuth server (default https://oauth.pipedrive.com; loopback http for tests)")
	cmd.Flags().MarkHidden("oauth-base-url")
	cmd.Flags().StringVar(&baseURL, "api-base-url", "", "API root (default https://api.pipedrive.com; loopback http for tests)")
	cmd.Flags().MarkHidden("api-base-url")
	return cmd
}

// readToken reads the token from stdin (--with-token) or a hidden prompt.
func readToken(cmd *cobra.Command, fromStdin bool) (string, error) {
	in := cmd.InOrStdin()
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", withExit(exitFailure, fmt.Errorf("read the token from stdin: %w", err))
		}
		tok := strings.TrimSpace(line)
		if tok == "" {
			return "", usageErr(errors.New("--with-token: no token on stdin"))
		}
		return tok, nil
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usageErr(errors.New("no terminal to ask for the token: pipe it in with --with-token (never pass it as an argument)"))
	}
	errw := cmd.ErrOrStderr()
	fmt.Fprint(errw, "Pipedrive API token (Personal preferences > API; input hidden): ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(errw)
	if err != nil {
		return "", withExit(exitFailure, fmt.Errorf("read the token: %w", err))
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", usageErr(errors.New("no token entered"))
	}
	return tok, nil
}

func userLabel(me client.Me) string {
	switch {
	case me.Name != "" && me.Email != "":
		return me.Name + " <" + me.Email + ">"
	case me.Name != "":
		return me.Name
	}
	return me.Email
}

func companyLabel(me client.Me) string {
	if me.CompanyDomain != "" {
		return fmt.Sprintf("%s (%s.pipedrive.com)", me.CompanyName, me.CompanyDomain)
	}
	return me.CompanyName
}

func newAuthStatus(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status [--profile NAME]",
		Short: "Show who the saved credentials belong to and where they are stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			l, err := loadProfile(g, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ss, cfg, name, p, exists := l.ss, l.cfg, l.name, l.p, l.exists
			sec, loc, err := ss.Get(name)
			if errors.Is(err, secret.ErrNotFound) {
				if !exists {
					return withExit(exitFailure, fmt.Errorf("profile %q does not exist: run 'pdx auth login --profile %s'", name, name))
				}
				return withExit(exitFailure, fmt.Errorf("profile %q is not logged in (%v): run 'pdx auth login --profile %s'", name, err, name))
			}
			if err != nil {
				return withExit(exitFailure, err)
			}
			fmt.Fprintf(out, "Profile:     %s", name)
			if cfg.Default == name {
				fmt.Fprint(out, " (default)")
			}
			fmt.Fprintln(out)
			base := p.APIBaseURL
			if base == "" {
				base = client.DefaultBaseURL
			}
			fmt.Fprintf(out, "API:         %s\n", base)
			fmt.Fprintf(out, "Credentials: %s\n", loc)
			if p.AuthType == profile.AuthOAuth && loc.Kind != secret.KindEnv {
				fmt.Fprintf(out, "Sign-in:     OAuth (your Pipedrive app, client id %s)\n", sec.ClientID)
			} else {
				fmt.Fprintln(out, "Sign-in:     API token")
			}
			me, cl, err := whoami(cmd.Context(), p, sec, func(s secret.Secret) error { _, err := ss.Set(name, s); return err })
			if err != nil {
				return withExit(exitFailure, fmt.Errorf("the saved credentials do not work: %w", err))
			}
			fmt.Fprintf(out, "User:        %s\n", userLabel(me))
			fmt.Fprintf(out, "Company:     %s\n", companyLabel(me))
			if b := cl.Budget(); b.Known {
				fmt.Fprintf(out, "Daily API budget: %d of %d tokens left\n", b.Remaining, b.Limit)
			}
			if others := cfg.Names(); len(others) > 1 {
				fmt.Fprintf(out, "Profiles:    %s\n", strings.Join(others, ", "))
			}
			return nil
		},
	}
}

func newAuthLogout(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [--profile NAME]",
		Short: "Remove a profile's saved credentials (its settings and state are kept)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loadProfile(g, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ss, name := l.ss, l.name
			_, loc, gerr := ss.Get(name)
			if err := ss.Delete(name); err != nil {
				return withExit(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			switch {
			case errors.Is(gerr, secret.ErrNotFound):
				fmt.Fprintf(out, "Profile %q had no saved credentials.\n", name)
			case loc.Kind == secret.KindEnv:
				fmt.Fprintf(out, "Removed the saved credentials of profile %q; %s is still set in this environment.\n", name, secret.EnvToken)
			default:
				fmt.Fprintf(out, "Removed the credentials of profile %q from %s.\n", name, loc)
			}
			return nil
		},
	}
}

// `pdx auth login --oauth`: sign in with the user's own Pipedrive app
// (source/oauth), check the result against /v1/users/me and keep every token
// in the profile's secret (one keyring blob), so later syncs refresh and
// persist rotated tokens themselves.

// oauthOpenBrowser opens the authorize URL; tests replace it with an HTTP
// client that follows the simulator's consent redirect.
var oauthOpenBrowser = oauth.SystemBrowser

// oauthLoginTimeout bounds the wait for the browser.
const oauthLoginTimeout = 5 * time.Minute

// oauthFlags are `auth login`'s OAuth options.
type oauthFlags struct {
	clientID     string
	redirectURI  string
	baseURL      string // the OAuth server (hidden; the simulator in tests)
	noBrowser    bool
	refreshStdin bool // --refresh-token-stdin: validate an existing refresh token instead of the browser
}

// oauthIntro is the one screen a first-time user needs (the UI runs this
// command, so it is also the UI's explanation).
const oauthIntro = `Signing in with OAuth uses your own Pipedrive app. To register one (once):
  1. Pipedrive developer sandbox > profile picture > Developer Hub > Create an app > Create private app
  2. Callback URL: exactly %s
  3. OAuth & access scopes: tick the ":read" scopes of the data you export (base is always on)
  4. Save, copy the Client ID and Client secret, click "Change to live"
Details: docs/oauth.md in the pdx repository.

`

// stdinLines hands out lines of stdin from one buffered reader, so that the
// client secret and a refresh token can follow each other on a pipe.
type stdinLines struct {
	in io.Reader
	br *bufio.Reader
}

func (s *stdinLines) next(what string) (string, error) {
	if s.br == nil {
		s.br = bufio.NewReader(io.LimitReader(s.in, 16<<10))
	}
	line, err := s.br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", withExit(exitFailure, fmt.Errorf("read the %s from stdin: %w", what, err))
	}
	v := strings.TrimSpace(line)
	if v == "" {
		return "", usageErr(fmt.Errorf("no %s on stdin: %w", what, errNothingEntered))
	}
	return v, nil
}

// nextOr is next, with def for an empty line (when def is set).
func (s *stdinLines) nextOr(what, def string) (string, error) {
	v, err := s.next(what)
	if err != nil && def != "" && errors.Is(err, errNothingEntered) {
		return def, nil
	}
	return v, err
}

// stdinTerminal returns stdin as a terminal, or nil when it is not one.
func stdinTerminal(cmd *cobra.Command) *os.File {
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
}

func oauthLogin(cmd *cobra.Command, name string, f oauthFlags, secretFromStdin bool) error {
	errw := cmd.ErrOrStderr()
	tty := stdinTerminal(cmd)
	lines := &stdinLines{in: cmd.InOrStdin()}
	if f.refreshStdin && tty == nil && !secretFromStdin {
		return usageErr(errors.New("--refresh-token-stdin without a terminal for the client secret: add --with-token and pipe two lines, the client secret then the refresh token"))
	}
	ps, ss, err := stores(errw)
	if err != nil {
		return withExit(exitFailure, err)
	}
	// Signing in again (a revoked token) on a terminal: enter keeps the
	// saved app's client id and secret.
	var prev secret.Secret
	if tty != nil && !secretFromStdin {
		if s, loc, err := ss.Get(name); err == nil && loc.Kind != secret.KindEnv {
			prev = s
		}
	}
	if strings.TrimSpace(f.clientID) == "" {
		// On a terminal (the UI runs this command too) ask for it.
		if tty == nil || secretFromStdin {
			return usageErr(errors.New("--oauth needs --client-id (Pipedrive Developer Hub > your app > OAuth & access scopes)"))
		}
		prompt := "OAuth client id (Developer Hub > your app > OAuth & access scopes): "
		if prev.ClientID != "" {
			prompt = fmt.Sprintf("OAuth client id (enter keeps %s): ", prev.ClientID)
		} else {
			redirect := f.redirectURI
			if redirect == "" {
				redirect = oauth.DefaultRedirectURI
			}
			fmt.Fprintf(errw, oauthIntro, redirect)
		}
		fmt.Fprint(errw, prompt)
		id, err := lines.nextOr("client id", prev.ClientID)
		if err != nil {
			return err
		}
		f.clientID = id
	}
	var clientSecret, refreshToken string
	switch {
	case secretFromStdin:
		clientSecret, err = lines.next("client secret")
	case prev.ClientSecret != "" && prev.ClientID == strings.TrimSpace(f.clientID):
		clientSecret, err = readSecretLine(cmd, "client secret", "OAuth client secret (input hidden; enter keeps the saved one): ")
		if err != nil && isNothingEntered(err) {
			clientSecret, err = prev.ClientSecret, nil
		}
	default:
		clientSecret, err = readSecretLine(cmd, "client secret", "OAuth client secret (input hidden): ")
	}
	if err != nil {
		return err
	}
	if f.refreshStdin {
		if tty != nil && !secretFromStdin {
			refreshToken, err = readSecretLine(cmd, "refresh token", "Existing refresh token (input hidden): ")
		} else {
			refreshToken, err = lines.next("refresh token")
		}
		if err != nil {
			return err
		}
	}
	cfg, err := ps.Load()
	if err != nil {
		return withExit(exitFailure, err)
	}
	_, p, _ := cfg.Resolve(name)
	if f.baseURL != "" {
		p.OAuthBaseURL = f.baseURL
	}
	opts := oauth.LoginOptions{
		Config:       oauth.Config{ClientID: strings.TrimSpace(f.clientID), ClientSecret: clientSecret, BaseURL: p.OAuthBaseURL},
		RedirectURI:  f.redirectURI,
		RefreshToken: refreshToken,
		ShowURL: func(u string) {
			fmt.Fprintf(errw, "Open this address to sign in to Pipedrive:\n  %s\n", u)
		},
	}
	if !f.noBrowser {
		opts.OpenBrowser = oauthOpenBrowser
	}
	if tty != nil && !secretFromStdin {
		opts.Prompt = oauth.LinePrompt(tty, errw, "Or paste the address your browser ended on: ")
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), oauthLoginTimeout)
	defer cancel()
	tok, err := oauth.Login(ctx, opts)
	if opts.Prompt != nil {
		fmt.Fprintln(errw) // end the paste prompt's line when the browser answered instead
	}
	if err != nil {
		return oauthExit(err)
	}
	sec := secret.Secret{ClientID: opts.Config.ClientID, ClientSecret: clientSecret, RefreshToken: tok.RefreshToken,
		AccessToken: tok.AccessToken, Expiry: tok.Expiry, APIDomain: tok.APIDomain}
	p.AuthType = profile.AuthOAuth
	if p.APIBaseURL == "" || f.baseURL != "" {
		p.APIBaseURL = tok.APIDomain
	}
	// Rotated tokens during the check are kept in sec, then saved once.
	me, _, err := whoami(ctx, p, sec, func(s secret.Secret) error { sec = s; return nil })
	if err != nil && f.refreshStdin {
		// The exchange may have spent the pasted refresh token: keep what
		// Pipedrive handed back rather than leave the user with nothing.
		if _, serr := ss.Set(name, sec); serr == nil {
			cfg.Put(name, p)
			if ps.Save(cfg) == nil {
				return oauthExit(fmt.Errorf("the refresh token works and the rotated tokens were saved, but checking them against Pipedrive failed (try `pdx auth status`): %w", err))
			}
		}
	}
	if err != nil {
		return oauthExit(fmt.Errorf("the OAuth tokens were not saved: %w", err))
	}
	loc, err := ss.Set(name, sec)
	if err != nil {
		return withExit(exitFailure, err)
	}
	p.Company, p.CompanyDomain, p.User = me.CompanyName, me.CompanyDomain, userLabel(me)
	cfg.Put(name, p)
	if err := ps.Save(cfg); err != nil {
		return withExit(exitFailure, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Logged in with OAuth to %s as %s (profile %q).\nTokens saved in %s.\n", companyLabel(me), userLabel(me), name, loc)
	if os.Getenv(secret.EnvToken) != "" {
		fmt.Fprintf(errw, "note: %s is set and overrides the saved OAuth sign-in while it is.\n", secret.EnvToken)
	}
	return nil
}

// oauthExit maps an OAuth failure to an exit code: what the user typed or
// chose (a busy port, an unusable URL or option) is a usage error (2);
// everything else, including what only a new login fixes, is 1. Messages
// come from source/oauth, which never puts a secret in them.
func oauthExit(err error) error {
	if errors.Is(err, oauth.ErrPortBusy) || errors.Is(err, oauth.ErrBadInput) {
		return usageErr(err)
	}
	return withExit(exitFailure, err)
}

// readSecretLine reads one secret from a hidden terminal prompt.
func readSecretLine(cmd *cobra.Command, what, prompt string) (string, error) {
	f := stdinTerminal(cmd)
	if f == nil {
		return "", usageErr(fmt.Errorf("no terminal to ask for the %s: pipe it in with --with-token (never pass it as an argument)", what))
	}
	errw := cmd.ErrOrStderr()
	fmt.Fprint(errw, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(errw)
	if err != nil {
		return "", withExit(exitFailure, fmt.Errorf("read the %s: %w", what, err))
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageErr(fmt.Errorf("no %s entered: %w", what, errNothingEntered))
	}
	return s, nil
}

// errNothingEntered: an empty answer to a prompt.
var errNothingEntered = errors.New("empty input")

func isNothingEntered(err error) bool { return errors.Is(err, errNothingEntered) }
