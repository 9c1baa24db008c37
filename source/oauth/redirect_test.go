package oauth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pdxhq/pdx/source/oauth"
)

// TestTokenEndpointRedirectsAreNotFollowed: a token endpoint that redirects
// (307/308 would resend the form body with the refresh token or code) to a
// second loopback server: the client secret and the grant never reach it.
func TestTokenEndpointRedirectsAreNotFollowed(t *testing.T) {
	const secret, refreshToken = "client-secret-canary", "refresh-token-canary"
	addSecret(secret)
	addSecret(refreshToken)
	var hits, leaks atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "" || strings.Contains(string(body), refreshToken) || strings.Contains(r.URL.RawQuery, refreshToken) {
			leaks.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":3599,"api_domain":"https://x.pipedrive.com"}`))
	}))
	t.Cleanup(other.Close)
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, status)
		}))
		t.Cleanup(srv.Close)
		src, err := oauth.NewSource(oauth.Config{ClientID: "id", ClientSecret: secret, BaseURL: srv.URL},
			oauth.Tokens{RefreshToken: refreshToken, APIDomain: "https://x.pipedrive.com"}, func(oauth.Tokens) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Refresh(context.Background()); noteErr(err) == nil {
			t.Errorf("%d: a redirected refresh succeeded", status)
		} else if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), refreshToken) {
			t.Errorf("%d: error leaks a secret: %v", status, err)
		}
	}
	if hits.Load() != 0 || leaks.Load() != 0 {
		t.Fatalf("the other origin got %d requests, %d with credentials; want 0", hits.Load(), leaks.Load())
	}
}
