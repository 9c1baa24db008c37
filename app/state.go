package app

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/state"
)

// KnownStreams refuses a name that is no stream: a typo would otherwise
// "reset nothing" and the next sync would still be incremental.
func KnownStreams(names []string) error {
	for _, n := range names {
		if _, ok := streams.Lookup(n); !ok {
			return fmt.Errorf("unknown stream %q; streams are: %s", n, strings.Join(streams.Names(), ", "))
		}
	}
	return nil
}

// StateView is a profile's saved state as `pdx state show` prints it.
type StateView struct {
	Dest state.Dest
	Path string
	// Array is the state as the JSON array of STATE messages that
	// `pdx read --state` takes.
	Array   []byte
	LastRun time.Time        // zero: never ran
	Counts  map[string]int64 // record counts of the last run (of the streams shown)
}

// StateDests are the destinations `pdx state show|reset` work on: every
// destination of profile name with state (all), else the one of p (the
// saved profile with --format/--out applied). The profile's state from
// before destinations is given to its destination first (DestState); when
// it is damaged, a whole reset (wholeReset) removes it, as its error says.
func StateDests(ss *state.Store, name string, saved, p profile.Profile, all, wholeReset bool) ([]state.Dest, error) {
	if _, err := ss.AdoptLegacy(name, legacyOwner(saved)); err != nil {
		if !wholeReset {
			return nil, err
		}
		if _, err := ss.Remove(name); err != nil {
			return nil, err
		}
	}
	if all {
		return ss.Dests(name)
	}
	d, ok := destOfProfile(p)
	if !ok {
		return nil, fmt.Errorf("standard output keeps no local state (its reader keeps what it received); pick a directory with --out, or --all")
	}
	return []state.Dest{d}, nil
}

// ShowState reads the state profile name keeps for destination d; only
// (when given) of streams, each of which must have state.
func ShowState(ss *state.Store, name string, d state.Dest, only []string) (StateView, error) {
	p, err := ss.LoadDest(name, d)
	if err != nil {
		return StateView{}, err
	}
	all := p.Streams()
	for _, s := range only {
		if _, ok := all[s]; !ok {
			return StateView{}, fmt.Errorf("profile %q has no state for stream %q (streams with state: %s) in %s", name, s, stateNames(all), d)
		}
	}
	shown := func(s string) bool { return len(only) == 0 || slices.Contains(only, s) }
	for s := range all {
		if !shown(s) {
			delete(all, s)
		}
	}
	v := StateView{Dest: d, Path: p.StatePath(), Counts: map[string]int64{}}
	v.Array = state.Encode(all)
	run := p.Run()
	v.LastRun = run.LastRun
	for s, n := range run.Counts {
		if shown(s) {
			v.Counts[s] = n
		}
	}
	return v, nil
}

// Reset is what ResetState did.
type Reset struct {
	// Had are the streams whose state was forgotten.
	Had []string
	// Damaged: the state file could not be read and was removed whole.
	Damaged bool
}

// ResetState forgets the state profile name keeps for destination d (of
// only those streams, when given): the next sync there reads them in full
// and starts their files over. A damaged state file can only be reset whole.
func ResetState(ss *state.Store, name string, d state.Dest, only []string) (Reset, error) {
	p, err := ss.LoadDest(name, d)
	if err != nil {
		if len(only) > 0 {
			return Reset{}, fmt.Errorf("%w\n(a damaged state file can only be reset whole: run 'pdx state reset' without --stream)", err)
		}
		// The way out of a damaged file: remove it.
		if _, rerr := ss.RemoveDest(name, d); rerr != nil {
			return Reset{}, rerr
		}
		return Reset{Damaged: true}, nil
	}
	had, err := p.Reset(only...)
	if err != nil {
		return Reset{}, err
	}
	return Reset{Had: had}, nil
}

func sortedKeys[V any](m map[string]V) []string {
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
	return strings.Join(sortedKeys(m), ", ")
}
