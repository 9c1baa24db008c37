package airbyte

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/startdate"
)

func TestParseConfig(t *testing.T) {
	const tok = "canary-0123456789abcdef"
	cases := []struct {
		name      string
		in        string
		wantErr   string // substring; "" = valid
		wantAuth  string
		migrated  string
		wantStart string
		wantMax   int64
	}{
		{name: "current token", in: `{"credentials":{"auth_type":"api_token","api_token":"` + tok + `"},"start_date":"2017-01-25T00:00:00Z"}`, wantAuth: AuthAPIToken, wantStart: "2017-01-25T00:00:00Z"},
		{name: "current oauth", in: `{"credentials":{"auth_type":"oauth2.0","client_id":"a","client_secret":"b","refresh_token":"c","token_expiry_date":"2026-01-01T00:00:00Z","api_domain":"https://x.pipedrive.com"}}`, wantAuth: AuthOAuth},
		{name: "old flat", in: `{"api_token":"` + tok + `","replication_start_date":"2017-01-25T00:00:00Z"}`, wantAuth: AuthAPIToken, migrated: "api_token", wantStart: "2017-01-25T00:00:00Z"},
		{name: "old authorization token", in: `{"authorization":{"auth_type":"Token","api_token":"` + tok + `"},"replication_start_date":"2017-01-25 00:00:00Z"}`, wantAuth: AuthAPIToken, migrated: "authorization", wantStart: "2017-01-25T00:00:00Z"},
		{name: "old authorization client", in: `{"authorization":{"auth_type":"Client","client_id":"a","client_secret":"b","refresh_token":"c"},"replication_start_date":"2017-01-25T00:00:00Z"}`, wantAuth: AuthOAuth, migrated: "authorization", wantStart: "2017-01-25T00:00:00Z"},
		{name: "new shape with old start date key", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"replication_start_date":"2017-01-25"}`, wantAuth: AuthAPIToken, migrated: "replication_start_date", wantStart: "2017-01-25T00:00:00Z"},
		{name: "unknown fields ignored", in: `{"credentials":{"auth_type":"api_token","api_token":"x","extra":1},"whatever":true}`, wantAuth: AuthAPIToken},
		{name: "loopback http", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"api_base_url":"http://127.0.0.1:8080/"}`, wantAuth: AuthAPIToken},
		{name: "not json", in: `{"credentials":`, wantErr: "cannot read the config"},
		{name: "no credentials", in: `{}`, wantErr: "no credentials"},
		{name: "empty token", in: `{"credentials":{"auth_type":"api_token","api_token":" "}}`, wantErr: "api_token is empty"},
		{name: "unknown auth type", in: `{"credentials":{"auth_type":"basic","api_token":"x"}}`, wantErr: `"basic" is not one of`},
		{name: "missing auth type", in: `{"credentials":{"api_token":"x"}}`, wantErr: "auth_type is missing"},
		{name: "oauth lacks fields", in: `{"credentials":{"auth_type":"oauth2.0","client_id":"a"}}`, wantErr: "lacks client_secret, refresh_token"},
		{name: "old auth type unknown", in: `{"authorization":{"auth_type":"Magic"}}`, wantErr: "not one of Token, Client"},
		{name: "bad start date", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"start_date":"25/01/2017"}`, wantErr: "start_date"},
		{name: "http remote", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"api_base_url":"http://api.pipedrive.com"}`, wantErr: "only https"},
		{name: "url with user", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"api_base_url":"https://u:p@api.pipedrive.com"}`, wantErr: "user or password"},
		{name: "negative max tokens", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"max_tokens":-1}`, wantErr: "max_tokens"},
		{name: "max tokens", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"max_tokens":25000}`, wantAuth: AuthAPIToken, wantMax: 25000},
		{name: "bad concurrency", in: `{"credentials":{"auth_type":"api_token","api_token":"x"},"concurrency":99}`, wantErr: "concurrency"},
		{name: "token of wrong type", in: `{"credentials":{"auth_type":"api_token","api_token":12345}}`, wantErr: "must be a JSON string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("err = %v, want one containing %q wrapping ErrInvalidConfig", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), tok) {
					t.Errorf("error leaks the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.Credentials.AuthType != tc.wantAuth || c.MigratedFrom() != tc.migrated {
				t.Errorf("auth %q migrated %q, want %q %q", c.Credentials.AuthType, c.MigratedFrom(), tc.wantAuth, tc.migrated)
			}
			if c.MaxTokens != tc.wantMax {
				t.Errorf("max_tokens %d, want %d", c.MaxTokens, tc.wantMax)
			}
			if got := formatStart(c.Start()); got != tc.wantStart {
				t.Errorf("start %q, want %q", got, tc.wantStart)
			}
			// The config written back (CONTROL) parses to the same config, unmigrated.
			again, err := ParseConfig(c.JSON())
			if err != nil || again.Migrated() || again.Credentials != c.Credentials || !again.Start().Equal(c.Start()) || again.MaxTokens != c.MaxTokens {
				t.Errorf("round trip of %s: %+v, %v", c.JSON(), again, err)
			}
		})
	}
}

func formatStart(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func TestControlMessageCarriesCompleteConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"authorization":{"auth_type":"Token","api_token":"tok"},"replication_start_date":"2017-01-25 00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	m := c.ControlMessage()
	var got map[string]any
	if err := json.Unmarshal(m.Control.ConnectorConfig.Config, &got); err != nil {
		t.Fatal(err)
	}
	cr, _ := got["credentials"].(map[string]any)
	if m.Control.Type != "CONNECTOR_CONFIG" || cr["auth_type"] != "api_token" || cr["api_token"] != "tok" || got["start_date"] != "2017-01-25T00:00:00Z" {
		t.Errorf("control config = %s", m.Control.ConnectorConfig.Config)
	}
	if _, old := got["authorization"]; old {
		t.Errorf("old key kept: %s", m.Control.ConnectorConfig.Config)
	}
}

func TestMasker(t *testing.T) {
	m := NewMasker("abc", "abcdef", "", "xyz")
	if got := m.String("a abcdef b abc c xyz"); got != "a **** b **** c ****" {
		t.Errorf("masked = %q", got)
	}
	var nilM *Masker
	if nilM.String("abc") != "abc" || NewMasker().String("abc") != "abc" {
		t.Error("an empty masker must not change text")
	}
	var b strings.Builder
	w := m.Writer(&b)
	if _, err := w.Write([]byte("token=xyz\n")); err != nil || b.String() != "token=****\n" {
		t.Errorf("writer wrote %q, %v", b.String(), err)
	}
	secrets := SecretsFromJSON([]byte(`{"credentials":{"api_token":"t1","client_secret":"s1","auth_type":"api_token"},"authorization":{"refresh_token":"r1"}}`))
	got := strings.Join(secrets, ",")
	for _, want := range []string{"t1", "s1", "r1"} {
		if !strings.Contains(got, want) {
			t.Errorf("SecretsFromJSON missed %s: %v", want, secrets)
		}
	}
	for _, s := range secrets {
		if s == "api_token" {
			t.Errorf("SecretsFromJSON returned the auth_type value: %v", secrets)
		}
	}
}

// TestSpecPatternMatchesParser: the start_date pattern the platform's UI
// enforces accepts exactly what startdate.Parse accepts.
func TestSpecPatternMatchesParser(t *testing.T) {
	var spec struct {
		ConnectionSpecification struct {
			Properties struct {
				StartDate struct {
					Pattern string `json:"pattern"`
				} `json:"start_date"`
			} `json:"properties"`
		} `json:"connectionSpecification"`
	}
	if err := json.Unmarshal(specJSON, &spec); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(spec.ConnectionSpecification.Properties.StartDate.Pattern)
	for _, s := range []string{"2017-01-25T00:00:00Z", "2017-01-25 00:00:00Z", "2017-01-25", "2017-01-25T02:00:00+02:00",
		"2017-01-25T02:00:00+0200", "2017-01-25 10:30:00", "2017-01-25T10:30", "2017-01-25T00:00:00.123Z", "2017-01-25T00:00:00z",
		"2017-01-25T00:00:00 +02:00", "25/01/2017", "2017-01-25T", "yesterday", "2017-01-25T00:00:00ZZ"} {
		_, err := startdate.Parse(s)
		if re.MatchString(s) != (err == nil) {
			t.Errorf("%q: pattern match %v, parser error %v", s, re.MatchString(s), err)
		}
	}
}
