package wire

import (
	"context"
	"time"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/tui"
)

// Sync runs app.Run(opts) under the progress and summary screens (`pdx
// sync` in a terminal). ui supplies the terminal; its Plan, Totals, Run and
// Explain are filled in here. It returns the run's summary and error, and
// what the UI saw.
func Sync(ctx context.Context, opts app.Options, ui tui.WatchOptions) (app.Summary, tui.Outcome, error) {
	plan := opts.Plan
	if plan == nil {
		pl, err := app.PlanSync(opts.Profile)
		if err != nil {
			return app.Summary{}, tui.Outcome{}, err
		}
		plan, opts.Plan = &pl, &pl
	}
	ui.Plan = tui.Plan{Format: tui.Format(plan.Format.Name), OutDir: plan.OutDir}
	for _, cs := range plan.Streams {
		ui.Plan.Streams = append(ui.Plan.Streams, tui.Choice{Stream: cs.Name, Mode: tui.Mode(cs.Mode)})
	}
	if opts.State != nil {
		ui.Totals = opts.State.Run().Counts
	}
	ui.Profile = opts.ProfileName
	ui.Demo = opts.ProfileName == app.DemoProfile
	ui.Explain = app.Explain
	var sum app.Summary
	var runErr error
	ui.Run = func(ctx context.Context, obs engine.Sink) (tui.Result, error) {
		o := opts
		o.Observers = append(append([]engine.Sink(nil), opts.Observers...), obs)
		prev := o.Notice
		o.Notice = func(msg string) {
			if prev != nil {
				prev(msg)
			}
			_ = obs.Emit(ctx, engine.Event{Kind: engine.Log, Level: engine.LevelWarn, Message: msg})
		}
		sum, runErr = app.Run(ctx, o)
		return resultOf(sum, opts.State != nil && !opts.State.IsEphemeral()), runErr
	}
	out, uiErr := tui.Watch(ctx, ui)
	if uiErr != nil && runErr == nil {
		return sum, out, uiErr
	}
	return sum, out, runErr
}

// resultOf is what the summary screen needs from a job summary.
func resultOf(sum app.Summary, stateSaved bool) tui.Result {
	res := tui.Result{Files: map[string][]string{}, StateSaved: stateSaved}
	if sum.BudgetExhausted {
		res.BudgetNote = "Stopped: " + sum.BudgetText() + ". It comes back " + sum.ResetText(time.Now()) + "."
	}
	f, _ := output.Lookup(sum.Format)
	stages := f.StagesFullRefresh
	for _, s := range sum.Streams {
		if s.File != "" {
			res.Files[s.Name] = append(res.Files[s.Name], s.File)
		}
		// A full refresh may be staged (a hidden partial file) and dropped
		// by an unfinished run (Airbyte messages share one file, so theirs
		// stay).
		if !s.Complete && s.Mode == engine.FullRefresh && s.Records > 0 && stages {
			if res.Dropped == nil {
				res.Dropped = map[string]bool{}
			}
			res.Dropped[s.Name] = true
		}
	}
	if len(res.Files) == 0 && len(sum.Files) > 0 {
		res.Files[""] = append(res.Files[""], sum.Files...)
	}
	return res
}
