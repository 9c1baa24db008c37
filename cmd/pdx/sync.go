package main

// `pdx sync`: run a profile's sync and write files. Headless with --no-tui
// or when stdout is not a terminal (plain progress lines on stderr, then a
// summary table); otherwise the TUI's progress view through syncTUI.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/plural"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/startdate"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/state"
	"github.com/pdxhq/pdx/tui/plain"
)

// syncTUI shows a sync in the terminal UI: it runs app.Run with opts (adding
// its own observer) and returns the summary. The TUI sets it; nil means
// `pdx sync` is always headless.
var syncTUI func(ctx context.Context, cmd *cobra.Command, opts app.Options) (app.Summary, error)

type syncFlags struct {
	noTUI     bool
	streams   []string
	mode      string
	format    string
	out       string
	startDate string
	reserve   string
	readable  bool
	rawIDs    bool
	reconcile bool
	maxTokens int64
}

func init() {
	addCommand(func(g *globals) *cobra.Command {
		var f syncFlags
		cmd := &cobra.Command{
			Use:   "sync [--no-tui] [--streams a,b] [--mode full|incremental] [--format " + strings.Join(output.Names(), "|") + "] [--out DIR]",
			Short: "Sync a profile's Pipedrive data to files (incremental from the saved state)",
			Long: "sync reads the profile's streams and writes one file per stream: JSONL (one API record per line)\n" +
				"or CSV; or one file for all: a SQLite database (pipedrive.sqlite, a table per stream upserted by\n" +
				"primary key, with history views) or Airbyte messages. Anything not given on the command line comes\n" +
				"from the profile.\n" +
				"Incremental streams append; Pipedrive's updated_since is inclusive, so records updated in the\n" +
				"same second as the saved cursor can appear twice: deduplicate on id, keeping the last line.\n" +
				"CSV columns are fixed when a file is created (custom fields by name, values as labels; --raw-ids for ids);\n" +
				"fields that appear later go to the last column, _extra, as JSON. A killed run is safe to repeat: files are repaired\n" +
				"and the sync resumes from the last saved state.\n\n" +
				"Exit codes: 0 ok, 1 a stream failed, 2 usage error, 3 daily API budget exhausted (state saved).",
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return runSync(cmd, g, f) },
		}
		fl := cmd.Flags()
		fl.BoolVar(&f.noTUI, "no-tui", false, "plain progress lines on stderr instead of the interactive view")
		fl.StringSliceVar(&f.streams, "streams", nil, "streams to sync, comma-separated (default: the profile's, else all)")
		fl.StringVar(&f.mode, "mode", "", "sync mode for every stream: full or incremental (default: the profile's)")
		fl.StringVar(&f.format, "format", "", "output format: "+orList(output.Names())+" (default: the profile's, else "+output.DefaultFormat+")")
		fl.StringVar(&f.out, "out", "", "output directory ('-' = stdout, "+orList(output.StdoutNames())+" format only; default: the profile's, else ./"+app.DefaultOutDir+")")
		fl.StringVar(&f.startDate, "start-date", "", "first sync reads records updated since (YYYY-MM-DD or RFC 3339)")
		fl.StringVar(&f.reserve, "budget-reserve", "", "daily API budget left unspent for the company's other integrations: a share of the limit (10%) or tokens (5000); 0 spends it all (default: the profile's, else 10%)")
		fl.BoolVar(&f.readable, "readable", false, "jsonl/airbyte: add decoded custom fields (names, labels) as "+readable.Key+" beside the API's values")
		fl.BoolVar(&f.rawIDs, "raw-ids", false, "csv: write enum/set option ids instead of their labels")
		fl.BoolVar(&f.reconcile, "reconcile-deletes", false, "after the sync, list the ids that exist and write a tombstone (the key and _pdx_deleted_at) for each record delivered here that Pipedrive purged (default: every reconcile_deletes_days of the profile)")
		fl.Int64Var(&f.maxTokens, "max-tokens", 0, "API tokens this run may spend (default: the profile's, else no cap); a per-parent backfill stops at it and the next sync goes on")
		return cmd
	})
}

// orList is "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// apply puts the command line's choices over the profile's.
func (f syncFlags) apply(p profile.Profile) (profile.Profile, error) {
	mode, err := profile.ParseMode(f.mode)
	if err != nil {
		return p, fmt.Errorf("--%w", err)
	}
	if err := output.ValidFormat(f.format); err != nil {
		return p, fmt.Errorf("--%w", err)
	}
	if f.startDate != "" {
		if _, err := startdate.Parse(f.startDate); err != nil {
			return p, fmt.Errorf("--start-date: %w", err)
		}
		p.StartDate = f.startDate
	}
	if f.maxTokens < 0 {
		return p, fmt.Errorf("--max-tokens %d: must be 0 (no cap) or more", f.maxTokens)
	}
	if f.maxTokens > 0 {
		p.MaxTokens = f.maxTokens
	}
	if f.reserve != "" {
		if _, err := client.ParseReserve(f.reserve); err != nil {
			return p, fmt.Errorf("--%w", err)
		}
		p.BudgetReserve = f.reserve
	}
	if len(f.streams) > 0 {
		p.Streams = f.streams
	}
	if mode != "" {
		p.Mode = mode
		p.StreamModes = nil // an explicit mode is for every stream
	}
	if f.format != "" {
		p.Format = f.format
	}
	if f.out != "" {
		p.OutDir = f.out
	}
	p.Readable = p.Readable || f.readable
	p.RawIDs = p.RawIDs || f.rawIDs
	return p, nil
}

