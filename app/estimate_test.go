package app

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/state"
)

// TestEstimateStreams: each stream's calls and tokens at last run's counts:
// a list's pages, a fixed fan-out's every source (goals: six /goals/find),
// a child's parents' pages plus a call per batch of parents (a parent that
// is itself a fan-out counted whole, a stream listed per folder counted
// once), and which streams read every page even incrementally.
func TestEstimateStreams(t *testing.T) {
	full, incr := engine.FullRefresh, engine.Incremental
	tests := []struct {
		stream        string
		mode          engine.Mode
		counts        map[string]int64
		calls, tokens int64
		known         bool
		perParent     int
		scan          string // "" when it does not read every page incrementally
	}{
		{"deals", incr, nil, 1, 10, false, 0, ""},
		{"deals", incr, map[string]int64{"deals": 1200}, 3, 30, true, 0, ""},
		{"deals", full, map[string]int64{"deals": 500}, 1, 10, true, 0, ""},
		// Six /goals/find calls, not one.
		{"goals", full, nil, 6, 120, false, 0, "reads every page: the API has no sort or filter"},
		{"goals", full, map[string]int64{"goals": 40}, 6, 120, true, 0, "reads every page: the API has no sort or filter"},
		// Its parents' six calls, then one per goal.
		{"goal_results", full, map[string]int64{"goals": 40}, 46, 6*20 + 40*20, true, 20, "reads every parent: the API cannot list just the changed ones"},
		{"goal_results", full, nil, 7, 6*20 + 20, false, 20, "reads every parent: the API cannot list just the changed ones"},
		// Four folders, each at least a call; 1,200 threads are at most
		// three pages more.
		{"mail_threads", full, map[string]int64{"mail_threads": 1200}, 3 + 3, 6 * 20, true, 0, "reads every page: the API has no sort or filter"},
		// mail lists mail_threads once per folder, which splits the
		// threads: their pages once, then a call per thread.
		{"mail", incr, map[string]int64{"mail_threads": 1200}, 6 + 1200, 6*20 + 1200*20, true, 20, ""},
		// deals and archived deals, a call per 100 of each.
		{"deal_products", incr, map[string]int64{"deals": 1000, "deals_archived": 10}, 2 + 1 + 10 + 1, 2*10 + 20 + 11*10, true, 10, ""},
		{"deal_changelog", incr, map[string]int64{"deals": 1000}, 2 + 1 + 1000 + 1, 2*10 + 20 + 1001*20, false, 20, ""},
		{"person_changelog", incr, map[string]int64{"persons": 4900}, 10 + 4900, 10*10 + 4900*20, true, 20, ""},
		// call_logs: 50 a page; whether it still reads them all is the
		// table's to say (a cheaper strategy may come).
		{"call_logs", full, map[string]int64{"call_logs": 2000}, 40, 800, true, 0, fromTable},
		{"deals_archived", incr, map[string]int64{"deals_archived": 600}, 2, 40, true, 0, fromTable},
		// A client-side cursor reads all in incremental mode too; a full
		// refresh by choice says nothing.
		{"activity_types", incr, map[string]int64{"activity_types": 30}, 1, 20, true, 0, "reads every page: the API has no sort or filter"},
		{"activity_types", full, map[string]int64{"activity_types": 30}, 1, 20, true, 0, ""},
	}
	for _, tt := range tests {
		es := EstimateStreams([]engine.ConfiguredStream{{Name: tt.stream, Mode: tt.mode}}, tt.counts)
		if len(es) != 1 {
			t.Fatalf("%s: %d estimates", tt.stream, len(es))
		}
		e := es[0]
		if tt.scan == fromTable {
			tt.scan = ""
			if st, _ := streams.Lookup(tt.stream); st.ScansAll() {
				tt.scan = scanReason(st)
			}
		}
		if e.Calls != tt.calls || e.Tokens != tt.tokens || e.Known != tt.known || e.PerParent != tt.perParent || e.Scan != tt.scan || e.ScansAll != (tt.scan != "") {
			t.Errorf("%s %s %v:\n got calls %d tokens %d known %v per parent %d scan %q\nwant calls %d tokens %d known %v per parent %d scan %q",
				tt.stream, tt.mode, tt.counts, e.Calls, e.Tokens, e.Known, e.PerParent, e.Scan, tt.calls, tt.tokens, tt.known, tt.perParent, tt.scan)
		}
	}
}

