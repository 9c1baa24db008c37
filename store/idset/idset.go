// Package idset keeps, per destination and stream, the set of record ids pdx
// has delivered there, on disk (a million ids must not cost a million map
// entries), so a delete reconciliation can find the ids Pipedrive purged:
// delivered ∖ listed now (issue 12 item 7); and, per parent, the children
// delivered for it, so a child diff can find those a re-read parent lost
// (children.go).
//
// Files, in the destination's ids directory:
//
//	<stream>.ids        the set as of the last reconciliation: "# pdx-ids 1 <gen>",
//	                    then one id per line (its raw JSON: 42 or "uuid"), sorted
//	                    by length then bytes, no duplicates
//	<stream>.<gen+1>.log ids delivered since, appended as records are written
//	                    (unsorted, duplicates allowed)
//	<stream>.ids.next   a reconciliation's new set, committed by rename
//
// Crash safety: a reconciliation writes the new set (delivered ∩ listed) to
// .next while it hands tombstones to the writer; once they are durable it
// appends a footer naming the output position they end at ("# commit
// <size> <path>"), the caller saves the stream's state at that position,
// and Commit renames .next over .ids and drops the journal it absorbed. A
// .next found later is rolled forward only if it has the footer and the
// saved state reached that position (the tombstones are in the data);
// otherwise it is removed and the old set and journal stand, and the next
// run (which truncates the output back to the saved position) tombstones
// those ids again, once.
package idset

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdxhq/pdx/store/atomicfile"
)

const header = "# pdx-ids 1 "

// Committed reports whether the saved state of stream reached the output
// position (path, size) a .next file's footer names; size < 0 means the
// format has no position (a database: its tombstones are durable once
// written), which is committed.
type Committed func(stream, path string, size int64) bool

// Store is one destination's id sets. Add and Sync are safe for concurrent
// use; a reconciliation (Begin) must not overlap Adds to the same stream.
type Store struct {
	dir  string
	mu   sync.Mutex
	logs map[string]*os.File
	// cur is the journal generation Adds go to while a pass is open (or
	// after it): one past the generations the pass absorbs.
	cur map[string]int
	// kids are the child-set journals open this run (children.go).
	kids map[string]*os.File
}

// Open opens (creating) the id sets in dir and settles any reconciliation
// a crash interrupted.
func Open(dir string, committed Committed) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("id sets: %w", err)
	}
	s := &Store{dir: dir, logs: map[string]*os.File{}, cur: map[string]int{}, kids: map[string]*os.File{}}
	nexts, _ := filepath.Glob(filepath.Join(dir, "*.ids.next"))
	for _, n := range nexts {
		stream := strings.TrimSuffix(filepath.Base(n), ".ids.next")
		path, size, ok := footer(n)
		if ok && committed(stream, path, size) {
			if err := s.commit(stream); err != nil {
				return nil, err
			}
			continue
		}
		os.Remove(n)
	}
	kids, _ := filepath.Glob(filepath.Join(dir, "*.kids.next"))
	for _, n := range kids {
		stream := strings.TrimSuffix(filepath.Base(n), ".kids.next")
		path, size, ok := footer(n)
		if ok && committed(stream, path, size) {
			if err := s.commitKids(stream); err != nil {
				return nil, err
			}
			continue
		}
		os.Remove(n)
	}
	runs, _ := filepath.Glob(filepath.Join(dir, ".run-*"))
	for _, r := range runs {
		os.Remove(r)
	}
	return s, nil
}

func (s *Store) base(stream string) string { return filepath.Join(s.dir, stream+".ids") }
func (s *Store) journal(stream string, gen int) string {
	return filepath.Join(s.dir, stream+"."+strconv.Itoa(gen)+".log")
}

// gen is the generation of stream's set (0: none yet).
func (s *Store) gen(stream string) (int, error) {
	return genOf(s.base(stream))
}

func genOf(path string) (int, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("id set: %w", err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	g, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, header)))
	if !strings.HasPrefix(line, header) || err != nil {
		return 0, fmt.Errorf("id set %s: not a pdx id set (header %q)", path, strings.TrimSpace(line))
	}
	return g, nil
}

// Add records ids as delivered to stream (after the writer made them
// durable). Sync makes them durable in turn.
func (s *Store) Add(stream string, ids [][]byte) error {
	if len(ids) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.logs[stream]
	if f == nil {
		g, err := s.gen(stream)
		if err != nil {
			return err
		}
		if c := s.cur[stream]; c > g+1 {
			g = c - 1
		}
		if f, err = os.OpenFile(s.journal(stream, g+1), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return fmt.Errorf("id journal: %w", err)
		}
		s.logs[stream] = f
	}
	var b bytes.Buffer
	for _, id := range ids {
		b.Write(id)
		b.WriteByte('\n')
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("id journal %s: %w", f.Name(), err)
	}
	return nil
}

