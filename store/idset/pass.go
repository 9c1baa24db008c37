package idset

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

// Pass is one reconciliation of one stream: Present every id listed now,
// Diff to hand over the gone ones, Seal once their tombstones are durable,
// Commit once the state covering them is saved (see the package doc).
type Pass struct {
	s      *Store
	stream string
	upTo   int // the newest journal generation the pass absorbs
	listed *sorter
	gone   int
	kept   int
	// subtract: Present names ids to drop (tombstoned by a child diff), not
	// the ids listed now; the new set is delivered ∖ them.
	subtract bool
}

// Begin starts a reconciliation of stream. It absorbs the ids added so
// far; ids added from now on (records delivered while the pass runs, which
// its listing may not show) go to a newer journal and wait for the next.
func (s *Store) Begin(stream string) (*Pass, error) {
	if err := s.closeLog(stream); err != nil {
		return nil, err
	}
	g, err := s.gen(stream)
	if err != nil {
		return nil, err
	}
	upTo := g + 1 // every journal that exists (an aborted pass leaves two)
	for {
		if _, err := os.Stat(s.journal(stream, upTo+1)); err != nil {
			break
		}
		upTo++
	}
	s.mu.Lock()
	s.cur[stream] = upTo + 1
	s.mu.Unlock()
	os.Remove(s.base(stream) + ".next")
	return &Pass{s: s, stream: stream, upTo: upTo, listed: &sorter{dir: s.dir}}, nil
}

// BeginRemove starts a pass that drops ids from stream's delivered set:
// Present the ids to drop, then Diff (its gone are the dropped ids that
// were delivered), Seal and Commit as for a reconciliation. A child diff
// uses it, so that a later reconciliation does not tombstone again what
// the child diff tombstoned.
func (s *Store) BeginRemove(stream string) (*Pass, error) {
	p, err := s.Begin(stream)
	if p != nil {
		p.subtract = true
	}
	return p, err
}

// Present records id as listed now (or to drop, see BeginRemove).
func (p *Pass) Present(id []byte) error { return p.listed.add(id) }

// Diff calls gone (in id order) for every delivered id not listed, and
// writes the new set (delivered ∩ listed) to .next, without its footer.
func (p *Pass) Diff(gone func(id []byte) error) (err error) {
	have, err := p.s.delivered(p.stream, p.upTo)
	if err != nil {
		return err
	}
	defer have.close()
	now, err := p.listed.iter()
	if err != nil {
		return err
	}
	defer now.close()
	f, err := os.Create(p.s.base(p.stream) + ".next")
	if err != nil {
		return fmt.Errorf("id set: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 64<<10)
	w.WriteString(header + strconv.Itoa(p.upTo) + "\n")
	cur, err := now.next()
	if err != nil {
		return err
	}
	for {
		id, err := have.next()
		if err != nil {
			return err
		}
		if id == nil {
			break
		}
		for cur != nil && less(cur, id) {
			if cur, err = now.next(); err != nil {
				return err
			}
		}
		if listed := cur != nil && cmp(cur, id) == 0; listed != p.subtract {
			w.Write(id)
			w.WriteByte('\n')
			p.kept++
			continue
		}
		p.gone++
		if err := gone(id); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("id set: %w", err)
	}
	return nil
}

// Counts are the ids Diff found gone and kept.
func (p *Pass) Counts() (gone, kept int) { return p.gone, p.kept }

// Seal records that the tombstones end at the output position (path,
// size; size -1 for a format without one) and makes .next durable.
func (p *Pass) Seal(path string, size int64) error {
	return seal(p.s.base(p.stream)+".next", path, size)
}

// seal appends the commit footer to a .next file and makes it durable.
func seal(next, path string, size int64) error {
	f, err := os.OpenFile(next, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("id set: %w", err)
	}
	if path == "" {
		path = "-"
	}
	if _, err := fmt.Fprintf(f, "# commit %d %s\n", size, path); err != nil {
		f.Close()
		return fmt.Errorf("id set: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("id set: %w", err)
	}
	return f.Close()
}

// Commit makes .next the set (after the state at the sealed position was
// saved).
func (p *Pass) Commit() error { return p.s.commit(p.stream) }

// Abort drops the pass: the old set and journal stand.
func (p *Pass) Abort() {
	p.listed.close()
	os.Remove(p.s.base(p.stream) + ".next")
}
