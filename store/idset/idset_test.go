package idset

import (
	"fmt"
	"slices"
	"testing"
)

func ids(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// reconcile runs one pass of stream with listed present and returns the
// gone ids; stop says how far it gets: "diff" (crash before Seal), "seal"
// (crash after Seal, before the state was saved) or "" (committed).
func reconcile(t *testing.T, s *Store, stream string, listed []string, stop string) []string {
	t.Helper()
	p, err := s.Begin(stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range listed {
		if err := p.Present([]byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	var gone []string
	if err := p.Diff(func(id []byte) error { gone = append(gone, string(id)); return nil }); err != nil {
		t.Fatal(err)
	}
	if stop == "diff" {
		return gone
	}
	if err := p.Seal("/out/deals.jsonl", 100); err != nil {
		t.Fatal(err)
	}
	if stop == "seal" {
		return gone
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	return gone
}

func TestReconcile(t *testing.T) {
	for _, tc := range []struct {
		name      string
		delivered [][]string // Add calls, a run each
		listed    []string
		gone      []string
	}{
		{"nothing gone", [][]string{{"1", "2", "3"}}, []string{"1", "2", "3", "4"}, nil},
		{"purged", [][]string{{"1", "2", "3", "10"}}, []string{"1", "3"}, []string{"2", "10"}},
		{"duplicates across runs", [][]string{{"5", "1"}, {"1", "5", "7"}}, []string{"5"}, []string{"1", "7"}},
		{"numeric order", [][]string{{"9", "10", "100"}}, []string{"9"}, []string{"10", "100"}},
		{"uuids", [][]string{{`"b"`, `"a"`}}, []string{`"b"`}, []string{`"a"`}},
		{"never delivered is never gone", nil, []string{"1"}, nil},
		{"all gone", [][]string{{"3", "2", "1"}}, nil, []string{"1", "2", "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.TempDir(), func(string, string, int64) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, run := range tc.delivered {
				if err := s.Add("deals", ids(run...)); err != nil {
					t.Fatal(err)
				}
			}
			if got := reconcile(t, s, "deals", tc.listed, ""); !slices.Equal(got, tc.gone) {
				t.Errorf("gone %v, want %v", got, tc.gone)
			}
			// A second pass over the same listing finds nothing: each id is
			// tombstoned once, ever.
			if got := reconcile(t, s, "deals", tc.listed, ""); len(got) != 0 {
				t.Errorf("second pass: gone %v, want none", got)
			}
		})
	}
}

// A crash at each step of a pass leaves either the old set (the next pass
// finds the same ids gone, their tombstones having been truncated away with
// the unsaved output) or the new one (the state was saved: nothing again).
func TestReconcileCrash(t *testing.T) {
	for _, tc := range []struct {
		stop      string
		saved     bool // the state reached the sealed position
		goneAgain []string
	}{
		{"diff", false, []string{"2"}},
		{"seal", false, []string{"2"}},
		{"seal", true, nil},
	} {
		t.Run(fmt.Sprint(tc.stop, tc.saved), func(t *testing.T) {
			dir := t.TempDir()
			committed := func(stream, path string, size int64) bool {
				return tc.saved && stream == "deals" && path == "/out/deals.jsonl" && size == 100
			}
			s, err := Open(dir, committed)
			if err != nil {
				t.Fatal(err)
			}
			s.Add("deals", ids("1", "2", "3"))
			if got := reconcile(t, s, "deals", []string{"1", "3"}, tc.stop); !slices.Equal(got, []string{"2"}) {
				t.Fatalf("gone %v", got)
			}
			// The process dies; a later one opens the sets again.
			s, err = Open(dir, committed)
			if err != nil {
				t.Fatal(err)
			}
			if got := reconcile(t, s, "deals", []string{"1", "3"}, ""); !slices.Equal(got, tc.goneAgain) {
				t.Errorf("after the crash: gone %v, want %v", got, tc.goneAgain)
			}
			if n, err := s.Delivered("deals"); err != nil || n != 2 {
				t.Errorf("delivered %d (%v), want 2", n, err)
			}
		})
	}
}

// Sets larger than a sort chunk spill to disk and merge correctly.
func TestReconcileSpills(t *testing.T) {
	defer func(c int) { chunk = c }(chunk)
	chunk = 7
	s, err := Open(t.TempDir(), func(string, string, int64) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var all, listed, want []string
	for i := 100; i >= 1; i-- {
		all = append(all, fmt.Sprint(i))
		if i%9 == 0 {
			continue
		}
		listed = append(listed, fmt.Sprint(i))
	}
	for i := 1; i <= 100; i++ {
		if i%9 == 0 {
			want = append(want, fmt.Sprint(i))
		}
	}
	s.Add("persons", ids(all...))
	s.Add("persons", ids(all[:30]...))
	if got := reconcile(t, s, "persons", listed, ""); !slices.Equal(got, want) {
		t.Errorf("gone %v, want %v", got, want)
	}
	if n, _ := s.Delivered("persons"); n != len(listed) {
		t.Errorf("delivered %d, want %d", n, len(listed))
	}
}

// Ids added while a pass runs (records delivered after its listing) are
// not judged by it, and survive its commit and its abort for the next.
func TestAddDuringPass(t *testing.T) {
	for _, abort := range []bool{false, true} {
		s, err := Open(t.TempDir(), func(string, string, int64) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		s.Add("deals", ids("1", "2"))
		p, err := s.Begin("deals")
		if err != nil {
			t.Fatal(err)
		}
		p.Present([]byte("1"))
		s.Add("deals", ids("9")) // delivered after the listing
		var gone []string
		if err := p.Diff(func(id []byte) error { gone = append(gone, string(id)); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gone, []string{"2"}) {
			t.Errorf("abort=%v: gone %v, want [2]", abort, gone)
		}
		if abort {
			p.Abort()
		} else if err := p.Seal("", -1); err != nil {
			t.Fatal(err)
		} else if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
		want := []string{"2"}
		if !abort {
			want = nil
		}
		if got := reconcile(t, s, "deals", []string{"1"}, ""); !slices.Equal(got, append(want, "9")) {
			t.Errorf("abort=%v: next pass gone %v, want %v", abort, got, append(want, "9"))
		}
	}
}
