package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/state"
)

// The demo keeps its simulated company between runs (issue 15.10), in the UI
// and headless alike: the simulator always starts from the same seed, and
// the demo's memory (demo.json in the state dir's "demo" profile) says how
// many runs came before; each one moved the company's clock on and changed a
// few records, replayed by OpenDemo, so a second demo shows a real
// incremental sync. Its state is bound to its destination like any
// profile's (DestState), so a demo into another format or directory gets a
// full export there, not the changes since a sync elsewhere. The UI's
// selection and output are remembered too (the demo has no config profile).
// `--reset` starts over.

// DemoMemory is what the demo remembers between runs.
type DemoMemory struct {
	Runs    int                    `json:"runs"`
	Streams []string               `json:"streams,omitempty"`
	Modes   map[string]engine.Mode `json:"modes,omitempty"`
	Format  string                 `json:"format,omitempty"`
	OutDir  string                 `json:"out_dir,omitempty"`
}

// demoStep is how far the simulated clock moves between two demo runs.
const demoStep = 6 * time.Hour

// DemoSession is a demo with its memory and its state store.
type DemoSession struct {
	*Demo
	Memory DemoMemory
	States *state.Store
	path   string // demo.json
}

// demoMemoryPath is demo.json beside the demo profile's state.
func demoMemoryPath(ss *state.Store) string {
	return filepath.Join(ss.Dir(), DemoProfile, "demo.json")
}

// OpenDemo starts the demo where the earlier runs left it (or anew after a
// reset, which forgets every destination's state and the memory). base
// supplies the choices made for this run; choose, when set, may fill them
// from the memory first (the UI's remembered selection).
func OpenDemo(ss *state.Store, reset bool, base profile.Profile, choose func(DemoMemory, profile.Profile) profile.Profile) (*DemoSession, error) {
	path := demoMemoryPath(ss)
	if reset {
		if err := resetDemo(ss, path); err != nil {
			return nil, fmt.Errorf("reset the demo: %w", err)
		}
	}
	var mem DemoMemory
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &mem); err != nil {
			return nil, fmt.Errorf("the demo's memory %s: %w (start over with pdx --demo --reset)", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the demo's memory: %w", err)
	}
	if choose != nil {
		base = choose(mem, base)
	}
	d, err := StartDemo(base)
	if err != nil {
		return nil, err
	}
	replayDemo(d, mem.Runs)
	return &DemoSession{Demo: d, Memory: mem, States: ss, path: path}, nil
}

// resetDemo removes the demo profile's state (every destination's) and its
// memory.
func resetDemo(ss *state.Store, path string) error {
	dests, err := ss.Dests(DemoProfile)
	if err != nil {
		return err
	}
	for _, d := range dests {
		if _, err := ss.RemoveDest(DemoProfile, d); err != nil {
			return err
		}
	}
	if _, err := ss.Remove(DemoProfile); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// replayDemo brings the simulated company to where the earlier runs left
// it: per run, the clock moves on and a few records change or appear (the
// same ones each time: the simulator is seeded).
func replayDemo(d *Demo, runs int) {
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

// State is the state of the destination p writes to (DestState with the
// demo's remembered output as the owner of a pre-destination state).
func (s *DemoSession) State(pl Plan) (*state.Profile, error) {
	saved := profile.Profile{Format: s.Memory.Format, OutDir: s.Memory.OutDir}
	if saved.OutDir == "" {
		saved.OutDir = DemoOutDir()
	}
	return DestState(s.States, DemoProfile, saved, pl)
}

// Save writes the memory (0600: it sits in the state dir).
func (s *DemoSession) Save() error {
	data, err := json.MarshalIndent(s.Memory, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("remember the demo: %w", err)
	}
	if err := os.WriteFile(s.path, data, 0o600); err != nil {
		return fmt.Errorf("remember the demo: %w", err)
	}
	return nil
}

// Ran records that a run moved the company on (the next demo replays it):
// call it after a run that read anything.
func (s *DemoSession) Ran() error {
	s.Memory.Runs++
	if err := s.Save(); err != nil {
		return fmt.Errorf("remember the demo for next time: %w", err)
	}
	return nil
}

// MemoryPath is where the demo remembers itself (for messages).
func (s *DemoSession) MemoryPath() string { return s.path }
