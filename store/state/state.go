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
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/atomicfile"
	"github.com/pdxhq/pdx/store/output"
	pprofile "github.com/pdxhq/pdx/store/profile"
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
	// State is the stream_state this size goes with, and Prev* the
	// checkpoint before it: run.json is written before state.json, so after
	// a crash between the two, state.json still holds PrevState and the
	// file must be cut to PrevSize (see ResumeSize).
	State     json.RawMessage `json:"state,omitempty"`
	PrevSize  int64           `json:"prev_size,omitempty"`
	PrevState json.RawMessage `json:"prev_state,omitempty"`
}

// Run is the content of run.json.
type Run struct {
	LastRun time.Time        `json:"last_run,omitzero"`
	Counts  map[string]int64 `json:"counts,omitempty"`
	// Synced is when each stream last completed a run here.
	Synced  map[string]time.Time `json:"synced,omitempty"`
	Outputs map[string]Output    `json:"outputs,omitempty"`
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
	// unsaved holds, per stream, why its last checkpoint could not be
	// written (a full disk, a read-only state dir) until a later one is:
	// FinishRun reports them, so such a run never ends as "state saved",
	// even when the caller dropped the checkpoint's error.
	unsaved map[string]error
	// dest is the destination the state belongs to, root the profile's
	// directory (dest.go); nil and "" for the legacy per-profile state.
	dest *Dest
	root string
}

// MaxFileSize bounds state.json and run.json: they hold one small object
// per stream (a few KB), and a file read whole must not take the memory of
// a runaway or hostile one.
const MaxFileSize = 4 << 20

// Load reads the profile's state (missing files mean no state yet). A file
// that cannot be used (unreadable, too large, not a state, a saved cursor
// that is not a time) is an error naming it and 'pdx state reset'.
func (s *Store) Load(profile string) (*Profile, error) {
	if err := pprofile.ValidateName(profile); err != nil {
		return nil, err
	}
	return s.loadDir(profile, filepath.Join(s.dir, profile))
}

// loadDir reads the state files in dir (the profile's, or a destination's).
func (s *Store) loadDir(profile, dir string) (*Profile, error) {
	p := &Profile{name: profile, dir: dir}
	if err := p.load(); err != nil {
		return nil, err
	}
	return p, nil
}

// load (re)reads the profile's files into p.
func (p *Profile) load() error {
	p.streams, p.run = map[string]json.RawMessage{}, Run{}
	data, err := atomicfile.ReadFile(p.StatePath(), MaxFileSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return p.corrupt(p.StatePath(), err)
	default:
		st, err := airbyte.ParseState(data)
		if err != nil {
			return p.corrupt(p.StatePath(), err)
		}
		for name, raw := range st {
			// The engine would refuse it too, but naming only the stream.
			if _, err := engine.ParseStreamState(name, raw); err != nil {
				return p.corrupt(p.StatePath(), fmt.Errorf("stream %s: %w", name, err))
			}
		}
		p.streams = st
	}
	data, err = atomicfile.ReadFile(p.RunPath(), MaxFileSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return p.corrupt(p.RunPath(), err)
	default:
		if err := json.Unmarshal(data, &p.run); err != nil {
			return p.corrupt(p.RunPath(), err)
		}
	}
	return nil
}

// ErrSyncing: a sync of the profile holds its lock.
var ErrSyncing = errors.New("a sync of this profile is running")

// Lock takes the profile's run lock, the one a sync holds for its whole
// run (store/job takes it on the state directory): a reset while a sync
// runs would print success and then be overwritten by the sync's next
// checkpoint. Release with the returned func.
func (p *Profile) Lock() (func(), error) {
	if p.ephemeral {
		return func() {}, nil
	}
	release, err := output.Lock(p.LockDir()) // the profile's, whatever the destination
	if errors.Is(err, output.ErrLocked) {
		return nil, fmt.Errorf("%w (profile %s: %v); wait for it to finish or stop it, then run this again", ErrSyncing, p.name, err)
	}
	return release, err
}

// Remove deletes the profile's state and run record whatever they contain
// (the way out of a corrupt file), under the profile's lock. It reports
// whether anything was there.
func (s *Store) Remove(profile string) (bool, error) {
	if err := pprofile.ValidateName(profile); err != nil {
		return false, err
	}
	p := &Profile{name: profile, dir: filepath.Join(s.dir, profile)}
	if _, err := os.Stat(p.dir); errors.Is(err, os.ErrNotExist) {
		return false, nil // nothing to remove (and no directory to lock)
	}
	release, err := p.Lock()
	if err != nil {
		return false, err
	}
	defer release()
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
	return fmt.Errorf("state file %s cannot be used: %w; to start over with a full sync run 'pdx state reset --profile %s' (or fix the file)", path, err, p.name)
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
	r.Synced = copyMap(p.run.Synced)
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
// records the state covers. run.json (size + the state it goes with) is
// written before state.json, so a crash between the two leaves a state.json
// that ResumeSize can still match to the right size.
func (p *Profile) Checkpoint(stream string, st json.RawMessage, out *Output) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.checkpoint(stream, st, out)
	if err != nil {
		if p.unsaved == nil {
			p.unsaved = map[string]error{}
		}
		p.unsaved[stream] = fmt.Errorf("stream %s: %w", stream, err)
	} else {
		delete(p.unsaved, stream)
	}
	return err
}

