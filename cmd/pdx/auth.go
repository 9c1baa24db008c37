package main

// `pdx auth login|status|logout`: flags and output around app.Auth. The token is
// read from a hidden prompt or, with --with-token or when stdin is not a
// terminal, from stdin; never from an argument (it would sit in the shell
// history and the process list).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/plural"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
)

// envNoKeyring turns the OS keyring off (containers, tests): secrets then go
// to the warned 0600 file.
const envNoKeyring = "PDX_NO_KEYRING"

// oauthOpenBrowser opens the sign-in address (`pdx auth login --oauth` and
// the UI's OAuth sign-in); tests replace it with an HTTP client that
// follows the simulator's consent redirect.
var oauthOpenBrowser = oauth.SystemBrowser

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

// authOf is the sign-in use cases on l's stores.
func authOf(l *loaded) app.Auth { return app.Auth{Profiles: l.ps, Secrets: l.ss} }

// authExit attaches the exit code: 2 for what the user typed or chose
// (an empty answer, a busy port, an unusable option), 1 for the rest.
// Messages come from app and source/oauth, which never put a secret in them.
func authExit(err error) error {
	if app.IsInput(err) {
		return usageErr(err)
	}
	return withExit(exitFailure, err)
}

func init() {
	addCommand(func(g *globals) *cobra.Command {
		return parentCommand("auth", "Log in to Pipedrive, show or remove saved credentials",
			newAuthLogin(g), newAuthStatus(g), newAuthLogout(g))
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
			"checks it against /v1/users/me, and saves it in the OS keyring. With --with-token, or when stdin is not a\n" +
			"terminal, the token is read from stdin instead (its first line), e.g. `pdx auth login --with-token < token.txt`\n" +
			"or `printf '%s\\n' \"$TOKEN\" | pdx auth login`. The token is never accepted as an argument.\n\n" +
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
			if err := profile.ValidateName(l.name); err != nil {
				return usageErr(err)
			}
			if !useOAuth && (of.refreshStdin || of.clientID != "" || of.redirectURI != "" || of.noBrowser) {
				return usageErr(errors.New("--client-id, --redirect-uri, --no-browser and --refresh-token-stdin go with --oauth"))
			}
			// A token piped in is read as --with-token reads it
			// (`echo $TOKEN | pdx auth login`): a stdin that is no
			// terminal has nobody to ask anyway.
			implicit := !withToken && !useOAuth && !app.IsTerminal(cmd.InOrStdin())
			pr := app.NewPrompter(cmd.InOrStdin(), errw, withToken || implicit)
			out := cmd.OutOrStdout()
			if useOAuth {
				in := app.OAuthLogin{Profile: l.name, ClientID: of.clientID, UseRefreshToken: of.refreshStdin,
					RedirectURI: of.redirectURI, APIBaseURL: baseURL, OAuthBaseURL: of.baseURL}
				if !of.noBrowser {
					in.OpenBrowser = oauthOpenBrowser
				}
				res, err := authOf(l).LoginOAuth(cmd.Context(), in, pr)
				if err != nil {
					return authExit(err)
				}
				fmt.Fprintf(out, "Logged in with OAuth to %s as %s (profile %q).\nTokens saved in %s.\n", app.CompanyLabel(res.Me), app.UserLabel(res.Me), res.Profile, res.Where)
				noteEnvToken(errw, "saved OAuth sign-in")
				return nil
			}
			res, err := authOf(l).LoginToken(cmd.Context(), app.TokenLogin{Profile: l.name, APIBaseURL: baseURL, MakeDefault: makeDefault}, pr)
			if implicit && errors.Is(err, app.ErrNothingEntered) {
				return usageErr(errors.New("no terminal to ask for the token and no token on stdin: pipe it in (printf '%s\\n' \"$TOKEN\" | pdx auth login, the same as --with-token), or run this in a terminal"))
			}
			if err != nil {
				return authExit(err)
			}
			fmt.Fprintf(out, "Logged in to %s as %s (profile %q", app.CompanyLabel(res.Me), app.UserLabel(res.Me), res.Profile)
			if res.Default {
				fmt.Fprint(out, ", the default")
			}
			fmt.Fprintf(out, ").\nToken saved in %s.\n", res.Where)
			noteEnvToken(errw, "saved token")
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
	cmd.Flags().StringVar(&of.baseURL, "oauth-base-url", "", "OAuth server (default https://oauth.pipedrive.com, or a loopback --api-base-url itself: the sandbox)")
	cmd.Flags().MarkHidden("oauth-base-url")
	cmd.Flags().StringVar(&baseURL, "api-base-url", "", "API root (default https://api.pipedrive.com; loopback http for tests)")
	cmd.Flags().MarkHidden("api-base-url")
	return cmd
}

// oauthFlags are `auth login`'s OAuth options.
type oauthFlags struct {
	clientID     string
	redirectURI  string
	baseURL      string // the OAuth server (hidden; the simulator in tests)
	noBrowser    bool
	refreshStdin bool // --refresh-token-stdin: validate an existing refresh token instead of the browser
}

// noteEnvToken says that PIPEDRIVE_API_TOKEN overrides what was just saved.
func noteEnvToken(errw io.Writer, what string) {
	if os.Getenv(secret.EnvToken) != "" {
		fmt.Fprintf(errw, "note: %s is set and overrides the %s while it is.\n", secret.EnvToken, what)
	}
}

func newAuthStatus(g *globals) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "status [--profile NAME]",
		Short: "Show who the saved credentials belong to and where they are stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			l, err := loadProfile(g, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			st, err := authOf(l).Status(cmd.Context(), l.name)
			if nl := (*app.NotLoggedInError)(nil); errors.As(err, &nl) {
				// The plain fact, then (only when it matters) the keyring.
				fmt.Fprintln(cmd.ErrOrStderr(), "pdx:", nl)
				if note := nl.Note(verbose); note != "" {
					fmt.Fprintln(cmd.ErrOrStderr(), "pdx: note:", note)
				}
				return withExit(exitFailure, nil)
			}
			if !st.Found {
				return withExit(exitFailure, err)
			}
			fmt.Fprintf(out, "Profile:     %s", st.Profile)
			if st.Default {
				fmt.Fprint(out, " (default)")
			}
			fmt.Fprintln(out)
			fmt.Fprintf(out, "API:         %s\n", st.APIBaseURL)
			fmt.Fprintf(out, "Credentials: %s\n", st.Where)
			if st.OAuth {
				fmt.Fprintf(out, "Sign-in:     OAuth (your Pipedrive app, client id %s)\n", st.ClientID)
			} else {
				fmt.Fprintln(out, "Sign-in:     API token")
			}
			if err != nil {
				return withExit(exitFailure, err)
			}
			fmt.Fprintf(out, "User:        %s\n", app.UserLabel(st.Me))
			fmt.Fprintf(out, "Company:     %s\n", app.CompanyLabel(st.Me))
			if b := st.Budget; b.Known {
				fmt.Fprintf(out, "Daily API budget: %s of %s tokens left\n", plural.N(b.Remaining), plural.N(b.Limit))
			}
			if len(st.Profiles) > 1 {
				fmt.Fprintf(out, "Profiles:    %s\n", strings.Join(st.Profiles, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "say why the OS keyring could not be reached, in its own words")
	return cmd
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
			lo, err := authOf(l).Logout(l.name)
			if err != nil {
				return withExit(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			switch {
			case !lo.Had:
				fmt.Fprintf(out, "Profile %q had no saved credentials.\n", lo.Profile)
			case lo.Where.Kind == secret.KindEnv:
				fmt.Fprintf(out, "Removed the saved credentials of profile %q; %s is still set in this environment.\n", lo.Profile, secret.EnvToken)
			default:
				fmt.Fprintf(out, "Removed the credentials of profile %q from %s.\n", lo.Profile, lo.Where)
			}
			return nil
		},
	}
}
