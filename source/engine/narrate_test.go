package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func TestStreamStatsSummary(t *testing.T) {
	tests := []struct {
		st   engine.StreamStats
		want string
	}{
		{engine.StreamStats{Records: 1868, Pages: 4, Requests: 4, Tokens: 40},
			"1,868 records, 4 pages, 4 requests, 40 tokens"},
		{engine.StreamStats{Records: 1, Pages: 1, Requests: 1, Tokens: 1},
			"1 record, 1 page, 1 request, 1 token"},
		{engine.StreamStats{Records: 40000, Pages: 80, Requests: 81, Tokens: 1600, Waits: 1, Waited: 56 * time.Millisecond},
			"40,000 records, 80 pages, 81 requests, 1,600 tokens, 1 rate-limit wait of 56ms"},
		{engine.StreamStats{Records: 5, Pages: 1, Requests: 1, Tokens: 20, Waits: 2, Waited: 1420 * time.Millisecond},
			"5 records, 1 page, 1 request, 20 tokens, 2 rate-limit waits, 1.4s summed over concurrent requests"},
		{engine.StreamStats{Records: 2797, Pages: 23, Requests: 23, Tokens: 230, Waits: 225, Waited: 69 * time.Second},
			"2,797 records, 23 pages, 23 requests, 230 tokens, 225 rate-limit waits, 1m9s summed over concurrent requests"},
	}
	for _, tt := range tests {
		if got := tt.st.Summary(); got != tt.want {
			t.Errorf("Summary() = %q\nwant        %q", got, tt.want)
		}
	}
}

// Each stream event is narrated once, for log-only sinks, marked so a sink
// printing the event itself can skip it; the plan rides on StreamStarted;
// the plan says "filtered by the API" only when the API gets a filter.
func TestNarration(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 3, Scale: 60})
	c := newClient(t, sim, nil)
	tests := []struct {
		name     string
		cfg      runCfg
		plan     string // the deals stream's plan
		notPlain string // must not be in it
	}{
		{"full refresh", runCfg{streams: full("deals")}, "full_refresh: all history", "filtered"},
		{"first incremental", runCfg{streams: incr("deals")}, "incremental: all history (no saved cursor yet)", "filtered"},
		{"full refresh from a start date", runCfg{streams: full("deals"), start: sim.Now().AddDate(0, -1, 0)},
			"full_refresh: records updated since " + engine.FormatState(sim.Now().AddDate(0, -1, 0)) + ", filtered by the API (updated_since)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, col := run(t, c, tt.cfg)
			mustComplete(t, res)
			started := col.events(engine.StreamStarted)
			done := col.events(engine.StreamComplete)
			if len(started) != 1 || len(done) != 1 {
				t.Fatalf("%d StreamStarted, %d StreamComplete events, want 1 each", len(started), len(done))
			}
			if got := started[0].Message; got != tt.plan || tt.notPlain != "" && strings.Contains(got, tt.notPlain) {
				t.Errorf("plan %q, want %q", got, tt.plan)
			}
			narrated := map[engine.Kind][]string{}
			for _, ev := range col.events(engine.Log) {
				if ev.Narrates != 0 {
					narrated[ev.Narrates] = append(narrated[ev.Narrates], ev.Message)
				}
			}
			if got := narrated[engine.StreamStarted]; len(got) != 1 || got[0] != tt.plan {
				t.Errorf("StreamStarted narrated as %q, want once as %q", got, tt.plan)
			}
			want := "complete: " + done[0].Stats.Summary()
			if got := narrated[engine.StreamComplete]; len(got) != 1 || got[0] != want {
				t.Errorf("StreamComplete narrated as %q, want once as %q", got, want)
			}
		})
	}
}