func (p *Profile) checkpoint(stream string, st json.RawMessage, out *Output) error {
	cst := compact(st)
	if out != nil {
		if p.run.Outputs == nil {
			p.run.Outputs = map[string]Output{}
		}
		rec := Output{Path: out.Path, Size: out.Size, State: cst}
		if old, ok := p.run.Outputs[stream]; ok && old.Path == out.Path && len(old.State) > 0 && !bytes.Equal(compact(old.State), cst) {
			rec.PrevSize, rec.PrevState = old.Size, old.State
		} else if ok && old.Path == out.Path {
			rec.PrevSize, rec.PrevState = old.PrevSize, old.PrevState
		}
		p.run.Outputs[stream] = rec
		if err := p.writeRun(); err != nil {
			return err
		}
	}
	if len(st) == 0 {
		return nil
	}
	p.streams[stream] = cst
	return p.writeState()
}

// ResumeSize is how many bytes of the stream's output file at path the
// saved state covers: the size recorded with the checkpoint whose state is
// the one saved now. -1 when unknown (no record, another file, or a state
// that matches neither recorded checkpoint).
func (p *Profile) ResumeSize(stream, path string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out, ok := p.run.Outputs[stream]
	if !ok || out.Path != path {
		return -1
	}
	cur := compact(p.streams[stream])
	switch {
	case len(out.State) == 0:
		return -1
	case bytes.Equal(compact(out.State), cur):
		return out.Size
	case len(out.PrevState) > 0 && bytes.Equal(compact(out.PrevState), cur):
		return out.PrevSize
	}
	return -1
}

func compact(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return append(json.RawMessage(nil), b...)
	}
	return c.Bytes()
}

// FinishRun records the run's per-stream record counts (merged into the
// previous ones) and its time.
func (p *Profile) FinishRun(at time.Time, counts map[string]int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run.Counts == nil {
		p.run.Counts = map[string]int64{}
	}
	if p.run.Synced == nil {
		p.run.Synced = map[string]time.Time{}
	}
	for k, v := range counts {
		p.run.Counts[k] = v
		p.run.Synced[k] = at.UTC()
	}
	p.run.LastRun = at.UTC()
	errs := []error{p.writeRun()}
	for _, name := range sortedKeys(p.unsaved) {
		errs = append(errs, p.unsaved[name])
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reset forgets the state (and recorded outputs) of the given streams, or of
// every stream when none is given. It reports the streams that had state.
// It takes the profile's lock (refusing with ErrSyncing while a sync runs)
// and works on the files as they are then, not as they were loaded.
func (p *Profile) Reset(streams ...string) ([]string, error) {
	release, err := p.Lock()
	if err != nil {
		return nil, err
	}
	defer release()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ephemeral {
		if err := p.load(); err != nil {
			return nil, err
		}
	}
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

func (p *Profile) encodeState() []byte { return Encode(p.streams) }

// Encode returns stream states as the Airbyte array of STATE messages,
// streams sorted by name (the state file, and `pdx state show`).
func Encode(streams map[string]json.RawMessage) []byte {
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	// The protocol's state file is an array of AirbyteStateMessage (not
	// wrapped in AirbyteMessage), which is what the platform passes to read.
	msgs := make([]airbyte.StateMessage, 0, len(names))
	for _, n := range names {
		msgs = append(msgs, airbyte.StateMessage{
			Type:   "STREAM",
			Stream: &airbyte.StreamState{StreamDescriptor: airbyte.StreamDescriptor{Name: n}, StreamState: streams[n]},
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
	if err := p.ensureDest(); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(p.StatePath(), p.encodeState(), 0o600); err != nil {
		return fmt.Errorf("the state was not saved (%s keeps the previous one; the next run repeats from there): %w", p.StatePath(), err)
	}
	return nil
}

func (p *Profile) writeRun() error {
	if p.ephemeral {
		return nil
	}
	if err := p.ensureDest(); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p.run); err != nil {
		return fmt.Errorf("encode run record: %w", err)
	}
	if err := atomicfile.WriteFile(p.RunPath(), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("the run record %s was not saved (the state was not moved on): %w", p.RunPath(), err)
	}
	return nil
}
