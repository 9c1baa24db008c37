package main

import (
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func TestAirbyteCheck(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 7, Scale: 20})
	const canary = "canary-token-5f1e9c0d2b7a"
	cases := []struct {
		name       string
		config     any
		wantStatus string
		wantMsg    string
		control    bool
	}{
		{"good token", tokenConfig(s, s.Token()), "SUCCEEDED", "Simulated Company", false},
		{"rejected token", tokenConfig(s, canary), "FAILED", "401", false},
		{"old flat shape", map[string]any{"api_token": s.Token(), "replication_start_date": "2017-01-25T00:00:00Z", "api_base_url": s.URL()}, "SUCCEEDED", "Simulated Company", true},
		{"old authorization shape", map[string]any{"authorization": map[string]any{"auth_type": "Token", "api_token": s.Token()}, "replication_start_date": "2017-01-25 00:00:00Z", "api_base_url": s.URL()}, "SUCCEEDED", "Simulated Company", true},
		{"no credentials", map[string]any{"api_base_url": s.URL()}, "FAILED", "no credentials", false},
		{"bad start date", map[string]any{"credentials": map[string]any{"auth_type": "api_token", "api_token": canary}, "start_date": "last week"}, "FAILED", "start_date", false},
		{"plain http to a remote host", map[string]any{"credentials": map[string]any{"auth_type": "api_token", "api_token": canary}, "api_base_url": "http://example.com"}, "FAILED", "https", false},
		{"not JSON", `{"credentials": {"api_token": "` + canary + `"`, "FAILED", "cannot read the config", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeJSON(t, "config.json", tc.config)
			r := pdx(t, v, "check", "--config", cfg)
			if r.code != 0 {
				t.Errorf("exit %d, want 0 (stderr %s)", r.code, r.stderr)
			}
			st := only(r.msgs, "CONNECTION_STATUS")
			if len(st) != 1 {
				t.Fatalf("%d CONNECTION_STATUS messages:\n%s", len(st), r.stdout)
			}
			if st[0].ConnectionStatus.Status != tc.wantStatus || !strings.Contains(st[0].ConnectionStatus.Message, tc.wantMsg) {
				t.Errorf("status %s %q, want %s containing %q", st[0].ConnectionStatus.Status, st[0].ConnectionStatus.Message, tc.wantStatus, tc.wantMsg)
			}
			if got := len(only(r.msgs, "CONTROL")); (got == 1) != tc.control {
				t.Errorf("%d CONTROL messages, want control=%v", got, tc.control)
			}
			noSecret(t, r, canary)
			if !tc.control {
				noSecret(t, r, s.Token())
			}
		})
	}
}

func TestAirbyteCheckMissingConfigFile(t *testing.T) {
	v := airbytetest.NewValidator(t)
	r := pdx(t, v, "check", "--config", "/nonexistent/config.json")
	st := only(r.msgs, "CONNECTION_STATUS")
	if r.code != 0 || len(st) != 1 || st[0].ConnectionStatus.Status != "FAILED" {
		t.Errorf("exit %d, %s", r.code, r.stdout)
	}
	if r := pdx(t, v, "check"); r.code != exitUsage || r.stdout != "" {
		t.Errorf("check without --config: exit %d stdout %q, want usage error and empty stdout", r.code, r.stdout)
	}
}
