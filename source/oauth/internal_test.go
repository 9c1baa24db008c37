package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const testState = "st4te-xyz"

func TestParsePasted(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantCode string
		wantErr  error
	}{
		{"full redirect URL", "http://127.0.0.1:47390/callback?code=abc123&state=" + testState, "abc123", nil},
		{"URL with spaces and fragment", "  http://127.0.0.1:47390/callback?state=" + testState + "&code=abc123#_ \n", "abc123", nil},
		{"query string only", "code=abc123&state=" + testState, "abc123", nil},
		{"leading question mark", "?code=abc123&state=" + testState, "abc123", nil},
		{"bare code", "  abc123\n", "abc123", nil},
		{"wrong state", "http://127.0.0.1:47390/callback?code=abc123&state=other", "", ErrStateMismatch},
		{"URL without state", "http://127.0.0.1:47390/callback?code=abc123", "", ErrStateMismatch},
		{"denied", "http://127.0.0.1:47390/callback?error=access_denied&state=" + testState, "", ErrAccessDenied},
		{"forged denial is a state mismatch", "http://127.0.0.1:47390/callback?error=access_denied", "", ErrStateMismatch},
		{"no code", "http://127.0.0.1:47390/callback?state=" + testState, "", ErrBadInput},
		{"empty", "   ", "", ErrBadInput},
		{"prose", "I could not find it", "", ErrBadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := parsePasted(tt.in, testState)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || code != tt.wantCode {
				t.Fatalf("parsePasted = %q, %v; want %q", code, err, tt.wantCode)
			}
		})
	}
}

func TestCheckCallbackOtherError(t *testing.T) {
	_, err := checkCallback(map[string][]string{"state": {testState}, "error": {"server_error<script>"}}, testState, true)
	if err == nil || strings.Contains(err.Error(), "<script>") {
		t.Fatalf("err = %v; want an error that does not echo unsafe text", err)
	}
	_, err = checkCallback(map[string][]string{"state": {testState}, "error": {"temporarily_unavailable"}}, testState, true)
	if err == nil || !strings.Contains(err.Error(), "temporarily_unavailable") {
		t.Fatalf("err = %v; want the error code named", err)
	}
}

func TestCheckAPIDomain(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"", "", false},
		{"https://acme.pipedrive.com", "https://acme.pipedrive.com", false},
		{"https://acme.pipedrive.com/", "https://acme.pipedrive.com", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"http://localhost:9", "http://localhost:9", false},
		{"http://[::1]:9", "http://[::1]:9", false},
		{"http://acme.pipedrive.com", "", true},
		{"ftp://acme.pipedrive.com", "", true},
		{"acme.pipedrive.com", "", true},
		{"https://acme.pipedrive.com/api/v1", "", true},
		{"https://user:pw@acme.pipedrive.com", "", true},
		{"http://127.0.0.1.evil.example", "", true},
	}
	for _, tt := range tests {
		got, err := checkAPIDomain(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrInsecureAPIDomain) {
				t.Errorf("checkAPIDomain(%q) err = %v; want ErrInsecureAPIDomain", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("checkAPIDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestTokenErrorClassification(t *testing.T) {
	const secret, sent = "CANARY-client-secret-42", "CANARY-refresh-token-42"
	cfg, err := Config{ClientID: "id", ClientSecret: secret}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	re := func(status int, code, desc string) error {
		return &oauth2.RetrieveError{
			Response:         &http.Response{StatusCode: status},
			Body:             []byte(`{"echo":"` + secret + sent + `"}`),
			ErrorCode:        code,
			ErrorDescription: desc,
		}
	}
	tests := []struct {
		name     string
		g        grant
		err      error
		want     error
		contains string
	}{
		{"revoked refresh", grantRefresh, re(400, "invalid_grant", "Invalid grant: refresh token is invalid"), ErrRefreshRejected, "revoked or unused for 60 days — run `pdx auth login --oauth` again"},
		{"refresh 400 without code", grantRefresh, re(400, "", ""), ErrRefreshRejected, "pdx auth login --oauth"},
		{"bad code", grantCode, re(400, "invalid_grant", ""), ErrCodeRejected, "Callback URL"},
		{"wrong secret", grantRefresh, re(401, "invalid_client", "Invalid client credentials"), ErrClientRejected, "client secret"},
		{"401 without code", grantCode, re(401, "", ""), ErrClientRejected, "HTTP 401"},
		{"server down", grantRefresh, re(503, "", ""), ErrTransient, "try again later"},
		{"rate limited", grantCode, re(429, "", ""), ErrTransient, "HTTP 429"},
		{"other, description scrubbed", grantCode, re(400, "invalid_request", "bad value "+sent), nil, "invalid_request"},
		{"network", grantRefresh, fmt.Errorf("dial tcp: connection refused (%s)", sent), ErrTransient, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cfg.tokenError(context.Background(), tt.g, tt.err, sent)
			if tt.want != nil && !errors.Is(got, tt.want) {
				t.Fatalf("kind: got %v, want %v", got, tt.want)
			}
			msg := got.Error()
			if !strings.Contains(msg, tt.contains) {
				t.Errorf("message %q lacks %q", msg, tt.contains)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, sent) {
				t.Errorf("message leaks a secret: %q", msg)
			}
			var oe *Error
			if !errors.As(got, &oe) || oe.Temporary() != (tt.want == ErrTransient) || IsTransient(got) != (tt.want == ErrTransient) {
				t.Errorf("Temporary/IsTransient wrong for %v", got)
			}
			if NeedsLogin(got) != (tt.want == ErrRefreshRejected || tt.want == ErrClientRejected || tt.want == ErrCodeRejected) {
				t.Errorf("NeedsLogin(%v) wrong", got)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := cfg.tokenError(ctx, grantRefresh, errors.New("x"), sent); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v, want context.Canceled", err)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{ClientID: "id", ClientSecret: "s"}, true},
		{"loopback sim", Config{ClientID: "id", ClientSecret: "s", BaseURL: "http://127.0.0.1:1234/"}, true},
		{"no id", Config{ClientSecret: "s"}, false},
		{"no secret", Config{ClientID: "id"}, false},
		{"plain http remote", Config{ClientID: "id", ClientSecret: "s", BaseURL: "http://oauth.pipedrive.com"}, false},
	}
	for _, tt := range tests {
		c, err := tt.cfg.withDefaults()
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err == nil && (c.TokenURL() == "" || strings.HasSuffix(c.BaseURL, "/")) {
			t.Errorf("%s: endpoints %q %q", tt.name, c.AuthURL(), c.TokenURL())
		}
	}
	c, _ := Config{ClientID: "id", ClientSecret: "s"}.withDefaults()
	if c.AuthURL() != DefaultAuthURL || c.TokenURL() != DefaultTokenURL || c.RefreshSkew != time.Minute {
		t.Errorf("defaults: %q %q %v", c.AuthURL(), c.TokenURL(), c.RefreshSkew)
	}
}

func TestTokensStringRedacts(t *testing.T) {
	tok := Tokens{AccessToken: "CANARY-at", RefreshToken: "CANARY-rt", APIDomain: "https://x.pipedrive.com"}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprint(&tok)} {
		if strings.Contains(s, "CANARY") {
			t.Errorf("formatted Tokens leak: %s", s)
		}
	}
}
