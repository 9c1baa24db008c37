package idset

// Child sets (issue 12 item 7, "products removed from a deal"): for a child
// stream whose read re-reads a parent's complete child set (deal_products:
// every product of each changed deal), the destination keeps which children
// it was delivered per parent, and a child diff tombstones those a covered
// parent no longer has.
//
// Files, beside the id sets:
//
//	<stream>.kids            the map as of the last diff: "# pdx-kids 1 <gen>",
//	                         then "<parent>\t<child>" lines (raw JSON ids),
//	                         sorted by parent then child (see less), no duplicates
//	<stream>.kids.<gen>.log  one run's journal, appended as the run writes:
//	                         "!fresh" or "!full" first when the stream's data
//	                         starts over in the destination, "+\t<parent>\t<child>"
//	                         per delivered child, "=\t<parent>" per parent whose
//	                         complete set the "+" lines since its previous "="
//	                         hold, "$" once the stream completed
//	<stream>.kids.next       a diff's new map, with the same commit footer as an
//	                         id set's .next (see the package doc)
//
// The journal is synced with the id journals, before the state that covers
// its lines is saved; so once the state has moved past a covered parent,
// the facts its tombstones follow from are on disk, and a crash before the
// diff only delays them to the next run's diff. The diff is a streamed
// merge (sorted runs on disk, one parent's children in memory at a time),
// never a map of every parent.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pdxhq/pdx/store/atomicfile"
)

const kidsHeader = "# pdx-kids 1 "

// Start says how a stream's data begins in the destination this run.
type Start uint8

const (
	// Continue: the stream appends to what the destination has.
	Continue Start = iota
	// Fresh: an incremental stream with no saved state starts its data over
	// now (its old records are gone from the destination).
	Fresh
	// Full: a full refresh replaces the stream's data once it completes
	// (a failed one leaves the old data, and its journal counts for nothing).
	Full
)

func (s *Store) kidsBase(stream string) string { return filepath.Join(s.dir, stream+".kids") }
func (s *Store) kidsJournal(stream string, gen int) string {
	return filepath.Join(s.dir, stream+".kids."+strconv.Itoa(gen)+".log")
}

// kidsGens are the base map's generation and the newest journal's (both 0
// when absent).
func (s *Store) kidsGens(stream string) (base, newest int, err error) {
	base, err = genOfHeader(s.kidsBase(stream), kidsHeader)
	if err != nil {
		return 0, 0, err
	}
	newest = base
	for {
		if _, err := os.Stat(s.kidsJournal(stream, newest+1)); err != nil {
			break
		}
		newest++
	}
	return base, newest, nil
}

// StartChildren opens a new journal of stream's child sets for this run.
func (s *Store) StartChildren(stream string, how Start) error {
	_, newest, err := s.kidsGens(stream)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.kids[stream]; f != nil {
		f.Close()
	}
	f, err := os.OpenFile(s.kidsJournal(stream, newest+1), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("child journal: %w", err)
	}
	s.kids[stream] = f
	switch how {
	case Fresh:
		_, err = f.WriteString("!fresh\n")
	case Full:
		_, err = f.WriteString("!full\n")
	}
	if err != nil {
		return fmt.Errorf("child journal: %w", err)
	}
	return nil
}

// writeKids appends to stream's open journal (none: ignored, the stream is
// not diffed this run).
func (s *Store) writeKids(stream string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.kids[stream]
	if f == nil || len(b) == 0 {
		return nil
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("child journal %s: %w", f.Name(), err)
	}
	return nil
}

// AddChildren journals children delivered to stream, parents[i] the parent
// of children[i] (raw JSON ids).
func (s *Store) AddChildren(stream string, parents, children [][]byte) error {
	var b bytes.Buffer
	for i, c := range children {
		b.WriteString("+\t")
		b.Write(parents[i])
		b.WriteByte('\t')
		b.Write(c)
		b.WriteByte('\n')
	}
	return s.writeKids(stream, b.Bytes())
}

// Covered journals that the children added since each parent's previous
// coverage are its complete set.
func (s *Store) Covered(stream string, parents [][]byte) error {
	var b bytes.Buffer
	for _, p := range parents {
		b.WriteString("=\t")
		b.Write(p)
		b.WriteByte('\n')
	}
	return s.writeKids(stream, b.Bytes())
}

