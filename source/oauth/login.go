package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultCallbackPort is the fixed loopback port of the login callback.
// Pipedrive compares the redirect URI with the app's registered Callback URL
// exactly, so it never changes by itself; --redirect-uri picks another.
const DefaultCallbackPort = 47390

// DefaultRedirectURI is the Callback URL to register in the Pipedrive app.
var DefaultRedirectURI = "http://127.0.0.1:" + strconv.Itoa(DefaultCallbackPort) + "/callback"

// LoginOptions configure Login. Config.ClientID and ClientSecret are required.
type LoginOptions struct {
	Config
	// RedirectURI must equal the app's Callback URL; default
	// DefaultRedirectURI. A loopback http URI gets a one-shot local server;
	// port 0 binds any free port (tests only: Pipedrive needs a fixed one).
	// Any other URI (e.g. https on a server you run) works with Prompt only.
	RedirectURI string
	// RefreshToken, when set, skips the browser: the token is exchanged once
	// to validate it and the (possibly rotated) result is returned.
	RefreshToken string
	// ShowURL, if set, is called with the authorize URL before waiting, so
	// the caller can print it for users whose browser does not open.
	ShowURL func(authURL string)
	// OpenBrowser, if set, opens the authorize URL. An error is not fatal
	// while ShowURL or Prompt gives the user another way.
	OpenBrowser func(authURL string) error
	// Prompt, if set, reads a pasted redirect URL (or bare code) for hosts
	// where the browser cannot reach the loopback server (SSH). It runs
	// alongside the callback server; whichever answers first wins, and its
	// ctx is cancelled when Login returns.
	Prompt func(ctx context.Context) (string, error)
}

// Login signs in and returns the tokens to store. It blocks until the
// callback arrives, Prompt answers, or ctx ends (callers set a timeout).
func Login(ctx context.Context, o LoginOptions) (Tokens, error) {
	cfg, err := o.Config.withDefaults()
	if err != nil {
		return Tokens{}, err
	}
	if o.RefreshToken != "" {
		t, err := cfg.refresh(ctx, strings.TrimSpace(o.RefreshToken))
		if err != nil {
			return Tokens{}, fmt.Errorf("validate the refresh token: %w", err)
		}
		return t, nil
	}
	redirect := o.RedirectURI
	if redirect == "" {
		redirect = DefaultRedirectURI
	}
	ru, err := url.Parse(redirect)
	if err != nil || ru.Host == "" || (ru.Scheme != "http" && ru.Scheme != "https") {
		return Tokens{}, &Error{Kind: ErrBadInput, Msg: fmt.Sprintf("oauth: redirect URI %q is not an absolute http(s) URL", redirect)}
	}
	state, err := randomState()
	if err != nil {
		return Tokens{}, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, 2)

	loopback := ru.Scheme == "http" && isLoopback(ru.Hostname())
	if !loopback && o.Prompt == nil {
		return Tokens{}, &Error{Kind: ErrBadInput, Msg: fmt.Sprintf("oauth: redirect URI %q is not a loopback http address, so pdx cannot receive the callback itself; paste the redirect URL instead (interactive terminal needed)", redirect)}
	}
	if loopback {
		stop, bound, err := serveCallback(ru, state, results)
		if err != nil {
			return Tokens{}, err
		}
		defer stop()
		ru = bound
	}
	redirect = ru.String()
	authURL := cfg.oauth2(redirect).AuthCodeURL(state)

	if o.ShowURL != nil {
		o.ShowURL(authURL)
	}
	if o.OpenBrowser != nil {
		if err := o.OpenBrowser(authURL); err != nil && o.ShowURL == nil && o.Prompt == nil {
			return Tokens{}, fmt.Errorf("oauth: could not open a browser: %w", err)
		}
	}
	if o.Prompt != nil {
		go func() {
			in, err := o.Prompt(ctx)
			if err != nil {
				if loopback && ctx.Err() == nil {
					// No terminal to paste into (stdin closed): the browser
					// can still finish through the loopback callback.
					return
				}
				results <- result{err: fmt.Errorf("oauth: reading the pasted redirect URL: %w", err)}
				return
			}
			code, err := parsePasted(in, state)
			results <- result{code: code, err: err}
		}()
	}

	var r result
	select {
	case r = <-results:
	case <-ctx.Done():
		return Tokens{}, fmt.Errorf("oauth: waiting for the Pipedrive sign-in to finish: %w", ctx.Err())
	}
	if r.err != nil {
		return Tokens{}, r.err
	}
	return cfg.exchange(ctx, r.code, redirect)
}

