package app

// A run's state is its destination's (issue 12 item 1): after a full JSONL
// sync, a CSV export into a fresh directory must get everything, not the
// changes since the JSONL run. See store/state/dest.go for the layout.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/state"
)

// DestinationOf is where the plan writes, as its state is keyed: format and
// absolute directory. Standard output (false) has no local state: whoever
// reads the pipe keeps what it received (an Airbyte platform hands its state
// back through `pdx read --state`), pdx cannot know it, so every sync to
// "-" is a full export; `pdx read --state` is the incremental way to stdout.
func DestinationOf(pl Plan) (state.Dest, bool, error) {
	if pl.OutDir == "-" {
		return state.Dest{}, false, nil
	}
	abs, err := filepath.Abs(pl.OutDir)
	if err != nil {
		return state.Dest{}, false, fmt.Errorf("output directory: %w", err)
	}
	return state.Dest{Format: pl.Format.Name, Dir: abs}, true, nil
}

// destOfProfile is the destination of a profile's format and out dir.
func destOfProfile(p profile.Profile) (state.Dest, bool) {
	pl := Plan{OutDir: p.OutDir, Format: output.Format{Name: p.Format}}
	if pl.OutDir == "" {
		pl.OutDir = DefaultOutDir
	}
	if pl.Format.Name == "" {
		pl.Format.Name = output.DefaultFormat
	}
	d, ok, err := DestinationOf(pl)
	return d, ok && err == nil
}

// legacyOwner names the destination the profile's single-destination
// state was written for: the files run.json recorded (a per-stream file is
// <dir>/<stream>.<ext>), else the saved profile's format and out dir.
func legacyOwner(saved profile.Profile) func(state.Run) (state.Dest, bool) {
	return func(r state.Run) (state.Dest, bool) {
		for _, s := range slices.Sorted(maps.Keys(r.Outputs)) {
			path := r.Outputs[s].Path
			for _, f := range output.Formats() {
				if !f.OneFile && f.Ext != "" && filepath.IsAbs(path) && f.StreamPath(filepath.Dir(path), s) == path {
					return state.Dest{Format: f.Name, Dir: filepath.Dir(path)}, true
				}
			}
		}
		return destOfProfile(saved)
	}
}

// DestState loads the state of the plan's destination for profile name,
// first giving the profile's pre-destination state to the destination it
// belongs to (saved is the profile as saved, without command-line
// overrides). Standard output gets an ephemeral state (see DestinationOf).
func DestState(states *state.Store, name string, saved profile.Profile, pl Plan) (*state.Profile, error) {
	d, ok, err := DestinationOf(pl)
	if err != nil {
		return nil, err
	}
	if _, err := states.AdoptLegacy(name, legacyOwner(saved)); err != nil {
		return nil, err
	}
	if !ok {
		return state.Ephemeral(name), nil
	}
	return states.LoadDest(name, d)
}

// checkDest refuses a state that belongs to another destination than the
// plan's: it would make a fresh directory get only changes.
func checkDest(st *state.Profile, pl Plan) error {
	have, ok := st.Dest()
	if !ok {
		return nil
	}
	want, ok, err := DestinationOf(pl)
	if err != nil {
		return err
	}
	if !ok || want != have {
		return fmt.Errorf("the state given is that of %s, not of this run's destination", have)
	}
	return nil
}

// DestStream is what a destination has of one stream, for the UI's
// Streams step and `pdx state show`.
type DestStream struct {
	Name string
	// Has: the destination received the stream and an incremental run
	// continues it; false: the next run exports it in full.
	Has bool
	// Cursor is where an incremental run continues from ("" when none).
	Cursor string
	// Synced is when a run last completed the stream here (zero: unknown).
	Synced time.Time
	// Records is that run's record count (-1: unknown).
	Records int64
}

// DestStreams lists, for every stream of the table, what the state st
// (a destination's, from DestState) has of it.
func DestStreams(st *state.Profile) []DestStream {
	saved := st.Streams()
	run := st.Run()
	var out []DestStream
	for _, s := range streams.All() {
		ds := DestStream{Name: s.Name, Records: -1, Synced: run.Synced[s.Name]}
		if n, ok := run.Counts[s.Name]; ok {
			ds.Records = n
		}
		if raw, ok := saved[s.Name]; ok {
			ds.Has, ds.Cursor = true, cursorOf(raw)
		}
		out = append(out, ds)
	}
	return out
}

// Incremental reports whether the next incremental run of the stream at
// this destination reads only the changes since Cursor; false: it reads
// the stream in full (no state yet, or a stream that cannot go on from one).
func (d DestStream) Incremental() bool {
	s, ok := streams.Lookup(d.Name)
	return ok && d.Has && d.Cursor != "" && s.SupportsIncremental()
}

// cursorOf shows a stream_state: its one value ({"update_time": "..."}),
// or its top-level cursor (a per-parent stream's state also keeps its
// parents' positions, an archived list its last sweep), or call_logs'
// watermark (the last record read), else the compact JSON.
func cursorOf(raw json.RawMessage) string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err == nil {
		if id, ok := m["last_id"].(string); ok && id != "" {
			if n, ok := m["offset"].(float64); ok && n > 0 {
				return fmt.Sprintf("record %d (id %s)", int64(n), id)
			}
		}
		for k, v := range m {
			if s, ok := v.(string); ok && (len(m) == 1 || k == "update_time" || k == "modified") {
				return s
			}
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	if b.String() == "{}" {
		return ""
	}
	return b.String()
}
