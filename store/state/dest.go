package state

// State is bound to its destination (issue 12 item 1): what one output
// directory has received says nothing about another, so each destination
// (profile + format + absolute directory) keeps its own state.json and
// run.json in <state dir>/<profile>/dest-<key>/, described by dest.json.
// The profile's older single-destination files (<profile>/state.json and
// run.json) are adopted by the destination they were written for, once.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pdxhq/pdx/store/atomicfile"
	pprofile "github.com/pdxhq/pdx/store/profile"
)

// Dest is a destination with local state: a format writing into an
// absolute directory. Standard output has none (see app.DestinationOf).
type Dest struct {
	Format string `json:"format"`
	Dir    string `json:"dir"`
}

// String is how the destination is shown: "csv in /data/fresh".
func (d Dest) String() string { return d.Format + " in " + d.Dir }

// key names the destination's state directory: a hash, as a directory may
// be any path.
func (d Dest) key() string {
	h := sha256.Sum256([]byte(d.Format + "\x00" + filepath.Clean(d.Dir)))
	return "dest-" + hex.EncodeToString(h[:8])
}

// valid refuses a destination that cannot be told apart from another.
func (d Dest) valid() error {
	if d.Format == "" || !filepath.IsAbs(d.Dir) {
		return fmt.Errorf("state destination %q: needs a format and an absolute directory", d)
	}
	return nil
}

const destFile = "dest.json"

// LoadDest reads the state of the profile's destination d (none yet: empty).
func (s *Store) LoadDest(profile string, d Dest) (*Profile, error) {
	if err := pprofile.ValidateName(profile); err != nil {
		return nil, err
	}
	if err := d.valid(); err != nil {
		return nil, err
	}
	d.Dir = filepath.Clean(d.Dir)
	p, err := s.loadDir(profile, filepath.Join(s.dir, profile, d.key()))
	if err != nil {
		return nil, err
	}
	p.dest, p.root = &d, filepath.Join(s.dir, profile)
	return p, nil
}

// Dest is the destination the state belongs to (false: the profile's
// legacy single-destination state, or an ephemeral one).
func (p *Profile) Dest() (Dest, bool) {
	if p.dest == nil {
		return Dest{}, false
	}
	return *p.dest, true
}

// LockDir is the directory a run locks so one profile runs once at a time
// (its OAuth tokens rotate, whatever the destination).
func (p *Profile) LockDir() string {
	if p.root != "" {
		return p.root
	}
	return p.dir
}

// Dests lists the destinations of the profile that have state, by directory.
func (s *Store) Dests(profile string) ([]Dest, error) {
	root := filepath.Join(s.dir, profile)
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list state destinations: %w", err)
	}
	var out []Dest
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "dest-") {
			continue
		}
		f := filepath.Join(root, e.Name(), destFile)
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("state destination %s: %w", filepath.Join(root, e.Name()), err)
		}
		var d Dest
		if err := json.Unmarshal(data, &d); err != nil || d.valid() != nil || d.key() != e.Name() {
			return nil, fmt.Errorf("state destination file %s is damaged; remove its directory to forget it", f)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dir != out[j].Dir {
			return out[i].Dir < out[j].Dir
		}
		return out[i].Format < out[j].Format
	})
	return out, nil
}

// RemoveDest deletes a destination's state whatever it contains (the way
// out of a damaged file). It reports whether anything was there.
func (s *Store) RemoveDest(profile string, d Dest) (bool, error) {
	dir := filepath.Join(s.dir, profile, d.key())
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	release, err := (&Profile{name: profile, dir: filepath.Join(s.dir, profile)}).Lock()
	if err != nil {
		return false, err
	}
	defer release()
	if err := os.RemoveAll(dir); err != nil {
		return true, fmt.Errorf("remove %s: %w", dir, err)
	}
	return true, nil
}

// AdoptLegacy gives the profile's single-destination state (state.json and
// run.json directly in its directory, written before state was bound to
// destinations) to the destination owner names for it, so an existing user
// keeps syncing incrementally where they did. It does nothing when there is
// no such state, when owner has no destination for it (false), or when that
// destination has state of its own. A damaged legacy file is an error
// naming it, as Load's.
func (s *Store) AdoptLegacy(profile string, owner func(Run) (Dest, bool)) (bool, error) {
	if err := pprofile.ValidateName(profile); err != nil {
		return false, err
	}
	root := filepath.Join(s.dir, profile)
	_, errS := os.Stat(filepath.Join(root, "state.json"))
	_, errR := os.Stat(filepath.Join(root, "run.json"))
	if errors.Is(errS, os.ErrNotExist) && errors.Is(errR, os.ErrNotExist) {
		return false, nil
	}
	// Moved under the profile's lock: a running sync must not see its
	// files go (and a second command waits for it, as for a reset).
	release, err := (&Profile{name: profile, dir: root}).Lock()
	if err != nil {
		return false, err
	}
	defer release()
	legacy, err := s.Load(profile)
	if err != nil {
		return false, err
	}
	d, ok := owner(legacy.Run())
	if !ok || d.valid() != nil {
		return false, nil
	}
	d.Dir = filepath.Clean(d.Dir)
	dir := filepath.Join(s.dir, profile, d.key())
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err == nil {
		return false, nil
	}
	if err := writeDest(dir, d); err != nil {
		return false, err
	}
	for _, name := range []string{"state.json", "run.json"} {
		from := filepath.Join(legacy.dir, name)
		if err := os.Rename(from, filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("move %s to its destination's state: %w", from, err)
		}
	}
	return true, nil
}

func writeDest(dir string, d Dest) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	data, _ := json.Marshal(d)
	if err := atomicfile.WriteFile(filepath.Join(dir, destFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save state destination: %w", err)
	}
	return nil
}

// ensureDest writes dest.json beside the first state the destination
// saves, so Dests can name it.
func (p *Profile) ensureDest() error {
	if p.dest == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(p.dir, destFile)); err == nil {
		return nil
	}
	return writeDest(p.dir, *p.dest)
}
