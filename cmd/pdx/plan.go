package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/store/state"
)

// `pdx plan`: what a sync would read and its estimated tokens per stream,
// before spending any (no request is sent).
func init() {
	addCommand(func(g *globals) *cobra.Command {
		var f syncFlags
		cmd := &cobra.Command{
			Use:   "plan [--streams a,b] [--mode full|incremental] [--max-tokens N]",
			Short: "Print a sync's streams and estimated API tokens, without sending a request",
			Long: "plan resolves a sync as `pdx sync` would (profile, then flags) and prints each stream's estimated\n" +
				"token cost: its pages, or a request per parent record, at the last run's record counts (a count never\n" +
				"seen is one page). An incremental sync with saved state spends less. Nothing is sent to Pipedrive.",
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return runPlan(cmd, g, f) },
		}
		fl := cmd.Flags()
		fl.StringSliceVar(&f.streams, "streams", nil, "streams to plan, comma-separated (default: the profile's, else the default selection)")
		fl.StringVar(&f.mode, "mode", "", "sync mode for every stream: full or incremental (default: the profile's)")
		fl.Int64Var(&f.maxTokens, "max-tokens", 0, "the run's token cap to plan with (default: the profile's, else none)")
		return cmd
	})
}

func runPlan(cmd *cobra.Command, g *globals, f syncFlags) error {
	var counts map[string]int64
	l, _, plan, err := profilePlan(g, cmd.ErrOrStderr(), f)
	if err != nil {
		return err
	}
	if states, err := state.Open(); err == nil {
		counts, _ = app.LastCounts(states, l.name, plan)
	}
	out := cmd.OutOrStdout()
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tMODE\tTOKENS\tBASIS")
	var total int64
	for _, e := range app.EstimatePlan(plan, counts) {
		basis := "last run's counts"
		if !e.Known {
			basis = "no count yet: one page"
			if e.PerParent > 0 {
				basis = fmt.Sprintf("no count of its parents yet: %d tokens per parent", e.PerParent)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", e.Stream, e.Mode, e.Tokens, basis)
		total += e.Tokens
	}
	fmt.Fprintf(tw, "total\t\t%d\t\n", total)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range plan.Notes {
		fmt.Fprintln(out, "note:", n)
	}
	if plan.MaxTokens > 0 {
		fmt.Fprintf(out, "token cap: %d per run; per-parent streams stop at it and the next sync goes on\n", plan.MaxTokens)
	}
	return nil
}