// Completed journals that stream completed (what makes a full refresh's
// journal count).
func (s *Store) Completed(stream string) error { return s.writeKids(stream, []byte("$\n")) }

// ChildPass is one diff of a stream's child sets: Diff, then Seal once the
// tombstones are durable and Commit once the state covering them is saved,
// as for a reconciliation Pass.
type ChildPass struct {
	s          *Store
	stream     string
	upTo       int
	gone, kept int
}

// BeginChildren closes stream's journal and starts a diff of every journal
// not yet absorbed (those of runs a crash cut short included); nil when
// there is none.
func (s *Store) BeginChildren(stream string) (*ChildPass, error) {
	s.mu.Lock()
	if f := s.kids[stream]; f != nil {
		delete(s.kids, stream)
		err := f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("child journal: %w", err)
		}
	}
	s.mu.Unlock()
	base, newest, err := s.kidsGens(stream)
	if err != nil || newest == base {
		return nil, err
	}
	// Journals that change nothing (a sync that found no changed parent,
	// a full refresh that did not complete) are dropped without rewriting
	// the map.
	idle := true
	for g := base + 1; g <= newest && idle; g++ {
		how, complete, entries, err := journalKind(s.kidsJournal(stream, g))
		if err != nil {
			return nil, err
		}
		idle = how == Continue && entries == 0 || how == Full && !complete
	}
	if idle {
		for g := newest; g > base; g-- {
			if err := os.Remove(s.kidsJournal(stream, g)); err != nil {
				return nil, fmt.Errorf("child journal: %w", err)
			}
		}
		return nil, nil
	}
	os.Remove(s.kidsBase(stream) + ".next")
	return &ChildPass{s: s, stream: stream, upTo: newest}, nil
}

// openJournal reads a journal's complete lines: a last line without its
// newline was torn by a kill (it may hold a cut id, "+\t123\t4" of
// "+\t123\t45") and is left out.
func openJournal(path string) (*lines, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("child journal: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("child journal: %w", err)
	}
	end := fi.Size()
	var tail [4096]byte
	for end > 0 {
		off := max(end-int64(len(tail)), 0)
		n, err := f.ReadAt(tail[:end-off], off)
		if err != nil && n < int(end-off) {
			f.Close()
			return nil, fmt.Errorf("child journal: %w", err)
		}
		if i := bytes.LastIndexByte(tail[:n], '\n'); i >= 0 {
			end = off + int64(i) + 1
			break
		}
		end = off
	}
	sc := bufio.NewScanner(io.LimitReader(f, end))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &lines{f: f, sc: sc}, nil
}

// journalKind reads how a journal starts, whether it completed and how
// many entries ("+" and "=" lines) it holds.
func journalKind(path string) (how Start, complete bool, entries int, err error) {
	l, err := openJournal(path)
	if err != nil {
		return 0, false, 0, err
	}
	defer l.close()
	first := true
	for {
		b, err := l.next()
		if err != nil || b == nil {
			return how, complete, entries, err
		}
		if len(b) > 1 && (b[0] == '+' || b[0] == '=') && b[1] == '\t' {
			entries++
		}
		if first {
			first = false
			switch string(b) {
			case "!fresh":
				how = Fresh
			case "!full":
				how = Full
			}
		}
		if string(b) == "$" {
			complete = true
		}
	}
}

// entryOrder sorts journal entries "<parent>\t<gen><seq>\t..." by parent
// (id order), then by position (fixed width).
func entryOrder(a, b []byte) int {
	pa, ra, _ := bytes.Cut(a, []byte{'\t'})
	pb, rb, _ := bytes.Cut(b, []byte{'\t'})
	if c := cmp(pa, pb); c != 0 {
		return c
	}
	return bytes.Compare(ra, rb)
}

// pairOrder sorts map lines "<parent>\t<child>" by parent, then child.
func pairOrder(a, b []byte) int {
	pa, ca, _ := bytes.Cut(a, []byte{'\t'})
	pb, cb, _ := bytes.Cut(b, []byte{'\t'})
	if c := cmp(pa, pb); c != 0 {
		return c
	}
	return cmp(ca, cb)
}

