package app

import (
	"errors"
	"fmt"

	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/store/state"
)

// ProfileRun is what a run of a saved profile needs besides the plan: its
// secret (and where rotated OAuth tokens go) and the saved state of the
// destination p writes to (DestState; saved is the profile as saved).
//
// exists says the profile is in the config; a missing profile with no
// secret is told to log in first. The environment's token wins over a
// saved OAuth grant.
func ProfileRun(name string, saved, p profile.Profile, exists bool, ss *secret.Store, states *state.Store) (Options, error) {
	sec, loc, err := ss.Get(name)
	switch {
	case errors.Is(err, secret.ErrNotFound) && !exists:
		return Options{}, fmt.Errorf("profile %q does not exist: run 'pdx auth login --profile %s' first (or set %s)", name, name, secret.EnvToken)
	case errors.Is(err, secret.ErrNotFound):
		// err may add why (a keyring that did not answer).
		return Options{}, fmt.Errorf("profile %q is not logged in (%v): run 'pdx auth login --profile %s'", name, err, name)
	case err != nil:
		return Options{}, err
	}
	if loc.Kind == secret.KindEnv && p.AuthType == profile.AuthOAuth {
		p.AuthType = profile.AuthToken // the environment's token wins
	}
	pl, err := PlanSync(p)
	if err != nil {
		return Options{}, err
	}
	st, err := DestState(states, name, saved, pl)
	if err != nil {
		return Options{}, err
	}
	return Options{
		ProfileName: name, Profile: p, Secret: sec, State: st,
		Persist: func(s secret.Secret) error { _, err := ss.Set(name, s); return err },
	}, nil
}

// RunOptions are the options of a run against the demo: its profile and
// token, an ephemeral state, rotated tokens kept in memory.
func (d *Demo) RunOptions() Options {
	mem := secret.NewMemory()
	return Options{
		ProfileName: DemoProfile, Profile: d.Profile, Secret: d.Secret, State: state.Ephemeral(DemoProfile),
		Persist: func(s secret.Secret) error { _, err := mem.Set(DemoProfile, s); return err },
	}
}
