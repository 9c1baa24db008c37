package main

// `pdx state show|reset`: the saved per-stream state that makes the next
// sync incremental.

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/store/state"
)

// stateProfile resolves the profile name the state belongs to and opens
// the state store; errors carry exit 1.
func stateProfile(g *globals) (string, *state.Store, error) {
	l, err := loadProfile(g, io.Discard) // no secret is read here
	if err != nil {
		return "", nil, err
	}
	ss, err := state.Open()
	if err != nil {
		return "", nil, withExit(exitFailure, err)
	}
	return l.name, ss, nil
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
// stream table, then run with the profile's name and state store.
func stateCommand(g *globals, use, short string, run func(cmd *cobra.Command, name string, ss *state.Store, streams []string) error) *cobra.Command {
	var streams []string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := app.KnownStreams(streams); err != nil {
				return usageErr(err)
			}
			name, ss, err := stateProfile(g)
			if err != nil {
				return err
			}
			return run(cmd, name, ss, streams)
		},
	}
	cmd.Flags().StringSliceVar(&streams, "stream", nil, "only this stream (repeatable)")
	return cmd
}

func newStateShow(g *globals) *cobra.Command {
	return stateCommand(g, "show [--stream S]", "Print the saved state (the JSON array `pdx read --state` takes) on stdout",
		func(cmd *cobra.Command, name string, ss *state.Store, streams []string) error {
			v, err := app.ShowState(ss, name, streams)
			if err != nil {
				return withExit(exitFailure, err)
			}
			errw := cmd.ErrOrStderr()
			cmd.OutOrStdout().Write(v.Array)
			fmt.Fprintf(errw, "profile %q, %s\n", name, v.Path)
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
		func(cmd *cobra.Command, name string, ss *state.Store, streams []string) error {
			r, err := app.ResetState(ss, name, streams)
			if err != nil {
				return withExit(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			switch {
			case r.Damaged:
				fmt.Fprintf(out, "Removed the damaged state of profile %q; the next sync reads every stream in full.\n", name)
			case len(r.Had) == 0 && len(streams) > 0:
				fmt.Fprintf(out, "Profile %q had no state for %s; nothing to reset.\n", name, strings.Join(streams, ", "))
			case len(r.Had) == 0:
				fmt.Fprintf(out, "Profile %q had no saved state.\n", name)
			default:
				fmt.Fprintf(out, "Reset the state of %s (profile %q): the next sync reads them in full and starts their files over.\n", strings.Join(r.Had, ", "), name)
			}
			return nil
		})
}