func runSync(cmd *cobra.Command, g *globals, f syncFlags) error {
	errw := cmd.ErrOrStderr()
	var opts app.Options
	var demo *app.DemoSession
	if g.reset && !g.demo {
		return usageErr(errors.New("--reset starts the demo over: use it with --demo"))
	}
	if g.demo {
		base, err := f.apply(profile.Profile{OutDir: app.DemoOutDir()})
		if err != nil {
			return usageErr(err)
		}
		plan, err := app.PlanSync(base)
		if err != nil {
			return usageErr(err)
		}
		states, err := state.Open()
		if err != nil {
			return withExit(exitFailure, err)
		}
		// The headless demo continues the same simulated company as the UI's
		// (app.OpenDemo): a second run is incremental, into the same
		// destination only.
		if demo, err = app.OpenDemo(states, g.reset, base, nil); err != nil {
			return withExit(exitFailure, err)
		}
		defer demo.Close()
		opts = demo.RunOptions()
		if opts.State, err = demo.State(plan); err != nil {
			return withExit(exitFailure, err)
		}
		fmt.Fprintf(errw, "demo: syncing a simulated Pipedrive company (%d deals, %s); it carries on from the last demo (--reset starts over)\n", app.DemoScale, plural.Count(int64(demo.Memory.Runs), "earlier run"))
		opts.Plan = &plan
	} else {
		l, p, plan, err := profilePlan(g, errw, f)
		if err != nil {
			return err
		}
		states, err := state.Open()
		if err != nil {
			return withExit(exitFailure, err)
		}
		if opts, err = app.ProfileRun(l.name, l.p, p, l.exists, l.ss, states); err != nil {
			return withExit(exitFailure, err)
		}
		opts.Plan = &plan
	}

	ctx, stop := commandContext(cmd)
	defer stop()
	opts.Stdout = cmd.OutOrStdout()
	opts.ReconcileDeletes = f.reconcile
	var sum app.Summary
	var err error
	if !f.noTUI && syncTUI != nil && isTerminal(cmd.OutOrStdout()) && isTerminal(errw) {
		sum, err = syncTUI(ctx, cmd, opts)
	} else {
		pr := plain.New(errw, plain.WithExplain(app.Hint))
		opts.Observers = []engine.Sink{pr}
		opts.Notice = pr.Info
		sum, err = app.Run(ctx, opts)
		if err == nil || len(sum.Streams) > 0 {
			plain.Summary(errw, sum)
		}
	}
	if demo != nil && len(sum.Streams) > 0 {
		if serr := demo.Ran(); serr != nil && err == nil {
			err = serr
		}
	}
	return syncExit(sum, err)
}

// profilePlan loads the profile and resolves the sync its flags ask for
// (`pdx sync`, `pdx plan`).
func profilePlan(g *globals, errw io.Writer, f syncFlags) (*loaded, profile.Profile, app.Plan, error) {
	l, err := loadProfile(g, errw)
	if err != nil {
		return nil, profile.Profile{}, app.Plan{}, err
	}
	p, err := f.apply(l.p)
	if err != nil {
		return nil, p, app.Plan{}, usageErr(err)
	}
	plan, err := app.PlanSync(p)
	if err != nil {
		return nil, p, app.Plan{}, usageErr(err)
	}
	return l, p, plan, nil
}

// syncExit maps a run's outcome to the exit code: 3 when the daily budget
// ran out (state saved), 1 when a stream failed or the run could not start.
func syncExit(sum app.Summary, err error) error {
	switch {
	case err != nil:
		return withExit(exitFailure, err)
	case sum.BudgetExhausted:
		return withExit(exitBudget, fmt.Errorf("%s; state saved. The budget comes back %s, in about %s: run again then", sum.BudgetText(), sum.ResetText(time.Now()), time.Until(sum.BudgetReset).Round(time.Minute)))
	case sum.Interrupted:
		return withExit(exitFailure, errors.New("interrupted; state saved"+plain.NextRun(sum)))
	case !sum.OK():
		var failed []string
		for _, s := range sum.Streams {
			if !s.Complete {
				failed = append(failed, s.Name)
			}
		}
		return withExit(exitFailure, fmt.Errorf("%s failed: %s", plural.Count(len(failed), "stream"), strings.Join(failed, ", ")))
	}
	return nil
}