// Sync makes every id added so far durable (before the state that covers
// their records is saved).
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, logs := range []map[string]*os.File{s.logs, s.kids} {
		for _, f := range logs {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("id journal %s: %w", f.Name(), err)
			}
		}
	}
	return nil
}

// Close syncs and closes the journals.
func (s *Store) Close() error {
	err := s.Sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, logs := range []map[string]*os.File{s.logs, s.kids} {
		for k, f := range logs {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = cerr
			}
			delete(logs, k)
		}
	}
	return err
}

func (s *Store) closeLog(stream string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.logs[stream]
	if f == nil {
		return nil
	}
	delete(s.logs, stream)
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("id journal: %w", err)
	}
	return f.Close()
}

// commit renames stream's .next over its set and removes the journals it
// absorbed (every generation up to the new one).
func (s *Store) commit(stream string) error {
	next := s.base(stream) + ".next"
	g, err := genOf(next)
	if err != nil {
		return err
	}
	if err := atomicfile.Rename(next, s.base(stream)); err != nil {
		return fmt.Errorf("id set: %w", err)
	}
	for i := g; i >= 1; i-- {
		if err := os.Remove(s.journal(stream, i)); os.IsNotExist(err) {
			break
		}
	}
	s.mu.Lock()
	if s.cur[stream] <= g {
		delete(s.cur, stream)
	}
	s.mu.Unlock()
	return nil
}

// footer reads the commit line of a .next file.
func footer(path string) (string, int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, false
	}
	n := min(st.Size(), 8192)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, st.Size()-n); err != nil {
		return "", 0, false
	}
	buf = bytes.TrimRight(buf, "\n")
	last := string(buf[bytes.LastIndexByte(buf, '\n')+1:])
	rest, ok := strings.CutPrefix(last, "# commit ")
	if !ok {
		return "", 0, false
	}
	sz, path2, ok := strings.Cut(rest, " ")
	size, err := strconv.ParseInt(sz, 10, 64)
	if !ok || err != nil {
		return "", 0, false
	}
	return path2, size, true
}

// Delivered counts stream's delivered ids (set plus journal), for tests
// and `pdx state show`; it reads the files.
func (s *Store) Delivered(stream string) (int, error) {
	if err := s.closeLog(stream); err != nil {
		return 0, err
	}
	m, err := s.delivered(stream, -1)
	if err != nil {
		return 0, err
	}
	defer m.close()
	n := 0
	for {
		id, err := m.next()
		if err != nil || id == nil {
			return n, err
		}
		n++
	}
}

// delivered merges stream's set with its journals newer than the set, up
// to generation upTo (-1: all).
func (s *Store) delivered(stream string, upTo int) (*merged, error) {
	g, err := s.gen(stream)
	if err != nil {
		return nil, err
	}
	var srcs []source
	if f, err := os.Open(s.base(stream)); err == nil {
		srcs = append(srcs, newLines(f))
	}
	for j := g + 1; upTo < 0 || j <= upTo; j++ {
		f, err := os.Open(s.journal(stream, j))
		if os.IsNotExist(err) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("id journal: %w", err)
		}
		js := &sorter{dir: s.dir}
		l := newLines(f)
		for {
			id, err := l.next()
			if err != nil {
				l.close()
				js.close()
				return nil, err
			}
			if id == nil {
				break
			}
			if err := js.add(id); err != nil {
				l.close()
				js.close()
				return nil, err
			}
		}
		l.close()
		it, err := js.iter()
		if err != nil {
			js.close()
			return nil, err
		}
		srcs = append(srcs, it)
	}
	return merge(srcs...)
}

const lastFile = "last-pass"

// LastPass is when the destination was last reconciled (false: never).
func (s *Store) LastPass() (time.Time, bool) {
	b, err := os.ReadFile(filepath.Join(s.dir, lastFile))
	if err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	return t, err == nil
}

// MarkPass records a completed reconciliation at t.
func (s *Store) MarkPass(t time.Time) error {
	if err := atomicfile.WriteFile(filepath.Join(s.dir, lastFile), []byte(t.UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
		return fmt.Errorf("id sets: %w", err)
	}
	return nil
}
