// Package plain prints a sync's progress as plain lines (for `pdx sync
// --no-tui`, cron and CI logs): per stream at most one progress line per
// interval while it runs, one line on every change of state (started with
// its plan, waiting on the rate limit, done, failed, budget), then a summary
// table. Counts are written by source/plural, the same as the engine's logs;
// the engine's Log events that narrate a stream event are skipped, since the
// event's own line says it.
package plain

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/plural"
	"github.com/pdxhq/pdx/store/output"
)

// DefaultInterval is how often a running stream reports its progress.
const DefaultInterval = time.Second

// minWaitShown: shorter rate-limit waits are normal pacing, not news.
const minWaitShown = time.Second

// Printer is an engine.Sink printing progress lines. Emit never blocks on
// anything but the write of a line.
type Printer struct {
	w        io.Writer
	now      func() time.Time
	interval time.Duration
	explain  func(error) string

	mu      sync.Mutex
	streams map[string]*progress
	budget  engine.BudgetInfo
}

type progress struct {
	started   time.Time
	lastLine  time.Time
	lastWait  time.Time
	stats     engine.StreamStats
	finalized bool
}

// Option configures a Printer.
type Option func(*Printer)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(p *Printer) { p.now = now } }

// WithExplain adds a line of advice under a failed stream's error when
// explain has some (app.Hint: "" when the error says what to do itself).
func WithExplain(explain func(error) string) Option { return func(p *Printer) { p.explain = explain } }

// WithInterval sets the per-stream progress interval.
func WithInterval(d time.Duration) Option { return func(p *Printer) { p.interval = d } }

