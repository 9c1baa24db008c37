package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/store/idset"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/store/state"
)

// Options describe one run.
type Options struct {
	ProfileName string
	// Profile is the effective settings: the saved profile with the command
	// line's overrides applied (streams, mode, format, out dir).
	Profile profile.Profile
	// Plan is PlanSync(Profile) when the caller made it already (to show
	// it, or to refuse a bad one as a usage error); nil: Run makes it.
	Plan   *Plan
	Secret secret.Secret
	// Persist saves rotated OAuth tokens (see Conn.Persist).
	Persist func(secret.Secret) error
	// State is the profile's loaded state (state.Ephemeral for the demo).
	State *state.Profile
	// Observers watch every event after the writer and the state saver
	// (the TUI, the plain progress printer). They must not block.
	Observers []engine.Sink
	// Stdout receives Airbyte messages when the out dir is "-".
	Stdout io.Writer
	// Notice receives one-line notices (repairs, downgraded modes); nil
	// discards them. Run calls it from one goroutine at a time (streams run
	// at once), so it need not be safe for concurrent use.
	Notice     func(msg string)
	HTTPClient *http.Client
	Now        func() time.Time
	// ReconcileDeletes: after the sync, tombstone the ids delivered to this
	// destination that Pipedrive no longer lists (see reconcile.go); the
	// profile's ReconcileDeletesDays makes it periodic.
	ReconcileDeletes bool
}

// StreamSummary is how one stream ended.
type StreamSummary struct {
	Name     string
	Mode     engine.Mode
	Records  int64
	Tokens   int64
	Complete bool
	Err      error
	Duration time.Duration
	File     string // "" when nothing was written (or for airbyte to stdout)
}

// Summary is the outcome of a run.
type Summary struct {
	Profile   string
	Format    string
	OutDir    string
	Streams   []StreamSummary
	Files     []string
	StatePath string // "" for an ephemeral state
	Started   time.Time
	Duration  time.Duration
	Budget    engine.BudgetInfo
	// BudgetExhausted: a stream stopped because the daily API budget ran
	// out (down to the reserve); BudgetReset is when it comes back, an
	// estimate (BudgetResetEstimated) until pdx has seen a reset happen.
	BudgetExhausted      bool
	BudgetReset          time.Time
	BudgetResetEstimated bool
	// BudgetReserve is the daily budget pdx keeps for the company's other
	// users, in tokens (0: none or not known); Budget.Remaining is what it
	// left them.
	BudgetReserve int64
	// Interrupted: the run was cancelled (Ctrl-C); state is saved.
	Interrupted bool
	// Reconciled: the delete reconciliation's streams (nil: none ran).
	Reconciled []Reconciled
	// ReconcileTokens are the tokens its listings spent.
	ReconcileTokens int64
	// Removed: the child diff's streams (children removed from the parents
	// this run re-read, tombstoned; see reconcile_children.go).
	Removed []Reconciled
}

// Records is the total record count.
func (s Summary) Records() int64 {
	var n int64
	for _, st := range s.Streams {
		n += st.Records
	}
	return n
}

// OK reports whether every stream completed.
func (s Summary) OK() bool {
	for _, st := range s.Streams {
		if !st.Complete {
			return false
		}
	}
	return len(s.Streams) > 0
}

