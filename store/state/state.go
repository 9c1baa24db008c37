// Package state keeps, per profile, what the next sync resumes from:
//
//   - state.json: the Airbyte-compatible per-stream state, a JSON array of
//     AirbyteStateMessage (type STREAM), the same shape `pdx read --state` takes, so it can be
//     handed to the Airbyte side as is;
//   - run.json: what pdx knows beside it: the last run's record counts (the
//     TUI's estimates) and, per stream, the output file and its size at the
//     last saved checkpoint (so a resumed run can cut bytes written after it).
//
// Both live in <state dir>/<profile>/ and are replaced atomically. A file
// that cannot be read or parsed is an error naming it and `pdx state reset`,
// never a silent full re-sync.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/store/atomicfile"
)

// EnvStateDir overrides the state directory.
const EnvStateDir = "PDX_STATE_DIR"

// Dir returns the state directory: $PDX_STATE_DIR, else $XDG_STATE_HOME/pdx,
// else ~/.local/state/pdx, else <os.UserCacheDir()>/pdx.
func Dir() (string, error) {
	if d := os.Getenv(EnvStateDir); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "pdx"), nil
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "state", "pdx"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a state directory (set %s to choose one): %w", EnvStateDir, err)
	}
	return filepath.Join(base, "pdx"), nil
}

// Store is the state directory.
type Store struct{ dir string }

// Open returns the store in Dir().
func Open() (*Store, error) {
	d, err := Dir()
	if err != nil {
		return nil, err
	}
	return OpenDir(d), nil
}

// OpenDir returns a store rooted at dir.
func OpenDir(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Output is a stream's output file and its durable size at a checkpoint.
type Output struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// Run is the content of run.json.
type Run struct {
	LastRun time.Time         `json:"last_run,omitzero"`
	Counts  map[string]int64  `json:"counts,omitempty"`
	Outputs map[string]Output `json:"outputs,omitempty"`
}

// Profile is one profile's loaded state; safe for concurrent use (streams
// checkpoint from several goroutines).
type Profile struct {
	name      string
	dir       string
	mu        sync.Mutex
	streams   map[string]json.RawMessage
	run       Run
	ephemeral bool
}

// Load reads the profile's state (missing files mean no state yet).
func (s *Store) Load(profile string) (*Profile, error) {
	p := &Profile{name: profile, dir: filepath.Join(s.dir, profile), streams: map[string]json.RawMessage{}}
	data, err := os.ReadFile(p.StatePath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, p.corrupt(p.StatePath(), err)
	default:
		st, err := airbyte.ParseState(data)
		if err != nil {
			return nil, p.corrupt(p.StatePath(), err)
		}
		p.streams = st
	}
	data, err = os.ReadFile(p.RunPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, p.corrupt(p.RunPath(), err)
	default:
		if err := json.Unmarshal(data, &p.run); err != nil {
			return nil, p.corrupt(p.RunPath(), err)
		}
	}
	return p, nil
}

// Remove deletes the profile's state and run record whatever they contain
// (the way out of a corrupt file). It reports whether anything was there.
func (s *Store) Remove(profile string) (bool, error) {
	p := &Profile{name: profile, dir: filepath.Join(s.dir, profile)}
	had := false
	for _, f := range []string{p.StatePath(), p.RunPath()} {
		err := os.Remove(f)
		switch {
		case err == nil:
			had = true
		case errors.Is(err, os.ErrNotExist):
		default:
			return had, fmt.Errorf("remove %s: %w", f, err)
		}
	}
	return had, nil
}

// Ephemeral returns an in-memory state that is never written (the demo).
func Ephemeral(profile string) *Profile {
	return &Profile{name: profile, streams: map[string]json.RawMessage{}, ephemeral: true}
}

// IsEphemeral reports a state that is never written.
func (p *Profile) IsEphemeral() bool { return p.ephemeral }

func (p *Profile) corrupt(path string, err error) error {
	return fmt.Errorf("state file %s cannot be used: %v; to start over with a full sync run 'pdx state reset --profile %s' (or fix the file)", path, err, p.name)
}

// StatePath is the profile's state.json.
func (p *Profile) StatePath() string { return filepath.Join(p.dir, "state.json") }

// RunPath is the profile's run.json.
func (p *Profile) RunPath() string { return filepath.Join(p.dir, "run.json") }

// Streams returns a copy of stream name -> stream_state.
func (p *Profile) Streams() map[string]json.RawMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]json.RawMessage, len(p.streams))
	for k, v := range p.streams {
		out[k] = v
	}
	return out
}

