package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// recorder is the "other origin": it counts requests that reached it and
// requests that carried a credential.
type recorder struct{ hits, tokens atomic.Int32 }

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.hits.Add(1)
	if r.Header.Get("x-api-token") != "" || r.Header.Get("Authorization") != "" || strings.Contains(r.URL.RawQuery, canary) {
		rec.tokens.Add(1)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"success":true,"data":[]}`))
}

// TestRedirectsAreNotFollowed: a redirecting proxy in front of the API
// points at a second loopback server; no redirect is followed, so no token
// reaches it, whatever the status or the scheme (https -> http downgrade).
func TestRedirectsAreNotFollowed(t *testing.T) {
	other := &recorder{}
	otherSrv := httptest.NewServer(other)
	t.Cleanup(otherSrv.Close)
	for _, tt := range []struct {
		name   string
		status int
		tls    bool
	}{
		{"301 to another host", http.StatusMovedPermanently, false},
		{"302 to another host", http.StatusFound, false},
		{"307 to another host", http.StatusTemporaryRedirect, false},
		{"308 to another host", http.StatusPermanentRedirect, false},
		{"302 from https to http", http.StatusFound, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, otherSrv.URL+r.URL.Path+"?"+r.URL.RawQuery, tt.status)
			})
			var c *Client
			if tt.tls {
				srv := httptest.NewTLSServer(redirect)
				t.Cleanup(srv.Close)
				var err error
				c, err = New(Options{BaseURL: srv.URL, Auth: TokenAuth(canary), HTTPClient: srv.Client(), BurstLimit: 10000})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				c, _ = newTestClient(t, redirect, nil)
			}
			before := other.hits.Load()
			_, err := c.Get(context.Background(), V2, "/deals", nil, 10)
			if err == nil {
				t.Fatal("a redirect was followed to success")
			}
			if !strings.Contains(err.Error(), "never follows redirects") || !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("error does not say where the redirect pointed and that it was refused: %v", err)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error leaks the token: %v", err)
			}
			if n := other.hits.Load() - before; n != 0 {
				t.Errorf("the other origin got %d requests", n)
			}
		})
	}
	if n := other.tokens.Load(); n != 0 {
		t.Fatalf("tokens seen by the other origin: %d, want 0", n)
	}
}