// entries sorts the journals' lines from generation from to p.upTo (skipping
// a full refresh's that did not complete) by parent and position.
func (p *ChildPass) entries(from int, skip map[int]bool) (*merged, error) {
	so := &sorter{dir: p.s.dir, cmp: entryOrder}
	var line []byte
	for g := from; g <= p.upTo; g++ {
		if skip[g] {
			continue
		}
		l, err := openJournal(p.s.kidsJournal(p.stream, g))
		if err != nil {
			so.close()
			return nil, err
		}
		for seq := 0; ; seq++ {
			b, err := l.next()
			if err != nil {
				l.close()
				so.close()
				return nil, err
			}
			if b == nil {
				break
			}
			op, rest, _ := bytes.Cut(b, []byte{'\t'})
			parent, child, _ := bytes.Cut(rest, []byte{'\t'})
			if len(op) != 1 || (op[0] != '+' && op[0] != '=') || len(parent) == 0 || (op[0] == '+' && len(child) == 0) {
				continue // a marker, or a line a crash tore
			}
			line = append(line[:0], parent...)
			line = append(line, '\t')
			line = appendPadded(line, g, 10)
			line = appendPadded(line, seq, 12)
			line = append(line, '\t', op[0], '\t')
			line = append(line, child...)
			if err := so.add(line); err != nil {
				l.close()
				so.close()
				return nil, err
			}
		}
		l.close()
	}
	return so.iter()
}

