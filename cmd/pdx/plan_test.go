package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/state"
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

// TestPlanCallsScansAndDays: `pdx plan` counts every call of a fan-out
// (goals: six /goals/find), says which streams read every page even
// incrementally (from the table's ScansAll, so a stream that learns to
// stop early loses the note), and, for a stream over today's budget, how
// many days it takes at the budget pdx last read less the reserve, or at
// the run's cap; the smallest plan's budget, said as such, before pdx read
// one.
func TestPlanCallsScansAndDays(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 27, Scale: 2400})
	e.writeConfig(t, `out_dir = "`+e.out+`"`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	plan := func(args ...string) map[string]string {
		t.Helper()
		r := pdxCLI(t, "", append([]string{"plan", "--streams", "goals,call_logs,activity_types,deals_archived,deals,deal_changelog"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("plan: %d\n%s", r.code, r.stderr)
		}
		lines := map[string]string{"": r.stdout}
		for _, l := range strings.Split(r.stdout, "\n") {
			if f := strings.Fields(l); len(f) > 1 {
				lines[strings.TrimSuffix(f[0], ":")] = l
			}
		}
		return lines
	}
	check := func(lines map[string]string, want map[string]*regexp.Regexp) {
		t.Helper()
		for name, re := range want {
			if !re.MatchString(lines[name]) {
				t.Errorf("%s: %q does not match %s\n%s", name, lines[name], re, lines[""])
			}
		}
	}

	// scans matches a stream's line: its basis, then the note that it
	// reads every page when the table says so (else the saved state's, or
	// nothing).
	scans := func(name, basis string) *regexp.Regexp {
		st, _ := streams.Lookup(name)
		if st.ScansAll() {
			return regexp.MustCompile(basis + `; reads every page: the API has no (sort or filter|time filter)$`)
		}
		basis = strings.TrimSuffix(basis, ", maybe only the changes: at least this")
		return regexp.MustCompile(basis + `(; less from its saved state: only the changes)?$`)
	}

	// modeOf is the mode a plan of the profile's default gives a stream.
	modeOf := func(name string) string {
		if st, _ := streams.Lookup(name); st.SupportsIncremental() {
			return "incremental"
		}
		return "full_refresh"
	}

	// Nothing read yet: one page each, the nominal budget.
	nominal := `about \d+ days at the smallest plan's 30,000 tokens a day \(nominal: pdx has not seen this account's budget yet\)`
	check(plan("--max-tokens", "0"), map[string]*regexp.Regexp{
		"goals":          regexp.MustCompile(`full_refresh\s+120\s+no count yet: one page of each of its 6 calls; reads every page: the API has no sort or filter$`),
		"activity_types": regexp.MustCompile(`incremental\s+20\s+no count yet: one page; reads every page: the API has no sort or filter$`),
		// How call_logs reads (its mode, whether every page) is the table's to say.
		"call_logs": scans("call_logs", modeOf("call_logs")+`\s+20\s+no count yet: one page`),
		"deals":     regexp.MustCompile(`incremental\s+10\s+no count yet: one page$`),
		"budget":    regexp.MustCompile(`^budget: not seen yet .* days are at the smallest plan's 30,000 tokens a day, less 3,000 kept`),
		"total":     regexp.MustCompile(`within today's budget$`),
	})

	if r := pdxCLI(t, "", "sync", "--no-tui", "--streams", "deals,deals_archived"); r.code != exitOK {
		t.Fatalf("sync: %d\n%s", r.code, r.stderr)
	}
	deals, archived := int64(e.srv.Count("deals")), int64(e.srv.Count("deals_archived"))
	d, _ := streams.Lookup("deals")
	da, _ := streams.Lookup("deals_archived")
	dc, _ := streams.Lookup("deal_changelog")
	// Remove the reading the sync left, then the nominal budget stands.
	memo := filepath.Join(e.stateDir, "main", "budget.json")
	if _, err := os.Stat(memo); err != nil {
		t.Fatalf("the sync left no budget reading: %v", err)
	}
	os.Remove(memo)
	lines := plan()
	var changelog int64
	if m := regexp.MustCompile(`incremental\s+(\d+)\s+last run's counts`).FindStringSubmatch(lines["deal_changelog"]); m == nil {
		t.Fatalf("deal_changelog: %q", lines["deal_changelog"])
	} else {
		fmt.Sscan(m[1], &changelog)
	}
	// The listings, deals (the deleted ones among them: the sync counts
	// them) and archived deals, then a request per deal; the same with
	// the sync's counts whatever the simulator's.
	if min := d.Pages(deals)*int64(d.TokenCost) + da.Pages(archived)*int64(da.TokenCost) + (deals+archived)*int64(dc.TokenCost); changelog < min {
		t.Errorf("deal_changelog: %d tokens, under the %d of its deals", changelog, min)
	}
	days := func(today, daily int64) int64 { return 1 + (changelog-today+daily-1)/daily }
	check(lines, map[string]*regexp.Regexp{
		"deal_changelog": regexp.MustCompile(fmt.Sprintf(`last run's counts; %s$`, strings.Replace(nominal, `\d+`, fmt.Sprint(days(27000, 27000)), 1))),
		// Its count after an incremental run is the changes: a floor of
		// a read of every page.
		"deals_archived": scans("deals_archived", `last run's counts, maybe only the changes: at least this`),
		"deals":          regexp.MustCompile(`last run's counts; less from its saved state: only the changes$`),
	})

	// A reading, its reset 12 hours away: 12,000 left of 60,000, 6,000
	// kept: 6,000 today, then 54,000 a day.
	now := time.Now().UTC()
	b, _ := json.Marshal(state.BudgetMemo{Limit: 60000, Remaining: 12000, At: now, ResetSeen: now.Add(-12 * time.Hour)})
	if err := os.WriteFile(memo, b, 0o600); err != nil {
		t.Fatal(err)
	}
	check(plan(), map[string]*regexp.Regexp{
		"deal_changelog": regexp.MustCompile(fmt.Sprintf(`; about %d days at this account's budget$`, days(6000, 54000))),
		"budget":         regexp.MustCompile(`^budget: 60,000 tokens a day, 12,000 left now \(read .* UTC\), less 6,000 kept for the company's other integrations \(budget reserve\)$`),
	})
	// A reserve in tokens (more than is left: nothing today) and a cap
	// below the budget.
	check(plan("--budget-reserve", "50000", "--max-tokens", "2000"), map[string]*regexp.Regexp{
		"deal_changelog": regexp.MustCompile(fmt.Sprintf(`; about %d days at the cap of 2,000 tokens per run \(a run a day\)$`, days(0, 2000))),
		"budget":         regexp.MustCompile(`less 50,000 kept`),
	})
}