// Run returns a copy of the run record.
func (p *Profile) Run() Run {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.run
	r.Counts = copyMap(p.run.Counts)
	r.Outputs = copyMap(p.run.Outputs)
	return r
}

func copyMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Checkpoint records a stream's new state and, when out is not nil, its
// output file's durable size. The caller has already flushed and synced the
// records the state covers. run.json is written before state.json: a crash
// between the two leaves an older state with a newer size, which only
// re-reads records (never the reverse, which would cut covered records).
func (p *Profile) Checkpoint(stream string, st json.RawMessage, out *Output) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if out != nil {
		if p.run.Outputs == nil {
			p.run.Outputs = map[string]Output{}
		}
		p.run.Outputs[stream] = *out
		if err := p.writeRun(); err != nil {
			return err
		}
	}
	if len(st) == 0 {
		return nil
	}
	p.streams[stream] = append(json.RawMessage(nil), st...)
	return p.writeState()
}

// ForgetOutput drops a stream's recorded output size (its file was replaced
// whole, so no resume cut applies).
func (p *Profile) ForgetOutput(stream string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.run.Outputs[stream]; !ok {
		return nil
	}
	delete(p.run.Outputs, stream)
	return p.writeRun()
}

// FinishRun records the run's per-stream record counts (merged into the
// previous ones) and its time.
func (p *Profile) FinishRun(at time.Time, counts map[string]int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run.Counts == nil {
		p.run.Counts = map[string]int64{}
	}
	for k, v := range counts {
		p.run.Counts[k] = v
	}
	p.run.LastRun = at.UTC()
	return p.writeRun()
}

// Reset forgets the state (and recorded outputs) of the given streams, or of
// every stream when none is given. It reports the streams that had state.
func (p *Profile) Reset(streams ...string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var had []string
	if len(streams) == 0 {
		for s := range p.streams {
			had = append(had, s)
		}
		p.streams = map[string]json.RawMessage{}
		p.run.Outputs = nil
	} else {
		for _, s := range streams {
			if _, ok := p.streams[s]; ok {
				had = append(had, s)
			}
			delete(p.streams, s)
			delete(p.run.Outputs, s)
		}
	}
	sort.Strings(had)
	if err := p.writeRun(); err != nil {
		return nil, err
	}
	return had, p.writeState()
}

// Messages returns the state as the Airbyte array of STATE messages, streams
// sorted by name.
func (p *Profile) Messages() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.encodeState()
}

func (p *Profile) encodeState() []byte {
	names := make([]string, 0, len(p.streams))
	for n := range p.streams {
		names = append(names, n)
	}
	sort.Strings(names)
	// The protocol's state file is an array of AirbyteStateMessage (not
	// wrapped in AirbyteMessage), which is what the platform passes to read.
	msgs := make([]airbyte.StateMessage, 0, len(names))
	for _, n := range names {
		msgs = append(msgs, airbyte.StateMessage{
			Type:   "STREAM",
			Stream: &airbyte.StreamState{StreamDescriptor: airbyte.StreamDescriptor{Name: n}, StreamState: p.streams[n]},
		})
	}
	data, err := json.MarshalIndent(msgs, "", "  ")
	if err != nil {
		// Every stream_state came from json.RawMessage that was valid JSON.
		panic(fmt.Sprintf("encode state: %v", err))
	}
	return append(data, '\n')
}

func (p *Profile) writeState() error {
	if p.ephemeral {
		return nil
	}
	if err := atomicfile.WriteFile(p.StatePath(), p.encodeState(), 0o600); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

func (p *Profile) writeRun() error {
	if p.ephemeral {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p.run); err != nil {
		return fmt.Errorf("encode run record: %w", err)
	}
	if err := atomicfile.WriteFile(p.RunPath(), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save run record: %w", err)
	}
	return nil
}
