package app

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
)

// The demo company: fixed, so every demo (and test) sees the same data.
const (
	DemoSeed    = 20261127
	DemoScale   = 2000 // deals; other records scale from it
	DemoProfile = "demo"
)

// Demo is a built-in simulated Pipedrive with a temporary profile: nothing
// touches the keyring, the config or the saved state.
type Demo struct {
	Server  *pipedrivetest.Server
	Profile profile.Profile
	Secret  secret.Secret
}

// StartDemo starts the simulator on loopback and returns a profile pointing
// at it; base supplies the user's choices (streams, mode, format, out dir).
func StartDemo(base profile.Profile) (*Demo, error) {
	srv, err := pipedrivetest.Start(pipedrivetest.Options{Seed: DemoSeed, Scale: DemoScale, Plan: pipedrivetest.PlanGrowth})
	if err != nil {
		return nil, fmt.Errorf("start the demo simulator: %w", err)
	}
	p := base
	p.AuthType = profile.AuthToken
	p.APIBaseURL = srv.URL()
	p.OAuthBaseURL = srv.URL()
	p.Company, p.User = "Demo company (simulated)", "demo"
	return &Demo{Server: srv, Profile: p, Secret: secret.Secret{APIToken: srv.Token()}}, nil
}

// Close stops the simulator.
func (d *Demo) Close() { d.Server.Close() }

// DemoOutDir is where the demo writes unless --out says otherwise, in the UI
// and headless alike: the user's data directory (XDG_DATA_HOME, else
// ~/.local/share, else the temp dir), never the current one (in a clone it
// would be untracked files stamping every build +dirty).
func DemoOutDir() string {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		if home, err := os.UserHomeDir(); err == nil && home != "" {
			base = filepath.Join(home, ".local", "share")
		} else {
			base = os.TempDir()
		}
	}
	return filepath.Join(base, "pdx", "demo")
}
