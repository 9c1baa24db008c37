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

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
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
		st := &cobra.Command{
			Use:   "state",
			Short: "Show or reset the saved sync state (what the next incremental sync starts from)",
			Args:  cobra.NoArgs,
		}
		st.AddCommand(newStateShow(g), newStateReset(g))
		return st
	})
}

// stateCommand is a `pdx state` subcommand: --stream, checked against the
// stream table, and the destination (--format/--out, --all), then run with
// the profile's name and state store once per destination.
func stateCommand(g *globals, use, short string, run func(cmd *cobra.Command, name string, ss *state.Store, d state.Dest, streams []string) error) *cobra.Command {
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
	return stateCommand(g, "show [--stream S]", "Print the saved state (the JSON array `pdx read --state` takes) on stdout",
		func(cmd *cobra.Command, name string, ss *state.Store, d state.Dest, streams []string) error {
			v, err := app.ShowState(ss, name, d, streams)
			if err != nil {
				return withExit(exitFailure, err)
			}
			errw := cmd.ErrOrStderr()
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
		})
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
		})
}
