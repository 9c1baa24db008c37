package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// TestPlanEstimates: `pdx plan` prints each stream's estimated tokens from
// the last run's counts, a per-parent stream's from its parents' counts
// (per parent when they are unknown), and sends no request.
func TestPlanEstimates(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 26, Scale: 1200})
	e.writeConfig(t, `out_dir = "`+e.out+`"`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	if r := pdxCLI(t, "", "sync", "--no-tui", "--streams", "deals,persons"); r.code != exitOK {
		t.Fatalf("sync: %d\n%s", r.code, r.stderr)
	}
	deals, persons := int64(e.srv.Count("deals")), int64(e.srv.Count("persons"))
	e.srv.ResetRequests()
	r := pdxCLI(t, "", "plan", "--streams", "deals,persons,person_changelog,deal_changelog,boards", "--max-tokens", "5000")
	if r.code != exitOK {
		t.Fatalf("plan: %d\n%s", r.code, r.stderr)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("plan sent %d requests", n)
	}
	d, _ := streams.Lookup("deals")
	p, _ := streams.Lookup("persons")
	pc, _ := streams.Lookup("person_changelog")
	lines := map[string]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(l); len(f) > 2 {
			lines[f[0]] = l
		}
	}
	// At least the deals the simulator lists by default (the sync also
	// reads the deleted ones).
	for name, want := range map[string]*regexp.Regexp{
		"deals":            regexp.MustCompile(`incremental\s+(\d+)\s+last run's counts`),
		"persons":          regexp.MustCompile(fmt.Sprintf(`incremental\s+%d\s+last run's counts`, p.Pages(persons)*int64(p.TokenCost))),
		"person_changelog": regexp.MustCompile(fmt.Sprintf(`incremental\s+%d\s+last run's counts`, p.Pages(persons)*int64(p.TokenCost)+persons*int64(pc.TokenCost))),
		"deal_changelog":   regexp.MustCompile(`no count of its parents yet: 20 tokens per parent`),
		"boards":           regexp.MustCompile(`no count yet: one page`),
	} {
		m := want.FindStringSubmatch(lines[name])
		if m == nil {
			t.Errorf("%s: %q does not match %s\n%s", name, lines[name], want, r.stdout)
			continue
		}
		if name == "deals" {
			var n int64
			fmt.Sscan(m[1], &n)
			if n < d.Pages(deals)*int64(d.TokenCost) {
				t.Errorf("deals: %d tokens estimated, under the %d of its pages", n, d.Pages(deals)*int64(d.TokenCost))
			}
		}
	}
	if !strings.Contains(r.stdout, "token cap: 5000 per run") || !strings.Contains(r.stdout, "total") {
		t.Errorf("no total or cap:\n%s", r.stdout)
	}
}