type result struct {
	code string
	err  error
}

func randomState() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("oauth: random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// serveCallback listens on the redirect URI's loopback address and delivers
// the first callback to results. It returns the URI actually bound (port 0
// resolved) and a stop function.
func serveCallback(ru *url.URL, state string, results chan<- result) (stop func(), bound *url.URL, err error) {
	port := ru.Port()
	if port == "" {
		port = "80"
	}
	host := ru.Hostname()
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, port)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if isAddrInUse(err) {
			return nil, nil, &Error{Kind: ErrPortBusy, Msg: fmt.Sprintf(
				"oauth: the login callback port %s is busy (another `pdx auth login` may be running): stop what uses it, or pass --redirect-uri http://127.0.0.1:<free port>/callback and register exactly that Callback URL in your Pipedrive app", addr)}
		}
		return nil, nil, fmt.Errorf("oauth: listen for the login callback on %s: %w", addr, err)
	}
	b := *ru
	if port == "0" {
		b.Host = net.JoinHostPort(ru.Hostname(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	path := ru.Path
	if path == "" {
		path = "/"
	}
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		code, cerr := checkCallback(r.URL.Query(), state, true)
		handled := false
		once.Do(func() {
			handled = true
			results <- result{code: code, err: cerr}
		})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case !handled:
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, page("pdx: already handled", "This sign-in already finished. You can close this tab."))
		case cerr != nil:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, page("pdx: sign-in failed", "pdx could not finish signing in; see the terminal for why. You can close this tab."))
		default:
			fmt.Fprint(w, page("pdx: signed in", "pdx received the authorization. You can close this tab and return to the terminal."))
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on stop
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return stop, &b, nil
}

func page(title, body string) string {
	// Static text only: nothing from the request is echoed into the page.
	return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + title +
		"</title></head><body style=\"font-family:sans-serif;margin:3em\"><h2>" + title +
		"</h2><p>" + body + "</p></body></html>"
}

func isAddrInUse(err error) bool {
	if errors.Is(err, syscall.EADDRINUSE) {
		return true
	}
	// Windows reports WSAEADDRINUSE, which syscall.EADDRINUSE does not match.
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "address already in use") || strings.Contains(s, "only one usage of each socket address")
}

// checkCallback validates the redirect's query. The state is checked first,
// so a forged request cannot pass off an error as Pipedrive's.
func checkCallback(q url.Values, state string, requireState bool) (string, error) {
	got := q.Get("state")
	if (requireState || got != "") && subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
		return "", &Error{Kind: ErrStateMismatch, Msg: "oauth: the sign-in callback's state does not match this login (a stale browser tab, or a request that did not come from Pipedrive); nothing was saved — run the login again and finish it in the tab it opens"}
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return "", &Error{Kind: ErrAccessDenied, Msg: "oauth: access was denied in Pipedrive's consent screen (error=access_denied); nothing was saved — run the login again and choose Allow to let pdx read your data"}
		}
		msg := "oauth: Pipedrive returned an error to the sign-in callback"
		if c := safeCode(e); c != "" {
			msg += " (error=" + c + ")"
		}
		return "", &Error{Msg: msg}
	}
	code := q.Get("code")
	if code == "" {
		return "", &Error{Kind: ErrBadInput, Msg: "oauth: the sign-in callback carried no authorization code"}
	}
	return code, nil
}

// parsePasted accepts the whole redirect URL (or its query string), checking
// its state, or a bare code (whose state the user vouches for).
func parsePasted(in, state string) (string, error) {
	s := strings.TrimSpace(in)
	if s == "" {
		return "", &Error{Kind: ErrBadInput, Msg: "oauth: nothing was pasted: paste the whole address of the page Pipedrive redirected to (it contains code=...), or just the code"}
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "?&=") {
		raw := s
		if i := strings.IndexByte(s, '?'); i >= 0 {
			raw = s[i+1:]
		}
		if i := strings.IndexByte(raw, '#'); i >= 0 {
			raw = raw[:i]
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			return "", &Error{Kind: ErrBadInput, Msg: "oauth: the pasted text is not a redirect URL: paste the whole address from the browser, or just the code"}
		}
		return checkCallback(q, state, true)
	}
	if strings.ContainsAny(s, " \t\r\n\"'<>") || len(s) > 4096 {
		return "", &Error{Kind: ErrBadInput, Msg: "oauth: the pasted text is neither a redirect URL nor a code"}
	}
	return s, nil
}
