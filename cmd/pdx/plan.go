package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/state"
)

// `pdx plan`: what a sync would read and its estimated tokens per stream,
// before spending any (no request is sent).
func init() {
	addCommand(func(g *globals) *cobra.Command {
		var f syncFlags
		cmd := &cobra.Command{
			Use:   "plan [--streams a,b] [--mode full|incremental] [--max-tokens N] [--budget-reserve R]",
			Short: "Print a sync's streams and estimated API tokens, without sending a request",
			Long: "plan resolves a sync as `pdx sync` would (profile, then flags) and prints each stream's estimated\n" +
				"token cost: its pages, or a request per parent record, at the last run's record counts (a count never\n" +
				"seen is one page). An incremental sync with saved state spends less, except on streams that read every\n" +
				"page whatever changed (the API has no sort or filter): those are planned at their full cost. A stream\n" +
				"(and the total) over today's budget says how many days it takes, a run a day, at the budget pdx last\n" +
				"read, less the budget reserve, and at most the token cap; before pdx has read a budget, at the smallest\n" +
				"plan's 30,000 tokens a day, said as such. Nothing is sent to Pipedrive.",
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return runPlan(cmd, g, f) },
		}
		fl := cmd.Flags()
		fl.StringSliceVar(&f.streams, "streams", nil, "streams to plan, comma-separated (default: the profile's, else the default selection)")
		fl.StringVar(&f.mode, "mode", "", "sync mode for every stream: full or incremental (default: the profile's)")
		fl.Int64Var(&f.maxTokens, "max-tokens", 0, "the run's token cap to plan with (default: the profile's, else none)")
		fl.StringVar(&f.reserve, "budget-reserve", "", "daily API budget left to the company's other integrations, to plan with: a share (10%) or tokens (5000) (default: the profile's, else 10%)")
		return cmd
	})
}

func runPlan(cmd *cobra.Command, g *globals, f syncFlags) error {
	l, p, plan, err := profilePlan(g, cmd.ErrOrStderr(), f)
	if err != nil {
		return err
	}
	var seen app.Seen
	if states, err := state.Open(); err == nil {
		seen, _ = app.LastSeen(states, l.name, plan)
	}
	reserve, _ := client.ParseReserve(p.BudgetReserve) // validated by profilePlan
	allow := app.Allowance{Budget: app.BudgetNow(seen.Budget, time.Now()), Reserve: reserve, MaxTokens: plan.MaxTokens}
	out := cmd.OutOrStdout()
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tMODE\tTOKENS\tBASIS")
	es := app.EstimatePlan(plan, seen.Counts)
	for _, e := range es {
		basis := []string{"last run's counts"}
		if !e.Known {
			basis[0] = "no count yet: one page"
			switch {
			case e.Sources > 1:
				basis[0] = fmt.Sprintf("no count yet: one page of each of its %d calls", e.Sources)
			case e.PerParent > 0:
				basis[0] = fmt.Sprintf("no count of its parents yet: %d tokens per parent", e.PerParent)
			}
		}
		if e.ScansAll {
			if e.Known && e.Mode == engine.Incremental && seen.Saved[e.Stream] {
				// After an incremental run the count is the changes it
				// emitted, while the next run reads every page again.
				basis[0] += ", maybe only the changes: at least this"
			}
			basis = append(basis, e.Scan)
		} else if e.Mode == engine.Incremental && seen.Saved[e.Stream] {
			basis = append(basis, "less from its saved state: only the changes")
		}
		if b := allow.Backfill(e.Tokens); !b.Fits() {
			basis = append(basis, b.Text())
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", e.Stream, e.Mode, e.Tokens, strings.Join(basis, "; "))
	}
	total := app.TotalTokens(es)
	fmt.Fprintf(tw, "total\t\t%d\t%s\n", total, allow.Backfill(total).Text())
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, budgetBasis(allow, seen.Budget))
	for _, n := range plan.Notes {
		fmt.Fprintln(out, "note:", n)
	}
	if plan.MaxTokens > 0 {
		fmt.Fprintf(out, "token cap: %d per run; per-parent streams stop at it and the next sync goes on\n", plan.MaxTokens)
	}
	return nil
}

// budgetBasis says what the days rest on: the last budget reading (or the
// nominal budget, when pdx never saw one) and the reserve.
func budgetBasis(a app.Allowance, m state.BudgetMemo) string {
	b := a.Backfill(0)
	keep := ""
	if b.Kept > 0 {
		keep = fmt.Sprintf(", less %s kept for the company's other integrations (budget reserve)", humanize.Comma(b.Kept))
	}
	if b.Nominal {
		return fmt.Sprintf("budget: not seen yet (pdx reads it from Pipedrive's answers on its first request); days are at the smallest plan's %s tokens a day%s",
			humanize.Comma(b.Limit), keep)
	}
	return fmt.Sprintf("budget: %s tokens a day, %s left now (read %s)%s",
		humanize.Comma(a.Budget.Limit), humanize.Comma(a.Budget.Remaining), m.At.UTC().Format("2006-01-02 15:04 UTC"), keep)
}