// Run syncs o.Plan (nil: PlanSync(o.Profile)): it builds the API client,
// takes the profile's and the directory's locks, opens the plan's format
// from the registry, runs the engine with MultiSink(writer, state saver,
// observers...) and saves each stream's state right after the writer made
// its records durable. Its error is for a run that could not start (bad
// settings, unwritable output, no credentials) or whose writer failed to
// close; stream failures are in the summary.
func Run(ctx context.Context, o Options) (Summary, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	notice := func(string) {}
	if o.Notice != nil {
		var mu sync.Mutex
		notice = func(msg string) {
			mu.Lock()
			defer mu.Unlock()
			o.Notice(msg)
		}
	}
	p := o.Profile
	var plan Plan
	if o.Plan != nil {
		plan = *o.Plan
	} else {
		if err := p.Validate(); err != nil {
			return Summary{}, fmt.Errorf("profile %s: %w", o.ProfileName, err)
		}
		var err error
		if plan, err = planSync(p); err != nil {
			return Summary{}, err
		}
	}
	for _, n := range plan.Notes {
		notice(n)
	}
	format, outDir := plan.Format, plan.OutDir
	if o.State == nil {
		o.State = state.Ephemeral(o.ProfileName)
	}
	cl, err := NewClient(Conn{Profile: p, Secret: o.Secret, Persist: o.Persist, HTTPClient: o.HTTPClient})
	if err != nil {
		return Summary{}, err
	}

	if err := checkDest(o.State, plan); err != nil {
		return Summary{}, err
	}
	if !o.State.IsEphemeral() {
		// One run per profile: two runs would race on its state and tokens.
		release, err := output.Lock(o.State.LockDir())
		if err != nil {
			return Summary{}, fmt.Errorf("profile %s is syncing already: %w", o.ProfileName, err)
		}
		defer release()
	}
	if outDir != "-" {
		// One run per output directory: an overlapping cron run must not
		// append to the same files.
		release, err := output.Lock(outDir)
		if err != nil {
			return Summary{}, err
		}
		defer release()
	}
	ids, err := openIDs(o.State)
	if err != nil {
		return Summary{}, err
	}
	if ids != nil {
		defer ids.Close()
	}
	if o.ReconcileDeletes && ids == nil {
		return Summary{}, fmt.Errorf("--reconcile-deletes needs a destination that keeps state (a profile's output directory; not standard output or the demo): only there does pdx know what it delivered")
	}
	saved := o.State.Streams()
	run := o.State.Run()
	modes := plan.Modes()
	w, x, err := openWriter(ctx, plan, saved, cl, o, notice)
	if err != nil {
		return Summary{}, err
	}

	sum := Summary{Profile: o.ProfileName, Format: format.Name, OutDir: outDir, Started: now()}
	if !o.State.IsEphemeral() {
		sum.StatePath = o.State.StatePath()
	}
	saver := &saver{st: o.State, w: w, modes: modes, pending: map[string]json.RawMessage{}, started: map[string]time.Time{}, took: map[string]time.Duration{}, now: now, ids: ids, kids: childStarts(plan, saved)}
	watch := &budgetWatch{now: now}
	sinks := append([]engine.Sink{w, saver, watch}, o.Observers...)
	plan.SweepArchived = reconcileDue(o, ids, now())
	res, runErr := plan.execute(ctx, cl, saved, engine.MultiSink(sinks...), now, run.Counts)
	var terr error
	if runErr == nil && ctx.Err() == nil && writesTables(plan) {
		terr = x.writeTables(ctx, w)
	}
	ferr := w.Finish(runErr)
	if ferr == nil {
		ferr = terr
	}
	sum.Duration = now().Sub(sum.Started)
	if runErr != nil {
		return sum, runErr
	}
	sum.Budget = res.Budget
	memo := o.State.BudgetMemo()
	if m, ok := watch.memo(memo); ok {
		memo = m
		if err := o.State.SaveBudgetMemo(m); err != nil {
			notice(err.Error())
		}
	}
	if reserve, err := client.ParseReserve(p.BudgetReserve); err == nil {
		sum.BudgetReserve = reserve.Of(res.Budget.Limit)
	}
	if at, ok := res.BudgetExhausted(); ok {
		sum.BudgetExhausted = true
		sum.BudgetReset, sum.BudgetResetEstimated = nextReset(memo, at, now())
	}
	sum.Interrupted = ctx.Err() != nil
	counts := map[string]int64{}
	for _, r := range res.Streams {
		ss := StreamSummary{Name: r.Name, Mode: modes[r.Name], Records: r.Stats.Records, Tokens: r.Stats.Tokens, Complete: r.Complete, Err: r.Err, Duration: saver.duration(r.Name)}
		if pos := position(w, r.Name); pos != nil {
			ss.File = pos.Path
		}
		// The last complete count is the next run's estimate (TUI bars).
		if r.Complete {
			counts[r.Name] = r.Stats.Records
		}
		sum.Streams = append(sum.Streams, ss)
	}
	sum.Files = w.Files()
	// Not after a budget stop: the listing would spend what is left for others.
	if sum.BudgetExhausted && o.ReconcileDeletes {
		notice("delete reconciliation skipped: the daily API budget ran out; it runs with the next sync")
	}
	if ferr == nil && !sum.Interrupted {
		// No API call: after a budget stop too.
		sum.Removed, ferr = diffChildren(ctx, o, plan, cl, ids, now, notice)
	}
	if ferr == nil && !sum.Interrupted && !sum.BudgetExhausted && reconcileDue(o, ids, now()) {
		skip := map[string]bool{}
		for _, ss := range sum.Streams {
			skip[ss.Name] = !ss.Complete
		}
		rec, rres, err := reconcile(ctx, o, plan, cl, ids, skip, now, notice)
		sum.Reconciled = rec
		for _, r := range rres.Streams {
			sum.ReconcileTokens += r.Stats.Tokens
		}
		ferr = err
	}
	if err := o.State.FinishRun(now(), counts); err != nil && ferr == nil {
		ferr = err
	}
	return sum, ferr
}

// saver persists each stream's state once the writer (first in the
// MultiSink) has made the records it covers durable.
type saver struct {
	st      *state.Profile
	w       output.Writer
	modes   map[string]engine.Mode
	now     func() time.Time
	mu      sync.Mutex
	pending map[string]json.RawMessage // full refresh: state kept until the file is complete
	started map[string]time.Time
	took    map[string]time.Duration
	ids     *idset.Store           // the destination's delivered ids (nil: none kept)
	kids    map[string]idset.Start // the streams whose child sets are journaled, how each starts
}

