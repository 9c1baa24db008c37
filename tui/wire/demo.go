package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/state"
)

// The demo keeps its simulated company between runs (issue 15.10): the
// simulator always starts from the same seed, and the demo's memory (the
// state dir's "demo" profile) says how many runs came before; each one
// moved the company's clock on and changed a few records, replayed here, so
// a second `pdx --demo` shows a real incremental sync. The selection and
// output are remembered there too (the demo has no config profile).
// `pdx --demo --reset` (Options.DemoReset) starts over.

// demoMemory is demo.json in the demo profile's state directory.
type demoMemory struct {
	Runs    int                    `json:"runs"`
	Streams []string               `json:"streams,omitempty"`
	Modes   map[string]engine.Mode `json:"modes,omitempty"`
	Format  string                 `json:"format,omitempty"`
	OutDir  string                 `json:"out_dir,omitempty"`
}

// demoStep is how far the simulated clock moves between two demo runs.
const demoStep = 6 * time.Hour

func demoMemoryPath(st *state.Profile) string {
	return filepath.Join(filepath.Dir(st.StatePath()), "demo.json")
}

// openDemoState loads the demo profile's state (or an empty one after a
// reset) and its memory.
func openDemoState(stateDir string, reset bool) (*state.Profile, demoMemory, error) {
	ss := state.OpenDir(stateDir)
	if stateDir == "" {
		var err error
		if ss, err = state.Open(); err != nil {
			return nil, demoMemory{}, err
		}
	}
	st, err := ss.Load(app.DemoProfile)
	if err != nil {
		return nil, demoMemory{}, err
	}
	path := demoMemoryPath(st)
	if reset {
		for _, p := range []string{st.StatePath(), st.RunPath(), path} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, demoMemory{}, fmt.Errorf("reset the demo: %w", err)
			}
		}
		if st, err = ss.Load(app.DemoProfile); err != nil {
			return nil, demoMemory{}, err
		}
	}
	var mem demoMemory
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &mem); err != nil {
			return nil, demoMemory{}, fmt.Errorf("the demo's memory %s: %w (start over with pdx --demo --reset)", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, demoMemory{}, err
	}
	return st, mem, nil
}

// replayDemo brings the simulated company to where the earlier runs left
// it: per run, the clock moves on and a few records change or appear (the
// same ones each time: the simulator is seeded).
func replayDemo(d *app.Demo, runs int) {
	srv := d.Server
	for r := 1; r <= runs; r++ {
		srv.Advance(demoStep)
		for i := 0; i < 3; i++ {
			_ = srv.Update("deals", strconv.Itoa(1+(r*7+i*13)%max(1, srv.Count("deals"))))
			_ = srv.Update("persons", strconv.Itoa(1+(r*5+i*11)%max(1, srv.Count("persons"))))
		}
		srv.Insert("deals")
		srv.Insert("activities")
		srv.Insert("notes")
	}
}

// saveDemoMemory writes the demo's memory (0600: it sits in the state dir).
func (b *Backend) saveDemoMemory() error {
	if b.demoMem == nil {
		return nil
	}
	data, err := json.MarshalIndent(b.demoMem, "", "  ")
	if err != nil {
		return err
	}
	path := demoMemoryPath(b.demoState)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
