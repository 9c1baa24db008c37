package main

// `pdx state show|reset`: the saved per-stream state that makes the next
// sync incremental.

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/plural"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/state"
)

// stateTarget is which destinations' state a `pdx state` command works on.
type stateTarget struct {
	all    bool
	format string
	out    string
}

// stateProfile resolves the profile name the state belongs to, opens the
// state store and picks the destinations: the profile's own (its format
// and out dir, or --format/--out), or --all; errors carry exit 1.
func stateProfile(g *globals, t stateTarget, wholeReset bool) (string, *state.Store, []state.Dest, error) {
	l, err := loadProfile(g, io.Discard) // no secret is read here
	if err != nil {
		return "", nil, nil, err
	}
	ss, err := state.Open()
	if err != nil {
		return "", nil, nil, withExit(exitFailure, err)
	}
	p := l.p
	if t.format != "" {
		p.Format = t.format
	}
	if t.out != "" {
		p.OutDir = t.out
	}
	ds, err := app.StateDests(ss, l.name, l.p, p, t.all, wholeReset)
	if err != nil {
		return "", nil, nil, withExit(exitFailure, err)
	}
	return l.name, ss, ds, nil
}

func init() {
	addCommand(func(g *globals) *cobra.Command {
		return parentCommand("state", "Show or reset the saved sync state (what the next incremental sync starts from)",
			newStateShow(g), newStateReset(g))
	})
}

// stateCommand is a `pdx state` subcommand: --stream, checked against the
// stream table, and the destination (--format/--out, --all), then run with
// the profile's name and state store once per destination, then finish
// (when not nil) once.
func stateCommand(g *globals, use, short string, run func(cmd *cobra.Command, name string, ss *state.Store, d state.Dest, streams []string) error, finish func(cmd *cobra.Command) error) *cobra.Command {
	var streams []string
	var t stateTarget
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := app.KnownStreams(streams); err != nil {
				return usageErr(err)
			}
			if err := output.ValidFormat(t.format); err != nil {
				return usageErr(err)
			}
			if t.all && (t.format != "" || t.out != "") {
				return usageErr(errors.New("--all goes with neither --format nor --out"))
			}
			name, ss, ds, err := stateProfile(g, t, cmd.Name() == "reset" && len(streams) == 0)
			if err != nil {
				return err
			}
			if len(ds) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "profile %q has no saved state in any destination\n", name)
			}
			for _, d := range ds {
				if err := run(cmd, name, ss, d, streams); err != nil {
					return err
				}
			}
			if finish != nil {
				return finish(cmd)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&streams, "stream", nil, "only this stream (repeatable)")
	cmd.Flags().BoolVar(&t.all, "all", false, "every destination the profile has state for")
	cmd.Flags().StringVar(&t.format, "format", "", "the destination's format (default: the profile's)")
	cmd.Flags().StringVar(&t.out, "out", "", "the destination's directory (default: the profile's)")
	return cmd
}

func newStateShow(g *globals) *cobra.Command {
	var asJSON bool
	var views []app.StateView
	cmd := stateCommand(g, "show [--stream S] [--json]", "Print the saved state: a table per stream, or with --json the array `pdx read --state` takes",
		func(cmd *cobra.Command, name string, ss *state.Store, d state.Dest, streams []string) error {
			v, err := app.ShowState(ss, name, d, streams)
			if err != nil {
				return withExit(exitFailure, err)
			}
			errw := cmd.ErrOrStderr()
			if !asJSON {
				views = append(views, v)
				fmt.Fprintf(errw, "profile %q, destination %s, %s\n", name, d, v.Path)
				return nil
			}
			cmd.OutOrStdout().Write(v.Array)
			fmt.Fprintf(errw, "profile %q, destination %s, %s\n", name, d, v.Path)
			if !v.LastRun.IsZero() {
				fmt.Fprintf(errw, "last run %s", v.LastRun.Local().Format("2006-01-02 15:04:05 MST"))
				if len(v.Counts) > 0 {
					var parts []string
					for _, s := range slices.Sorted(maps.Keys(v.Counts)) {
						parts = append(parts, fmt.Sprintf("%s %d", s, v.Counts[s]))
					}
					fmt.Fprintf(errw, "; records: %s", strings.Join(parts, ", "))
				}
				fmt.Fprintln(errw)
			}
			return nil
		},
		func(cmd *cobra.Command) error {
			if !asJSON {
				printStateTable(cmd.OutOrStdout(), views)
			}
			return nil
		})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the raw state: the JSON array of STATE messages `pdx read --state` takes")
	return cmd
}

// printStateTable prints one row per stream with state: how the next
// incremental sync reads it, from where, and its last run at the
// destination. Destinations without state get a sentence instead.
func printStateTable(w io.Writer, views []app.StateView) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := false
	for _, v := range views {
		if len(v.Streams) == 0 {
			fmt.Fprintf(w, "No saved state for %s: the next sync there reads every stream in full.\n", v.Dest)
			continue
		}
		if !header {
			fmt.Fprintln(tw, "STREAM\tMODE\tCURSOR\tLAST RUN\tRECORDS\tDESTINATION")
			header = true
		}
		for _, s := range v.Streams {
			mode, cursor := "full refresh", "-"
			if s.Incremental() {
				mode, cursor = "incremental", s.Cursor
			}
			last, records := "-", "-"
			if !s.Synced.IsZero() {
				last = s.Synced.Local().Format("2006-01-02 15:04 MST")
			}
			if s.Records >= 0 {
				records = plural.N(s.Records)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, mode, cursor, last, records, v.Dest)
		}
	}
	tw.Flush()
}

func newStateReset(g *globals) *cobra.Command {
	return stateCommand(g, "reset [--stream S]", "Forget the saved state: the next sync reads those streams in full and starts their files over",
		func(cmd *cobra.Command, name string, ss *state.Store, d state.Dest, streams []string) error {
			r, err := app.ResetState(ss, name, d, streams)
			if err != nil {
				return withExit(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			switch {
			case r.Damaged:
				fmt.Fprintf(out, "Removed the damaged state of profile %q for %s; the next sync there reads every stream in full.\n", name, d)
			case len(r.Had) == 0 && len(streams) > 0:
				fmt.Fprintf(out, "Profile %q had no state for %s in %s; nothing to reset.\n", name, strings.Join(streams, ", "), d)
			case len(r.Had) == 0:
				fmt.Fprintf(out, "Profile %q had no saved state for %s.\n", name, d)
			default:
				fmt.Fprintf(out, "Reset the state of %s (profile %q, %s): the next sync there reads them in full and starts their files over.\n", strings.Join(r.Had, ", "), name, d)
			}
			return nil
		}, nil)
}