func (s *saver) Emit(_ context.Context, ev engine.Event) error {
	if err := journalChildren(s.ids, s.kids, ev); err != nil {
		return err
	}
	switch ev.Kind {
	case engine.StreamStarted:
		s.mu.Lock()
		s.started[ev.Stream] = s.now()
		s.mu.Unlock()
	case engine.Records:
		// The writer (first in the MultiSink) has the records: they count
		// as delivered; Checkpoint makes the ids durable before the state.
		if s.ids != nil {
			if err := s.ids.Add(ev.Stream, keysOf(ev.Stream, ev.Records)); err != nil {
				return err
			}
		}
	case engine.Checkpoint:
		if len(ev.State) == 0 {
			return nil
		}
		if err := s.syncIDs(); err != nil {
			return err
		}
		if s.modes[ev.Stream] == engine.FullRefresh {
			// A full refresh's file only exists once the stream completes;
			// saving a mid-stream state would resume into a file that is gone.
			s.mu.Lock()
			s.pending[ev.Stream] = append(json.RawMessage(nil), ev.State...)
			s.mu.Unlock()
			return nil
		}
		if err := s.st.Checkpoint(ev.Stream, ev.State, position(s.w, ev.Stream)); err != nil {
			return fmt.Errorf("save %s state: %w", ev.Stream, err)
		}
	case engine.StreamComplete, engine.StreamIncomplete:
		s.mu.Lock()
		if t, ok := s.started[ev.Stream]; ok {
			s.took[ev.Stream] = s.now().Sub(t)
		}
		pending := s.pending[ev.Stream]
		delete(s.pending, ev.Stream)
		s.mu.Unlock()
		if ev.Kind == engine.StreamComplete && s.modes[ev.Stream] == engine.FullRefresh {
			if err := s.syncIDs(); err != nil {
				return err
			}
			if err := s.st.Checkpoint(ev.Stream, pending, position(s.w, ev.Stream)); err != nil {
				return fmt.Errorf("save %s state: %w", ev.Stream, err)
			}
		}
	}
	return nil
}

func (s *saver) syncIDs() error {
	if s.ids == nil {
		return nil
	}
	return s.ids.Sync()
}

func (s *saver) duration(stream string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.took[stream]
}

// position is the stream's durable output position, for its saved state.
func position(w output.Writer, stream string) *state.Output {
	if p, ok := w.Position(stream); ok {
		return &state.Output{Path: p.Path, Size: p.Size}
	}
	return nil
}

// openWriter opens the plan's format, telling it how each stream starts: a
// full refresh replaces the stream's data, an incremental stream with saved
// state continues it (a per-stream file at the size saved with that state),
// one without starts it over.
func openWriter(ctx context.Context, plan Plan, saved map[string]json.RawMessage, cl *client.Client, o Options, notice func(string)) (output.Writer, *decoders, error) {
	f, outDir := plan.Format, plan.OutDir
	t := output.Target{Dir: outDir, Stdout: o.Stdout, Streams: plan.Names(), Secrets: secretsOf(o.Secret),
		Notice: func(stream, msg string) { notice(msg) }}
	if t.Stdout == nil {
		t.Stdout = os.Stdout
	}
	if outDir != "-" {
		abs, err := filepath.Abs(outDir)
		if err != nil {
			return nil, nil, fmt.Errorf("output directory: %w", err)
		}
		t.Dir = abs
	}
	// Every format learns each stream's mode and whether it starts over; a
	// per-stream file also where to resume (the size saved with the state).
	t.Specs = map[string]output.Stream{}
	for _, cs := range plan.Streams {
		if cs.Mode == engine.FullRefresh {
			t.Specs[cs.Name] = output.Stream{Full: true}
			continue
		}
		_, hasState := saved[cs.Name]
		spec := output.Stream{Fresh: !hasState, ResumeSize: -1}
		if hasState && !f.OneFile {
			final := f.StreamPath(t.Dir, cs.Name)
			spec.ResumeSize = o.State.ResumeSize(cs.Name, final)
			if _, err := os.Stat(final); errors.Is(err, os.ErrNotExist) {
				notice(fmt.Sprintf("%s: saved state exists but %s does not: only changes since the last run are written; 'pdx state reset --stream %s' gets a full copy", cs.Name, final, cs.Name))
			}
		}
		t.Specs[cs.Name] = spec
	}
	if writesTables(plan) {
		for _, name := range []string{readable.FieldsTable, readable.OptionsTable} {
			t.Specs[name] = output.Stream{Full: true}
		}
	}
	book, err := loadNames(o.State)
	if err != nil {
		return nil, nil, err
	}
	x := &decoders{ctx: ctx, fields: NewFields(cl), book: book, notice: notice, rawIDs: plan.RawIDs,
		save: func() error { return saveNames(o.State, book) }}
	t.Columns, t.Decoder = x.columns, x.decoder
	t.Fields = func(stream string) ([]schema.Field, error) {
		return x.fields.of(ctx, stream, "custom field columns are named by their keys", notice), nil
	}
	w, err := f.Open(ctx, t)
	if err != nil || !plan.Readable || f.DecodesFields {
		return w, x, err
	}
	return output.Readable(w, x.decoder), x, nil
}

func secretsOf(s secret.Secret) []string {
	var out []string
	for _, v := range []string{s.APIToken, s.ClientSecret, s.RefreshToken, s.AccessToken} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