// fromTable in a test's scan says: the note the table's ScansAll implies.
const fromTable = "\x00table"

// TestScanReason: why an incremental read still reads every page.
func TestScanReason(t *testing.T) {
	tests := []struct {
		st   streams.Stream
		want string
	}{
		{streams.Stream{Strategy: streams.ClientSideCursor}, "reads every page: the API has no sort or filter"},
		{streams.Stream{Strategy: streams.ClientSideCursor, Unordered: true, SortParams: url.Values{"sort": {"x"}}}, "reads every page: the API has no sort or filter"},
		{streams.Stream{Strategy: streams.ClientSideCursor, SortParams: url.Values{"sort": {"update_time"}}}, "reads every page: the API has no time filter"},
		{streams.Stream{Parent: &streams.Relation{Parents: []streams.ParentSource{{Stream: "goals"}}, Changed: streams.EveryParent}}, "reads every parent: the API cannot list just the changed ones"},
		{streams.Stream{Parent: &streams.Relation{Parents: []streams.ParentSource{{Params: url.Values{"folder": {"inbox"}}}}, Changed: streams.EveryParent}}, "reads every page: the API has no sort or filter"},
	}
	for i, tt := range tests {
		if got := scanReason(tt.st); got != tt.want {
			t.Errorf("%d: %q, want %q", i, got, tt.want)
		}
	}
}

// TestEstimateStreamsScansAllFollowsTheTable: the note comes from the
// table's ScansAll, not from a list of names, so a stream that learns to
// stop early loses it.
func TestEstimateStreamsScansAllFollowsTheTable(t *testing.T) {
	for _, st := range streams.All() {
		mode := engine.FullRefresh
		if st.SupportsIncremental() {
			mode = engine.Incremental
		}
		e := EstimateStreams([]engine.ConfiguredStream{{Name: st.Name, Mode: mode}}, nil)[0]
		if e.ScansAll != st.ScansAll() || (e.Scan != "") != st.ScansAll() {
			t.Errorf("%s: ScansAll %v (%q), the table says %v", st.Name, e.ScansAll, e.Scan, st.ScansAll())
		}
	}
}

