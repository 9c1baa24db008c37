package idset

import (
	"bufio"
	"bytes"
	"container/heap"
	"fmt"
	"os"
	"slices"
)

// less orders ids by length, then bytes: numeric ids sort numerically and
// UUIDs (one length) lexically, a total order the merges rely on.
func less(a, b []byte) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return bytes.Compare(a, b) < 0
}

func cmp(a, b []byte) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}

// chunk is how many ids a sorter holds before it spills a sorted run to
// disk: ~100k short strings, a few MiB, whatever the set's size.
var chunk = 100_000

// sorter is an external merge sort of ids: runs of chunk ids are sorted in
// memory and spilled to temporary files in dir, then merged.
type sorter struct {
	dir  string
	buf  [][]byte
	runs []string
	cmp  func(a, b []byte) int // nil: cmp (ids)
}

func (s *sorter) order() func(a, b []byte) int {
	if s.cmp == nil {
		return cmp
	}
	return s.cmp
}

func (s *sorter) add(id []byte) error {
	s.buf = append(s.buf, bytes.Clone(id))
	if len(s.buf) >= chunk {
		return s.spill()
	}
	return nil
}

func (s *sorter) spill() error {
	if len(s.buf) == 0 {
		return nil
	}
	slices.SortFunc(s.buf, s.order())
	f, err := os.CreateTemp(s.dir, ".run-*")
	if err != nil {
		return fmt.Errorf("id sort: %w", err)
	}
	s.runs = append(s.runs, f.Name())
	w := bufio.NewWriter(f)
	for _, id := range s.buf {
		w.Write(id)
		w.WriteByte('\n')
	}
	s.buf = s.buf[:0]
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("id sort: %w", err)
	}
	return f.Close()
}

// iter returns the sorted, deduplicated ids; close removes the runs.
func (s *sorter) iter() (*merged, error) {
	if err := s.spill(); err != nil {
		return nil, err
	}
	s.buf = nil
	var srcs []source
	for _, r := range s.runs {
		f, err := os.Open(r)
		if err != nil {
			return nil, fmt.Errorf("id sort: %w", err)
		}
		srcs = append(srcs, newLines(f))
	}
	m, err := mergeBy(s.order(), srcs...)
	if err != nil {
		return nil, err
	}
	m.cleanup = s.close
	return m, nil
}

func (s *sorter) close() {
	for _, r := range s.runs {
		os.Remove(r)
	}
	s.runs = nil
}

// source yields ids in order; next returns nil at the end.
type source interface {
	next() ([]byte, error)
	close() error
}

// lines reads one id per line from a file (lines starting with '#' are
// headers or footers and skipped).
type lines struct {
	f  *os.File
	sc *bufio.Scanner
}

func newLines(f *os.File) *lines {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &lines{f: f, sc: sc}
}

func (l *lines) next() ([]byte, error) {
	for l.sc.Scan() {
		b := l.sc.Bytes()
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		return b, nil
	}
	if err := l.sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", l.f.Name(), err)
	}
	return nil, nil
}

func (l *lines) close() error { return l.f.Close() }

// merged is a k-way merge of sorted sources without duplicates.
type merged struct {
	h       mheap
	last    []byte
	cleanup func()
}

type head struct {
	id  []byte
	src source
}

type mheap struct {
	hs  []head
	cmp func(a, b []byte) int
}

func (h *mheap) Len() int           { return len(h.hs) }
func (h *mheap) Less(i, j int) bool { return h.cmp(h.hs[i].id, h.hs[j].id) < 0 }
func (h *mheap) Swap(i, j int)      { h.hs[i], h.hs[j] = h.hs[j], h.hs[i] }
func (h *mheap) Push(x any)         { h.hs = append(h.hs, x.(head)) }
func (h *mheap) Pop() any {
	old := h.hs
	x := old[len(old)-1]
	h.hs = old[:len(old)-1]
	return x
}

func merge(srcs ...source) (*merged, error) { return mergeBy(cmp, srcs...) }

// mergeBy merges sources sorted by order.
func mergeBy(order func(a, b []byte) int, srcs ...source) (*merged, error) {
	m := &merged{h: mheap{cmp: order}}
	for _, s := range srcs {
		id, err := s.next()
		if err != nil {
			return nil, err
		}
		if id == nil {
			s.close()
			continue
		}
		m.h.hs = append(m.h.hs, head{bytes.Clone(id), s})
	}
	heap.Init(&m.h)
	return m, nil
}

// next returns the next distinct id, nil at the end.
func (m *merged) next() ([]byte, error) {
	for len(m.h.hs) > 0 {
		top := m.h.hs[0]
		id := top.id
		nid, err := top.src.next()
		if err != nil {
			return nil, err
		}
		if nid == nil {
			top.src.close()
			heap.Pop(&m.h)
		} else {
			m.h.hs[0].id = bytes.Clone(nid)
			heap.Fix(&m.h, 0)
		}
		if m.last != nil && bytes.Equal(id, m.last) {
			continue
		}
		m.last = id
		return id, nil
	}
	return nil, nil
}

func (m *merged) close() error {
	for _, h := range m.h.hs {
		h.src.close()
	}
	m.h.hs = nil
	if m.cleanup != nil {
		m.cleanup()
	}
	return nil
}
