package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// oauthTokens signs in to the simulator's OAuth server without a browser.
func oauthTokens(t *testing.T, s *pipedrivetest.Server) (id, secret string, tok oauth.Tokens) {
	t.Helper()
	id, secret = s.OAuthClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := oauth.Login(ctx, oauth.LoginOptions{
		Config:      oauth.Config{ClientID: id, ClientSecret: secret, BaseURL: s.URL()},
		RedirectURI: "http://127.0.0.1:0/callback",
		OpenBrowser: func(u string) error {
			resp, err := http.Get(u) // the simulator approves and redirects to the callback
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		},
	})
	if err != nil {
		t.Fatalf("oauth login on the simulator: %v", err)
	}
	return id, secret, tok
}

// TestAirbyteOAuth: check and read with OAuth credentials; an expired access
// token is refreshed and the complete new config goes out as a CONTROL
// message before the new token is used; secrets appear only there.
func TestAirbyteOAuth(t *testing.T) {
	for _, tc := range []struct {
		name string
		// oauthBase: whether the config names the OAuth server; without
		// it a loopback api_base_url (the sandbox) is its own (the rule
		// profiles follow), so the refresh must still reach the simulator.
		oauthBase bool
	}{{"oauth_base_url given", true}, {"derived from a loopback api_base_url", false}} {
		t.Run(tc.name, func(t *testing.T) { testAirbyteOAuth(t, tc.oauthBase) })
	}
}

func testAirbyteOAuth(t *testing.T, oauthBase bool) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 11, Scale: 30})
	id, secret, tok := oauthTokens(t, s)
	cfg := map[string]any{
		"credentials": map[string]any{
			"auth_type": "oauth2.0", "client_id": id, "client_secret": secret,
			"refresh_token": tok.RefreshToken, "access_token": tok.AccessToken,
			"token_expiry_date": "2020-01-01T00:00:00Z", // expired: forces a refresh
			"api_domain":        tok.APIDomain,
		},
		"oauth_base_url": s.URL(),
		"api_base_url":   s.URL(),
	}
	if !oauthBase {
		delete(cfg, "oauth_base_url")
	}
	cfgPath := writeJSON(t, "config.json", cfg)
	r := pdx(t, v, "check", "--config", cfgPath)
	st := only(r.msgs, "CONNECTION_STATUS")
	if r.code != 0 || len(st) != 1 || st[0].ConnectionStatus.Status != "SUCCEEDED" {
		t.Fatalf("check: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	ctl := only(r.msgs, "CONTROL")
	if len(ctl) != 1 {
		t.Fatalf("%d CONTROL messages after a refresh, want 1", len(ctl))
	}
	var newCfg struct {
		Credentials map[string]string `json:"credentials"`
		APIBaseURL  string            `json:"api_base_url"`
	}
	if err := json.Unmarshal(ctl[0].Control.ConnectorConfig.Config, &newCfg); err != nil {
		t.Fatal(err)
	}
	c := newCfg.Credentials
	if c["auth_type"] != "oauth2.0" || c["client_id"] != id || c["client_secret"] != secret || c["access_token"] == "" ||
		c["access_token"] == tok.AccessToken || c["refresh_token"] == "" || c["token_expiry_date"] <= "2026" || newCfg.APIBaseURL != s.URL() {
		t.Errorf("rotated config incomplete or stale: %s", ctl[0].Control.ConnectorConfig.Config)
	}
	// Secrets appear only inside the CONTROL message.
	for _, m := range r.msgs {
		if m.Type == "CONTROL" {
			continue
		}
		for _, sec := range []string{secret, c["access_token"], c["refresh_token"], tok.RefreshToken} {
			if strings.Contains(m.Line, sec) {
				t.Errorf("a secret leaked in %s", m.Line)
			}
		}
	}

	// The rotated config reads without another refresh.
	cfg2 := writeJSON(t, "config2.json", []byte(ctl[0].Control.ConnectorConfig.Config))
	schemas, cs := discover(t, v, cfg2)
	cat := writeJSON(t, "catalog.json", catalogOf(cs, "incremental", "deals", "notes"))
	r = pdx(t, v, "read", "--config", cfg2, "--catalog", cat)
	if r.code != 0 {
		t.Fatalf("read: exit %d: %s", r.code, r.stderr)
	}
	rd := airbytetest.CheckRead(t, r.msgs, []string{"deals", "notes"}, schemas, true)
	if len(rd.Records["deals"]) == 0 || len(rd.Controls) != 0 {
		t.Errorf("%d deals, %d CONTROL messages (want > 0 and 0)", len(rd.Records["deals"]), len(rd.Controls))
	}
}

// TestAirbyteOAuthRevoked: a refresh token the server no longer accepts is
// a FAILED check that says to re-authenticate, with exit 0.
func TestAirbyteOAuthRevoked(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 12, Scale: 10})
	id, secret, tok := oauthTokens(t, s)
	s.RevokeRefreshTokens()
	cfg := writeJSON(t, "config.json", map[string]any{
		"credentials": map[string]any{"auth_type": "oauth2.0", "client_id": id, "client_secret": secret,
			"refresh_token": tok.RefreshToken, "api_domain": tok.APIDomain},
		"oauth_base_url": s.URL(), "api_base_url": s.URL(),
	})
	r := pdx(t, v, "check", "--config", cfg)
	st := only(r.msgs, "CONNECTION_STATUS")
	if r.code != 0 || len(st) != 1 || st[0].ConnectionStatus.Status != "FAILED" || !strings.Contains(st[0].ConnectionStatus.Message, "re-authenticate") {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
	noSecret(t, r, secret)
	noSecret(t, r, tok.RefreshToken)
}