// appendPadded appends n in width digits, zero-padded (positions sort as
// bytes).
func appendPadded(b []byte, n, width int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], int64(n), 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Diff calls gone(parent, child), in order, for every child delivered for
// a parent the journals cover whose last complete set lacks it, and writes
// the new map (the old one with each covered parent's set replaced, and
// every other delivered child added) to .next, without its footer.
//
// Per parent, in journal order: a "=" makes the children added since the
// parent's previous "=" (in that journal) its set; children added after
// its last "=", or in a journal without one, are added to it. A journal
// that starts the stream over ("!fresh", or a completed "!full") drops the
// map and the journals before it, and tombstones nothing of theirs: that
// data is gone from the destination.
func (p *ChildPass) Diff(gone func(parent, child []byte) error) (err error) {
	base, _, err := p.s.kidsGens(p.stream)
	if err != nil {
		return err
	}
	from, skip, useBase := base+1, map[int]bool{}, true
	for g := base + 1; g <= p.upTo; g++ {
		how, complete, _, err := journalKind(p.s.kidsJournal(p.stream, g))
		if err != nil {
			return err
		}
		switch {
		case how == Full && !complete:
			skip[g] = true
		case how != Continue:
			from, useBase = g, false
		}
	}
	es, err := p.entries(from, skip)
	if err != nil {
		return err
	}
	defer es.close()
	var old source = empty{}
	if useBase {
		if f, err := os.Open(p.s.kidsBase(p.stream)); err == nil {
			old = newLines(f)
		}
	}
	om, err := mergeBy(pairOrder, old)
	if err != nil {
		return err
	}
	defer om.close()

	f, err := os.Create(p.s.kidsBase(p.stream) + ".next")
	if err != nil {
		return fmt.Errorf("child set: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 64<<10)
	w.WriteString(kidsHeader + strconv.Itoa(p.upTo) + "\n")
	write := func(parent, child []byte) {
		w.Write(parent)
		w.WriteByte('\t')
		w.Write(child)
		w.WriteByte('\n')
		p.kept++
	}

	oline, err := om.next()
	if err != nil {
		return err
	}
	eline, err := es.next()
	if err != nil {
		return err
	}
	var par parentDiff
	for oline != nil || eline != nil {
		// The next parent: the smaller of the two heads.
		var parent []byte
		op, _, _ := bytes.Cut(oline, []byte{'\t'})
		ep, _, _ := bytes.Cut(eline, []byte{'\t'})
		switch {
		case eline == nil || (oline != nil && cmp(op, ep) < 0):
			parent = bytes.Clone(op)
		default:
			parent = bytes.Clone(ep)
		}
		if eline == nil || !bytes.Equal(ep, parent) {
			// Not in the journals (most parents of an incremental run):
			// its lines stay as they are.
			for oline != nil {
				if pp, _, _ := bytes.Cut(oline, []byte{'\t'}); !bytes.Equal(pp, parent) {
					break
				}
				w.Write(oline)
				w.WriteByte('\n')
				p.kept++
				if oline, err = om.next(); err != nil {
					return err
				}
			}
			continue
		}
		par.reset()
		for oline != nil {
			pp, child, _ := bytes.Cut(oline, []byte{'\t'})
			if !bytes.Equal(pp, parent) {
				break
			}
			par.old(child)
			if oline, err = om.next(); err != nil {
				return err
			}
		}
		for eline != nil {
			pp, rest, _ := bytes.Cut(eline, []byte{'\t'})
			if !bytes.Equal(pp, parent) {
				break
			}
			pos, rest, _ := bytes.Cut(rest, []byte{'\t'})
			op, child, _ := bytes.Cut(rest, []byte{'\t'})
			par.entry(string(pos[:10]), op[0], child)
			if eline, err = es.next(); err != nil {
				return err
			}
		}
		keep, drop := par.result()
		for _, c := range keep {
			write(parent, c)
		}
		for _, c := range drop {
			p.gone++
			if err := gone(parent, c); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("child set: %w", err)
	}
	return nil
}

// parentDiff is one parent's children during a Diff (a parent has a few:
// in memory).
type parentDiff struct {
	all     map[string]bool // delivered: the old set and every added child
	set     map[string]bool // its set so far
	pending map[string]bool // added since its last "=" in this journal
	gen     string
}

func (d *parentDiff) reset() {
	if d.all == nil {
		d.all, d.set, d.pending = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	clear(d.all)
	clear(d.set)
	clear(d.pending)
	d.gen = ""
}

func (d *parentDiff) old(child []byte) {
	d.all[string(child)] = true
	d.set[string(child)] = true
}

func (d *parentDiff) entry(gen string, op byte, child []byte) {
	if gen != d.gen {
		d.flush()
		d.gen = gen
	}
	switch op {
	case '+':
		d.all[string(child)] = true
		d.pending[string(child)] = true
	case '=':
		d.set, d.pending = d.pending, d.set
		clear(d.pending)
	}
}

// flush adds the children added after the parent's last "=" of a journal.
func (d *parentDiff) flush() {
	for c := range d.pending {
		d.set[c] = true
	}
	clear(d.pending)
}

// result is the parent's new set and the delivered children outside it,
// each in id order.
func (d *parentDiff) result() (keep, drop [][]byte) {
	d.flush()
	for c := range d.all {
		if d.set[c] {
			keep = append(keep, []byte(c))
		} else {
			drop = append(drop, []byte(c))
		}
	}
	slices.SortFunc(keep, cmp)
	slices.SortFunc(drop, cmp)
	return keep, drop
}

// Counts are the children Diff found gone and kept.
func (p *ChildPass) Counts() (gone, kept int) { return p.gone, p.kept }

// Seal records the output position the tombstones end at (see Pass.Seal).
func (p *ChildPass) Seal(path string, size int64) error {
	return seal(p.s.kidsBase(p.stream)+".next", path, size)
}

// Commit makes .next the map and drops the journals it absorbed.
func (p *ChildPass) Commit() error { return p.s.commitKids(p.stream) }

// Abort drops the diff: the old map and the journals stand.
func (p *ChildPass) Abort() { os.Remove(p.s.kidsBase(p.stream) + ".next") }

func (s *Store) commitKids(stream string) error {
	next := s.kidsBase(stream) + ".next"
	g, err := genOfHeader(next, kidsHeader)
	if err != nil {
		return err
	}
	if err := atomicfile.Rename(next, s.kidsBase(stream)); err != nil {
		return fmt.Errorf("child set: %w", err)
	}
	for i := g; i >= 1; i-- {
		if err := os.Remove(s.kidsJournal(stream, i)); os.IsNotExist(err) {
			break
		}
	}
	return nil
}

// Children counts the pairs of stream's map (tests and figures).
func (s *Store) Children(stream string) (int, error) {
	f, err := os.Open(s.kidsBase(stream))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	l := newLines(f)
	defer l.close()
	n := 0
	for {
		b, err := l.next()
		if err != nil || b == nil {
			return n, err
		}
		n++
	}
}

// empty is a source with nothing.
type empty struct{}

func (empty) next() ([]byte, error) { return nil, nil }
func (empty) close() error          { return nil }

// genOfHeader is the generation in a file's "<header><gen>" first line (0:
// no file).
func genOfHeader(path, hdr string) (int, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("child set: %w", err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	g, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, hdr)))
	if !strings.HasPrefix(line, hdr) || err != nil {
		return 0, fmt.Errorf("%s: not a pdx child set (header %q)", path, strings.TrimSpace(line))
	}
	return g, nil
}
