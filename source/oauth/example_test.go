package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// How `pdx auth login --oauth` uses Login: open the browser (or let the user
// paste the redirect URL), then store everything returned. Here the
// simulator stands in for Pipedrive and an HTTP GET for the browser.
func ExampleLogin() {
	sim := pipedrivetest.NewServer(pipedrivetest.Options{})
	defer sim.Close()
	id, secret := sim.OAuthClient()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tok, err := oauth.Login(ctx, oauth.LoginOptions{
		Config: oauth.Config{ClientID: id, ClientSecret: secret, BaseURL: sim.URL()},
		// Real use: leave RedirectURI empty (oauth.DefaultRedirectURI).
		RedirectURI: "http://127.0.0.1:0/callback",
		ShowURL:     func(string) { /* CLI: print "Open this URL to sign in: ..." to stderr */ },
		// Real use: oauth.SystemBrowser. The simulator consents at once.
		OpenBrowser: func(u string) error {
			resp, err := http.Get(u)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		},
		// Real use on a terminal: oauth.LinePrompt(os.Stdin, os.Stderr, "Paste the address ...: ").
	})
	switch {
	case errors.Is(err, oauth.ErrPortBusy):
		fmt.Fprintln(os.Stderr, err) // names the port and --redirect-uri
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return
	}
	// Save tok (all fields) and the client secret in the keyring.
	fmt.Println("refresh token:", tok.RefreshToken != "")
	fmt.Println("api_domain is the simulator:", tok.APIDomain == sim.URL())
	// Output:
	// refresh token: true
	// api_domain is the simulator: true
}

// How a sync uses a Source: it is the client's Auth, and persist saves every
// rotated token set before the new access token is used (keyring for the
// CLI and TUI, a CONTROL message for the Airbyte source).
func ExampleNewSource() {
	sim := pipedrivetest.NewServer(pipedrivetest.Options{})
	defer sim.Close()
	id, secret := sim.OAuthClient()
	cfg := oauth.Config{ClientID: id, ClientSecret: secret, BaseURL: sim.URL(), Now: sim.Now}
	stored, err := oauth.Login(context.Background(), oauth.LoginOptions{
		Config: cfg, RedirectURI: "http://127.0.0.1:0/callback",
		OpenBrowser: func(u string) error {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
			}
			return err
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	saves := 0
	src, err := oauth.NewSource(cfg, stored, func(t oauth.Tokens) error {
		saves++
		stored = t // keyring.Set(...) in real use; return its error
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := client.New(client.Options{BaseURL: sim.URL(), Auth: src, OAuth: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	sim.Advance(2 * time.Hour) // the access token expires mid-sync
	if _, err := c.Me(context.Background()); err != nil {
		if oauth.NeedsLogin(err) {
			fmt.Println("log in again:", err)
		}
		return
	}
	fmt.Println("refreshes:", src.Refreshes(), "saves:", saves)
	// Output:
	// refreshes: 1 saves: 1
}
