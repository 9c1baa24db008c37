package main

import (
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestSyncBudgetReserve: `pdx sync --budget-reserve` stops before the
// company's budget is drained: exit 3, state saved, and the message says
// what was left for others and the reset as an estimate.
func TestSyncBudgetReserve(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 41, Scale: 3000, DailyBudget: 60})
	e.writeConfig(t, `out_dir = "`+e.out+`"`, `streams = ["deals", "persons"]`, `concurrency = 1`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	if r := pdxCLI(t, "", "sync", "--no-tui", "--budget-reserve", "lots"); r.code != exitUsage {
		t.Errorf("a bad reserve: exit %d %q", r.code, r.stderr)
	}
	r := pdxCLI(t, "", "sync", "--no-tui", "--budget-reserve", "30")
	if r.code != exitBudget {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitBudget, r.stderr)
	}
	_, left := e.srv.Budget()
	if left < 30 {
		t.Errorf("%d tokens left of 60, want the reserve of 30", left)
	}
	for _, want := range []string{"left for the company's other integrations", "around 00:00 UTC", "estimated", "state saved"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestAirbyteReadBudgetReserve: the config's budget_reserve stops a read
// at the reserve: exit 3, a LOG line saying what was left.
func TestAirbyteReadBudgetReserve(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 42, Scale: 3000, DailyBudget: 60})
	c := tokenConfig(s, s.Token())
	c["budget_reserve"] = "50%"
	cfg := writeJSON(t, "config.json", c)
	cat := writeJSON(t, "catalog.json", map[string]any{"streams": []any{map[string]any{
		"stream":    map[string]any{"name": "deals", "json_schema": map[string]any{}, "supported_sync_modes": []string{"full_refresh", "incremental"}},
		"sync_mode": "incremental", "destination_sync_mode": "append"}}})
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
	if r.code != exitBudget {
		t.Fatalf("exit %d, want %d", r.code, exitBudget)
	}
	if _, left := s.Budget(); left < 30 {
		t.Errorf("%d tokens left of 60, want the reserve of 30", left)
	}
	said := false
	for _, m := range only(r.msgs, "LOG") {
		said = said || strings.Contains(m.Log.Message, "left for the company's other integrations")
	}
	if !said {
		t.Errorf("no LOG line about what was left:\n%.3000s", r.stdout)
	}
	airbytetest.CheckRead(t, r.msgs, []string{"deals"}, nil, false)
	bad := writeJSON(t, "bad.json", map[string]any{"credentials": c["credentials"], "api_base_url": c["api_base_url"], "budget_reserve": "most"})
	if r := pdx(t, v, "check", "--config", bad); !strings.Contains(r.stdout, "budget reserve") {
		t.Errorf("a bad budget_reserve is not refused: %s", r.stdout)
	}
}
