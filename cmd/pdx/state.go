package main

// `pdx state show|reset`: the saved per-stream state that makes the next
// sync incremental.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/state"
)

// stateProfile resolves the profile name the state belongs to.
func stateProfile(g *globals) (string, *state.Store, error) {
	ps, err := profile.Open()
	if err != nil {
		return "", nil, err
	}
	cfg, err := ps.Load()
	if err != nil {
		return "", nil, err
	}
	name, _, _ := cfg.Resolve(g.profile)
	ss, err := state.Open()
	if err != nil {
		return "", nil, err
	}
	return name, ss, nil
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

func newStateShow(g *globals) *cobra.Command {
	var streams []string
	cmd := &cobra.Command{
		Use:   "show [--stream S]",
		Short: "Print the saved state (the JSON array `pdx read --state` takes) on stdout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := knownStreams(streams); err != nil {
				return err
			}
			name, ss, err := stateProfile(g)
			if err != nil {
				return withExit(exitFailure, err)
			}
			p, err := ss.Load(name)
			if err != nil {
				return withExit(exitFailure, err)
			}
			all := p.Streams()
			errw := cmd.ErrOrStderr()
			if len(streams) > 0 {
				for _, s := range streams {
					if _, ok := all[s]; !ok {
						return withExit(exitFailure, fmt.Errorf("profile %q has no state for stream %q (streams with state: %s)", name, s, stateNames(all)))
					}
				}
				for s := range all {
					if !stateHas(streams, s) {
						delete(all, s)
					}
				}
			}
			msgs, err := stateArray(all)
			if err != nil {
				return withExit(exitFailure, err)
			}
			cmd.OutOrStdout().Write(msgs)
			fmt.Fprintf(errw, "profile %q, %s\n", name, p.StatePath())
			run := p.Run()
			if !run.LastRun.IsZero() {
				fmt.Fprintf(errw, "last run %s", run.LastRun.Local().Format("2006-01-02 15:04:05 MST"))
				if len(run.Counts) > 0 {
					var parts []string
					for _, s := range stateKeys(run.Counts) {
						if len(streams) == 0 || stateHas(streams, s) {
							parts = append(parts, fmt.Sprintf("%s %d", s, run.Counts[s]))
						}
					}
					fmt.Fprintf(errw, "; records: %s", strings.Join(parts, ", "))
				}
				fmt.Fprintln(errw)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&streams, "stream", nil, "only this stream (repeatable)")
	return cmd
}

func newStateReset(g *globals) *cobra.Command {
	var streams []string
	cmd := &cobra.Command{
		Use:   "reset [--stream S]",
		Short: "Forget the saved state: the next sync reads those streams in full and starts their files over",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := knownStreams(streams); err != nil {
				return err
			}
			name, ss, err := stateProfile(g)
			if err != nil {
				return withExit(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			p, err := ss.Load(name)
			if err != nil {
				if len(streams) > 0 {
					return withExit(exitFailure, fmt.Errorf("%w\n(a damaged state file can only be reset whole: run 'pdx state reset' without --stream)", err))
				}
				// The way out of a damaged file: remove it.
				if _, rerr := ss.Remove(name); rerr != nil {
					return withExit(exitFailure, rerr)
				}
				fmt.Fprintf(out, "Removed the damaged state of profile %q; the next sync reads every stream in full.\n", name)
				return nil
			}
			had, err := p.Reset(streams...)
			if err != nil {
				return withExit(exitFailure, err)
			}
			switch {
			case len(had) == 0 && len(streams) > 0:
				fmt.Fprintf(out, "Profile %q had no state for %s; nothing to reset.\n", name, strings.Join(streams, ", "))
			case len(had) == 0:
				fmt.Fprintf(out, "Profile %q had no saved state.\n", name)
			default:
				fmt.Fprintf(out, "Reset the state of %s (profile %q): the next sync reads them in full and starts their files over.\n", strings.Join(had, ", "), name)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&streams, "stream", nil, "only this stream (repeatable)")
	return cmd
}

// knownStreams refuses a --stream that names no stream: a typo would
// otherwise "reset nothing" and the next sync would still be incremental.
func knownStreams(names []string) error {
	for _, n := range names {
		if _, ok := streams.Lookup(n); !ok {
			return usageErr(fmt.Errorf("unknown stream %q; streams are: %s", n, strings.Join(streams.Names(), ", ")))
		}
	}
	return nil
}

// stateArray encodes stream states as the Airbyte state array, sorted.
func stateArray(m map[string]json.RawMessage) ([]byte, error) {
	type desc struct {
		Name string `json:"name"`
	}
	type streamState struct {
		Desc  desc            `json:"stream_descriptor"`
		State json.RawMessage `json:"stream_state"`
	}
	type msg struct {
		Type   string      `json:"type"`
		Stream streamState `json:"stream"`
	}
	list := make([]msg, 0, len(m))
	for _, n := range stateKeys(m) {
		list = append(list, msg{Type: "STREAM", Stream: streamState{Desc: desc{n}, State: m[n]}})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(list); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return b.Bytes(), nil
}

func stateKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stateNames(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(stateKeys(m), ", ")
}

func stateHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