// New returns a Printer writing to w (normally stderr).
func New(w io.Writer, opts ...Option) *Printer {
	p := &Printer{w: w, now: time.Now, interval: DefaultInterval, streams: map[string]*progress{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Emit implements engine.Sink.
func (p *Printer) Emit(_ context.Context, ev engine.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var s *progress
	if ev.Stream != "" {
		s = p.streams[ev.Stream]
		if s == nil {
			s = &progress{}
			p.streams[ev.Stream] = s
		}
		if ev.Kind != engine.Log && ev.Kind != engine.Budget {
			s.stats = ev.Stats
		}
	}
	switch ev.Kind {
	case engine.StreamStarted:
		s.started, s.lastLine = now, now
		plan, est := "", ""
		if ev.Message != "" {
			plan = ": " + oneLine(ev.Message)
		}
		if ev.Stats.Estimate > 0 {
			est = fmt.Sprintf(" (about %s last time)", plural.Count(ev.Stats.Estimate, "record"))
		}
		p.line("%s: started%s%s", ev.Stream, est, plan)
	case engine.Records:
		if now.Sub(s.lastLine) >= p.interval {
			s.lastLine = now
			p.line("%s: %s", ev.Stream, p.progressText(s, now))
		}
	case engine.RateLimited:
		if ev.Wait >= minWaitShown && now.Sub(s.lastWait) >= p.interval {
			s.lastWait = now
			if ev.Throttled {
				p.line("%s: rate limited (Pipedrive answered 429), waiting %s", ev.Stream, ev.Wait.Round(100*time.Millisecond))
			} else {
				p.line("%s: waiting %s for its turn in the rate limit (shared by every stream)", ev.Stream, ev.Wait.Round(100*time.Millisecond))
			}
		}
	case engine.StreamComplete:
		s.finalized = true
		p.line("%s: done%s: %s", ev.Stream, p.elapsed(s, now), ev.Stats.Summary())
	case engine.StreamIncomplete:
		s.finalized = true
		msg := "stopped"
		if ev.Err != nil {
			msg = oneLine(ev.Err.Error())
		}
		p.line("%s: FAILED after %s: %s", ev.Stream, plural.Count(ev.Stats.Records, "record"), msg)
		if ev.Err != nil && p.explain != nil {
			if hint := p.explain(ev.Err); hint != "" {
				p.line("%s: %s", ev.Stream, oneLine(hint))
			}
		}
	case engine.Budget:
		prev := p.budget
		p.budget = ev.Budget
		switch {
		case ev.Budget.Exhausted && !prev.Exhausted:
			p.line("daily API budget exhausted; it resets at %s", ev.Budget.ResetAt.Local().Format("2006-01-02 15:04 MST"))
		case ev.Budget.Known && !prev.Known:
			p.line("daily API budget: %s of %s tokens left", count(ev.Budget.Remaining), count(ev.Budget.Limit))
		}
	case engine.Log:
		if ev.Level == engine.LevelDebug || ev.Narrates != 0 {
			return nil
		}
		prefix := ""
		if ev.Stream != "" {
			prefix = ev.Stream + ": "
		}
		if ev.Level == engine.LevelWarn || ev.Level == engine.LevelError {
			prefix += strings.ToLower(string(ev.Level)) + ": "
		}
		p.line("%s%s", prefix, oneLine(ev.Message))
	}
	return nil
}

func (p *Printer) progressText(s *progress, now time.Time) string {
	st := s.stats
	var b strings.Builder
	b.WriteString(count(st.Records))
	if st.Estimate > 0 && !s.finalized {
		fmt.Fprintf(&b, "/%s", count(st.Estimate))
	}
	if st.Records == 1 && st.Estimate <= 0 {
		b.WriteString(" record")
	} else {
		b.WriteString(" records") // "1/40 records" too
	}
	if el := now.Sub(s.started); el > 0 && !s.started.IsZero() {
		fmt.Fprintf(&b, " in %s (%s/s)", el.Round(100*time.Millisecond), count(int64(float64(st.Records)/el.Seconds())))
	}
	fmt.Fprintf(&b, ", %s", plural.Count(st.Tokens, "token"))
	if w := st.WaitSummary(); w != "" {
		b.WriteString(", " + w)
	}
	return b.String()
}

// elapsed is " in 2.1s (1,250 records/s)" since the stream started ("" if
// it never did).
func (p *Printer) elapsed(s *progress, now time.Time) string {
	el := now.Sub(s.started)
	if s.started.IsZero() || el <= 0 {
		return ""
	}
	return fmt.Sprintf(" in %s (%s records/s)", el.Round(100*time.Millisecond), count(int64(float64(s.stats.Records)/el.Seconds())))
}

func (p *Printer) line(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Info prints a free-form notice line (repairs, warnings from the runner).
func (p *Printer) Info(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line("%s", oneLine(msg))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// count formats an integer with thousands separators (12,345).
func count(n int64) string { return plural.N(n) }

// Summary prints the end-of-run table and what to do next.
func Summary(w io.Writer, s app.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tMODE\tRECORDS\tTOKENS\tTIME\tRESULT")
	var total, tokens int64
	for _, st := range s.Streams {
		mode := "incremental"
		if st.Mode == engine.FullRefresh {
			mode = "full"
		}
		result := "ok"
		if !st.Complete {
			result = "FAILED"
			if st.Err != nil {
				result = "FAILED: " + truncate(oneLine(st.Err.Error()), 80)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, mode, count(st.Records), count(st.Tokens), st.Duration.Round(100*time.Millisecond), result)
		total += st.Records
		tokens += st.Tokens
	}
	fmt.Fprintf(tw, "total\t\t%s\t%s\t%s\t\n", count(total), count(tokens), s.Duration.Round(100*time.Millisecond))
	tw.Flush()
	switch {
	case stdoutFormat(s.Format) != "" && len(s.Files) == 0:
		fmt.Fprintf(w, "output: %s on stdout\n", stdoutFormat(s.Format))
	case len(s.Files) > 0:
		fmt.Fprintf(w, "output: %s in %s\n", plural.Count(len(s.Files), "file"), s.OutDir)
		if f, ok := output.Lookup(s.Format); ok && f.HowToOpen != nil {
			for _, c := range f.HowToOpen(s.Files) {
				fmt.Fprintf(w, "  open: %s\n", c)
			}
		}
	}
	if s.Budget.Known {
		fmt.Fprintf(w, "daily API budget: %s of %s tokens left", count(s.Budget.Remaining), count(s.Budget.Limit))
		if s.BudgetReserve > 0 {
			fmt.Fprintf(w, " (%s kept for the company's other integrations)", count(s.BudgetReserve))
		}
		fmt.Fprintln(w)
	}
	if s.StatePath != "" {
		fmt.Fprintf(w, "state: %s\n", s.StatePath)
	}
	switch {
	case s.BudgetExhausted:
		fmt.Fprintf(w, "The daily API budget is used up; state is saved (%s). It comes back %s: run the same command again then%s.\n", s.BudgetText(), s.ResetText(time.Now()), NextRun(s))
	case s.Interrupted:
		fmt.Fprintf(w, "Interrupted; state is saved. Run the same command again%s.\n", NextRun(s))
	case !s.OK():
		fmt.Fprintf(w, "Some streams failed; the state of what was written is saved. Fix the cause and run again%s.\n", NextRun(s))
	}
}

// NextRun says what running again does with the streams that did not
// complete, as ": deals and notes go on from the saved state; persons
// starts over (full refresh)" ("" when every stream completed). An
// incremental stream goes on from its last checkpoint; a full refresh has
// no resume point and reads everything again.
func NextRun(s app.Summary) string {
	var resume, over []string
	for _, st := range s.Streams {
		switch {
		case st.Complete:
		case st.Mode == engine.FullRefresh:
			over = append(over, st.Name)
		default:
			resume = append(resume, st.Name)
		}
	}
	var parts []string
	if len(resume) > 0 {
		parts = append(parts, andList(resume)+verb(len(resume), " goes", " go")+" on from the saved state")
	}
	if len(over) > 0 {
		parts = append(parts, andList(over)+verb(len(over), " starts", " start")+" over (full refresh)")
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// andList is "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// truncate keeps at most n characters (runes, so a multi-byte one is never
// cut in half), the last being "…" when s was longer.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// stdoutFormat is the label of a format that writes to stdout ("" if it
// does not).
func stdoutFormat(name string) string {
	if f, ok := output.Lookup(name); ok && f.Stdout {
		return f.Label
	}
	return ""
}