// TestBackfill: the days a read takes at the budget less the reserve and
// at most the run's cap, today's rest first; a nominal budget when none
// was seen.
func TestBackfill(t *testing.T) {
	ten := client.Reserve{Percent: 10}
	seen := func(limit, left int64) client.Budget {
		return client.Budget{Known: true, Limit: limit, Remaining: left}
	}
	tests := []struct {
		name         string
		a            Allowance
		tokens       int64
		today, daily int64
		days         int64
		text         string
	}{
		{"fits today", Allowance{Budget: seen(60000, 60000), Reserve: ten}, 54000, 54000, 54000, 1, "within today's budget"},
		// 98,000 tokens: 24,000 today (30,000 left, 6,000 kept), then
		// 54,000 a day: two more days.
		{"account budget", Allowance{Budget: seen(60000, 30000), Reserve: ten}, 98000, 24000, 54000, 3, "about 3 days at this account's budget"},
		{"reserve reached today", Allowance{Budget: seen(60000, 5000), Reserve: ten}, 54000, 0, 54000, 2, "about 2 days at this account's budget"},
		{"exhausted", Allowance{Budget: client.Budget{Known: true, Limit: 60000, Exhausted: true, Remaining: 60000}}, 1, 0, 60000, 2, "about 2 days at this account's budget"},
		{"no reserve", Allowance{Budget: seen(30000, 30000)}, 2000000, 30000, 30000, 67, "about 67 days at this account's budget"},
		{"reserve in tokens", Allowance{Budget: seen(30000, 30000), Reserve: client.Reserve{Tokens: 10000}}, 40001, 20000, 20000, 3, "about 3 days at this account's budget"},
		{"cap", Allowance{Budget: seen(60000, 60000), Reserve: ten, MaxTokens: 5000}, 98000, 5000, 5000, 20, "about 20 days at the cap of 5,000 tokens per run (a run a day)"},
		{"cap above budget", Allowance{Budget: seen(60000, 60000), Reserve: ten, MaxTokens: 100000}, 98000, 54000, 54000, 2, "about 2 days at this account's budget"},
		{"nominal", Allowance{Reserve: ten}, 98000, 27000, 27000, 4, "about 4 days at the smallest plan's 30,000 tokens a day (nominal: pdx has not seen this account's budget yet)"},
		{"nominal fits", Allowance{Reserve: ten}, 27000, 27000, 27000, 1, "within today's budget"},
		{"all reserved", Allowance{Budget: seen(30000, 30000), Reserve: client.Reserve{Percent: 100}}, 1, 0, 0, 0, "never: the budget reserve leaves no tokens to spend"},
	}
	for _, tt := range tests {
		b := tt.a.Backfill(tt.tokens)
		if b.Today != tt.today || b.Daily != tt.daily || b.Days != tt.days || b.Text() != tt.text {
			t.Errorf("%s: today %d daily %d days %d %q; want %d %d %d %q", tt.name, b.Today, b.Daily, b.Days, b.Text(), tt.today, tt.daily, tt.days, tt.text)
		}
		if short := b.Short(); len(short) > 40 || !strings.HasPrefix(short, tt.text[:min(len(tt.text), 5)]) && b.Days > 1 {
			t.Errorf("%s: short form %q of %q", tt.name, short, tt.text)
		}
		if b.Fits() != (tt.days == 1) {
			t.Errorf("%s: Fits %v with %d days", tt.name, b.Fits(), b.Days)
		}
	}
}

// TestBudgetNow: the last reading stands until the budget's next reset,
// then the whole limit is back; no reading is no budget.
func TestBudgetNow(t *testing.T) {
	read := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	m := state.BudgetMemo{Limit: 30000, Remaining: 1200, At: read}
	seenAt3 := m
	seenAt3.ResetSeen = time.Date(2026, 2, 20, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		m    state.BudgetMemo
		now  time.Time
		want client.Budget
	}{
		{"none", state.BudgetMemo{}, read, client.Budget{}},
		{"same day", m, read.Add(8 * time.Hour), client.Budget{Known: true, Limit: 30000, Remaining: 1200}},
		{"after midnight UTC", m, read.Add(9 * time.Hour), client.Budget{Known: true, Limit: 30000, Remaining: 30000}},
		{"before a reset seen at 03:00", seenAt3, read.Add(11 * time.Hour), client.Budget{Known: true, Limit: 30000, Remaining: 1200}},
		{"after it", seenAt3, read.Add(12 * time.Hour), client.Budget{Known: true, Limit: 30000, Remaining: 30000}},
	}
	for _, tt := range tests {
		if got := BudgetNow(tt.m, tt.now); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestEstimateSources: a fixed fan-out says how many calls it is, so an
// unknown count reads "one page of each"; others have none.
func TestEstimateSources(t *testing.T) {
	for name, want := range map[string]int{"goals": 6, "mail_threads": 4, "deals": 0, "goal_results": 0, "mail": 0} {
		if e := EstimateStreams([]engine.ConfiguredStream{{Name: name}}, nil)[0]; e.Sources != want {
			t.Errorf("%s: %d sources, want %d", name, e.Sources, want)
		}
	}
}
