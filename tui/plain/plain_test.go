package plain

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/engine"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestPrinterThrottlesAndReportsChanges(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	p := New(&out, WithClock(c.now))
	ctx := context.Background()
	emit := func(ev engine.Event) {
		if err := p.Emit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	emit(engine.Event{Kind: engine.StreamStarted, Stream: "deals", Message: "incremental: records updated since 2026-01-01T00:00:00Z, filtered by the API (updated_since)", Stats: engine.StreamStats{Estimate: 5000}})
	// The engine's words for the same events, for log-only sinks: not repeated.
	emit(engine.Event{Kind: engine.Log, Stream: "deals", Level: engine.LevelInfo, Narrates: engine.StreamStarted, Message: "incremental: records updated since 2026-01-01T00:00:00Z, filtered by the API (updated_since)"})
	// 20 pages within one second: no progress line yet.
	for i := 1; i <= 20; i++ {
		c.t = c.t.Add(40 * time.Millisecond)
		emit(engine.Event{Kind: engine.Records, Stream: "deals", Stats: engine.StreamStats{Records: int64(100 * i), Tokens: int64(10 * i), Estimate: 5000}})
	}
	c.t = c.t.Add(200 * time.Millisecond)
	emit(engine.Event{Kind: engine.Records, Stream: "deals", Stats: engine.StreamStats{Records: 2100, Tokens: 210, Estimate: 5000}})
	emit(engine.Event{Kind: engine.RateLimited, Stream: "deals", Wait: 100 * time.Millisecond}) // pacing: not shown
	emit(engine.Event{Kind: engine.RateLimited, Stream: "deals", Wait: 2 * time.Second})
	emit(engine.Event{Kind: engine.RateLimited, Stream: "persons", Wait: 3 * time.Second, Throttled: true})
	emit(engine.Event{Kind: engine.Budget, Budget: engine.BudgetInfo{Known: true, Limit: 30000, Remaining: 29790}})
	emit(engine.Event{Kind: engine.Budget, Budget: engine.BudgetInfo{Known: true, Limit: 30000, Remaining: 29780}}) // no news
	emit(engine.Event{Kind: engine.Log, Level: engine.LevelDebug, Message: "noise"})
	emit(engine.Event{Kind: engine.Log, Stream: "deals", Level: engine.LevelWarn, Message: "odd\nthing"})
	c.t = c.t.Add(time.Second)
	final := engine.StreamStats{Records: 2500, Pages: 5, Requests: 5, Tokens: 250, Waits: 1, Waited: 2 * time.Second}
	emit(engine.Event{Kind: engine.Log, Stream: "deals", Level: engine.LevelInfo, Narrates: engine.StreamComplete, Message: "complete: " + final.Summary(), Stats: final})
	emit(engine.Event{Kind: engine.StreamComplete, Stream: "deals", Stats: final})
	emit(engine.Event{Kind: engine.Log, Stream: "notes", Level: engine.LevelWarn, Narrates: engine.StreamIncomplete, Message: "stopped after 7 records"})
	emit(engine.Event{Kind: engine.StreamIncomplete, Stream: "notes", Err: errors.New("read notes: API token rejected (401)"), Stats: engine.StreamStats{Records: 7, Pages: 1, Requests: 1, Tokens: 10}})
	emit(engine.Event{Kind: engine.Budget, Budget: engine.BudgetInfo{Known: true, Exhausted: true, ResetAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}})

	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"deals: started (about 5,000 records last time): incremental: records updated since 2026-01-01T00:00:00Z, filtered by the API (updated_since)",
		"deals: 2,100/5,000 records in 1s (2,100/s), 210 tokens",
		"deals: waiting 2s for its turn in the rate limit (shared by every stream)",
		"persons: rate limited (Pipedrive answered 429), waiting 3s",
		"daily API budget: 29,790 of 30,000 tokens left",
		"deals: warn: odd thing",
		"deals: done in 2s (1,250 records/s): 2,500 records, 5 pages, 5 requests, 250 tokens, 1 rate-limit wait of 2s",
		"notes: FAILED after 7 records: read notes: API token rejected (401)",
		"daily API budget exhausted; it resets at",
	}
	if len(got) != len(want) || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("got %d lines:\n%s", len(got), out.String())
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d = %q\n      want %q", i, got[i], want[i])
		}
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		sum  app.Summary
		want []string
	}{
		{"ok", app.Summary{Format: "jsonl", OutDir: "/out", Files: []string{"/out/deals.jsonl"}, StatePath: "/s/state.json",
			Budget:  engine.BudgetInfo{Known: true, Limit: 30000, Remaining: 29000},
			Streams: []app.StreamSummary{{Name: "deals", Mode: engine.Incremental, Records: 12345, Tokens: 250, Complete: true, Duration: 3 * time.Second}}},
			[]string{"deals", "incremental", "12,345", "total", "output: 1 file in /out\n", "29,000 of 30,000", "state: /s/state.json"}},
		{"budget", app.Summary{Format: "csv", BudgetExhausted: true, BudgetReset: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
			Streams: []app.StreamSummary{{Name: "deals", Mode: engine.FullRefresh, Err: errors.New("budget exhausted")}}},
			[]string{"full", "FAILED: budget exhausted", "budget is used up; state is saved", "run the same command again then: deals starts over (full refresh).\n"}},
		{"airbyte stdout", app.Summary{Format: "airbyte", Interrupted: true, Streams: []app.StreamSummary{{Name: "x", Mode: engine.Incremental}}},
			[]string{"Airbyte messages on stdout", "Interrupted; state is saved. Run the same command again: x goes on from the saved state.\n"}},
		// An interrupted full refresh starts over: it has nothing to continue from.
		{"interrupted full and incremental", app.Summary{Format: "jsonl", OutDir: "/o", Files: []string{"/o/a", "/o/b", "/o/c"}, Interrupted: true, Streams: []app.StreamSummary{
			{Name: "deals", Mode: engine.FullRefresh}, {Name: "notes", Mode: engine.Incremental}, {Name: "persons", Mode: engine.Incremental}, {Name: "users", Mode: engine.FullRefresh, Complete: true}}},
			[]string{"output: 3 files in /o\n", "Interrupted; state is saved. Run the same command again: notes and persons go on from the saved state; deals starts over (full refresh).\n"}},
		{"failed", app.Summary{Streams: []app.StreamSummary{{Name: "deals", Mode: engine.Incremental, Err: errors.New("boom")}}},
			[]string{"Fix the cause and run again: deals goes on from the saved state.\n"}},
		{"sqlite", app.Summary{Format: "sqlite", OutDir: "/out", Files: []string{"/out/pipedrive.sqlite"},
			Streams: []app.StreamSummary{{Name: "deals", Complete: true}}},
			[]string{"output: 1 file in /out\n  open: sqlite3 /out/pipedrive.sqlite\n  open: duckdb /out/pipedrive.sqlite\n", `  open: python3 -c 'import sqlite3, pandas; print(pandas.read_sql("select * from deals", sqlite3.connect("/out/pipedrive.sqlite")))'`}},
		// A long error is cut on a character boundary, never inside one.
		{"long error", app.Summary{Streams: []app.StreamSummary{{Name: "x", Err: errors.New(strings.Repeat("é", 100))}}},
			[]string{"FAILED: " + strings.Repeat("é", 79) + "…\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			Summary(&b, tt.sum)
			if !utf8.Valid(b.Bytes()) {
				t.Errorf("summary is not valid UTF-8:\n%q", b.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// With WithExplain, a failed stream's line is followed by the advice, when
// there is any; errors that say what to do themselves get no extra line.
func TestPrinterExplainsFailures(t *testing.T) {
	diskFull := errors.New("write deals.jsonl: no space left on device")
	explain := func(err error) string {
		if err == diskFull {
			return "The disk is full.\nFree some space."
		}
		return ""
	}
	var out bytes.Buffer
	p := New(&out, WithExplain(explain))
	ctx := context.Background()
	p.Emit(ctx, engine.Event{Kind: engine.StreamIncomplete, Stream: "deals", Err: diskFull, Stats: engine.StreamStats{Records: 3}})
	p.Emit(ctx, engine.Event{Kind: engine.StreamIncomplete, Stream: "notes", Err: errors.New("GET /v1/notes: HTTP 401 (create a new token)")})
	want := "deals: FAILED after 3 records: write deals.jsonl: no space left on device\n" +
		"deals: The disk is full. Free some space.\n" +
		"notes: FAILED after 0 records: GET /v1/notes: HTTP 401 (create a new token)\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// Words the summary must not use: the wrong plural, a claim that a full
// refresh continues.
func TestSummaryWords(t *testing.T) {
	var b bytes.Buffer
	Summary(&b, app.Summary{Format: "jsonl", OutDir: "/o", Files: []string{"/o/deals.jsonl"}, Interrupted: true,
		Streams: []app.StreamSummary{{Name: "deals", Mode: engine.FullRefresh, Records: 1}}})
	for _, bad := range []string{"file(s)", "continue where it stopped", "deals goes on"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("summary says %q:\n%s", bad, b.String())
		}
	}
}
