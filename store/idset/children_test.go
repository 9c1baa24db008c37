package idset

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// journal writes one run's journal of stream: ops are "fresh", "full",
// "+<parent> <child>", "=<parent>", "$".
func journal(t *testing.T, s *Store, stream string, ops ...string) {
	t.Helper()
	how := Continue
	if len(ops) > 0 && (ops[0] == "fresh" || ops[0] == "full") {
		how = map[string]Start{"fresh": Fresh, "full": Full}[ops[0]]
		ops = ops[1:]
	}
	if err := s.StartChildren(stream, how); err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		var err error
		switch op[0] {
		case '+':
			i := strings.LastIndexByte(op, ' ') // a parent may hold a space
			p, c := op[1:i], op[i+1:]
			err = s.AddChildren(stream, ids(p), ids(c))
		case '=':
			err = s.Covered(stream, ids(op[1:]))
		case '$':
			err = s.Completed(stream)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
}

// diffKids diffs stream and returns the gone "parent child" pairs; commit
// false stops after the Diff (a crash before the tombstones' state).
func diffKids(t *testing.T, s *Store, stream string, commit bool) []string {
	t.Helper()
	p, err := s.BeginChildren(stream)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		return nil
	}
	var gone []string
	if err := p.Diff(func(parent, child []byte) error {
		gone = append(gone, string(parent)+" "+string(child))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !commit {
		p.Abort()
		return gone
	}
	if err := p.Seal("", -1); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	return gone
}

// kidsMap is stream's map as "parent child" lines.
func kidsMap(t *testing.T, s *Store, stream string) []string {
	t.Helper()
	var out []string
	b, _ := readFile(s.kidsBase(stream))
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		out = append(out, strings.Replace(l, "\t", " ", 1))
	}
	return out
}

func TestChildDiff(t *testing.T) {
	first := []string{"fresh", "+1 10", "+1 11", "+2 20", "=1", "=2", "$"}
	for _, tc := range []struct {
		name string
		runs [][]string // journals; a run starting with "diff" is diffed (and committed) before the next
		gone []string   // of the last diff
		kids []string   // the map after it
	}{
		{"first sync builds the map", [][]string{first}, nil, []string{"1 10", "1 11", "2 20"}},
		{"a removed child", [][]string{first, {"+1 10", "=1"}}, []string{"1 11"}, []string{"1 10", "2 20"}},
		{"every child removed", [][]string{first, {"=1"}}, []string{"1 10", "1 11"}, []string{"2 20"}},
		{"an uncovered parent keeps its set and gains", [][]string{first, {"+2 21"}}, nil, []string{"1 10", "1 11", "2 20", "2 21"}},
		{"a new parent", [][]string{first, {"+3 30", "=3"}}, nil, []string{"1 10", "1 11", "2 20", "3 30"}},
		{"a parent covered twice in a run: the last counts", [][]string{first, {"+1 10", "+1 11", "=1", "+1 10", "=1"}}, []string{"1 11"}, []string{"1 10", "2 20"}},
		{"removed in one run, re-added in the next, diffed at once", [][]string{first, {"+1 10", "=1"}, {"+1 10", "+1 11", "=1"}}, nil, []string{"1 10", "1 11", "2 20"}},
		{"removed, diffed, re-added", [][]string{first, {"+1 10", "=1"}, {"diff"}, {"+1 10", "+1 11", "=1"}}, nil, []string{"1 10", "1 11", "2 20"}},
		{"a partial read then a covered one", [][]string{first, {"+1 12"}, {"+1 13", "=1"}}, []string{"1 10", "1 11", "1 12"}, []string{"1 13", "2 20"}},
		{"a failed full refresh counts for nothing", [][]string{first, {"full", "+1 10", "=1"}}, nil, []string{"1 10", "1 11", "2 20"}},
		{"a full refresh replaces the map, tombstones nothing", [][]string{first, {"full", "+1 10", "=1", "$"}}, nil, []string{"1 10"}},
		{"a fresh start replaces the map", [][]string{first, {"+1 10", "=1"}, {"fresh", "+2 20", "=2"}}, nil, []string{"2 20"}},
		{"a run that covered nothing", [][]string{first, {}}, nil, []string{"1 10", "1 11", "2 20"}},
		{"a fresh start with nothing", [][]string{first, {"fresh"}}, nil, nil},
		{"string ids", [][]string{{"fresh", `+"a b" "x"`, `+"a b" "y"`, `="a b"`}, {"diff"}, {`+"a b" "y"`, `="a b"`}}, []string{`"a b" "x"`}, []string{`"a b" "y"`}},
		{"ids in numeric order", [][]string{{"fresh", "+10 1", "+9 2", "+9 100", "=9", "=10"}}, nil, []string{"9 2", "9 100", "10 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.TempDir(), func(string, string, int64) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i, r := range tc.runs {
				if len(r) == 1 && r[0] == "diff" {
					diffKids(t, s, "dp", true)
					continue
				}
				journal(t, s, "dp", r...)
				if i == 0 && len(tc.runs) > 1 {
					diffKids(t, s, "dp", true)
				}
			}
			gone := diffKids(t, s, "dp", true)
			if !slices.Equal(gone, tc.gone) {
				t.Errorf("gone %q, want %q", gone, tc.gone)
			}
			if got := kidsMap(t, s, "dp"); !slices.Equal(got, tc.kids) {
				t.Errorf("map %q, want %q", got, tc.kids)
			}
			if again := diffKids(t, s, "dp", true); again != nil {
				t.Errorf("a second diff found %q gone", again)
			}
		})
	}
}

// TestChildDiffTornLine: a journal's last line without its newline (a
// kill mid-write) is left out, never read as a cut id.
func TestChildDiffTornLine(t *testing.T) {
	s, err := Open(t.TempDir(), func(string, string, int64) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	journal(t, s, "dp", "fresh", "+1 10", "=1", "$")
	diffKids(t, s, "dp", true)
	journal(t, s, "dp", "+1 10", "=1")
	f, err := os.OpenFile(s.kidsJournal("dp", 2), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("+\t2\t4") // "+\t2\t45\n" cut short
	f.Close()
	if gone := diffKids(t, s, "dp", true); gone != nil {
		t.Errorf("gone %q", gone)
	}
	if got := kidsMap(t, s, "dp"); !slices.Equal(got, []string{"1 10"}) {
		t.Errorf("map %q: the torn line was read", got)
	}
}

// TestChildDiffIdle: a journal with nothing in it is dropped without the
// map being rewritten (a sync that re-read no parent costs no map copy).
func TestChildDiffIdle(t *testing.T) {
	s, err := Open(t.TempDir(), func(string, string, int64) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	journal(t, s, "dp", "fresh", "+1 10", "=1", "$")
	diffKids(t, s, "dp", true)
	before, err := os.Stat(s.kidsBase("dp"))
	if err != nil {
		t.Fatal(err)
	}
	journal(t, s, "dp", "$")
	journal(t, s, "dp", "full", "+1 11", "=1") // did not complete
	if p, err := s.BeginChildren("dp"); p != nil || err != nil {
		t.Fatalf("idle journals: a diff (%v)", err)
	}
	after, err := os.Stat(s.kidsBase("dp"))
	if err != nil || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the map was rewritten (%v)", err)
	}
	for g := 2; g <= 3; g++ {
		if _, err := os.Stat(s.kidsJournal("dp", g)); !os.IsNotExist(err) {
			t.Errorf("journal %d left behind (%v)", g, err)
		}
	}
}

// TestChildDiffCrash: a diff whose state was not saved is redone whole,
// once; one whose state was saved is rolled forward at Open.
func TestChildDiffCrash(t *testing.T) {
	for _, saved := range []bool{false, true} {
		dir := t.TempDir()
		s, err := Open(dir, func(string, string, int64) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		journal(t, s, "dp", "fresh", "+1 10", "+1 11", "=1")
		diffKids(t, s, "dp", true)
		journal(t, s, "dp", "+1 10", "=1")
		p, err := s.BeginChildren("dp")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := p.Diff(func(_, _ []byte) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := p.Seal("/out/dp.jsonl", 500); err != nil {
			t.Fatal(err)
		}
		s.Close() // killed before Commit
		s, err = Open(dir, func(stream, path string, size int64) bool {
			return saved && stream == "dp" && path == "/out/dp.jsonl" && size == 500
		})
		if err != nil {
			t.Fatal(err)
		}
		gone := diffKids(t, s, "dp", true)
		want := []string{"1 11"}
		if saved {
			want = nil // rolled forward: nothing left to diff
		}
		if n != 1 || !slices.Equal(gone, want) {
			t.Errorf("saved=%v: first diff %d gone, after Open %q, want %q", saved, n, gone, want)
		}
		if got := kidsMap(t, s, "dp"); !slices.Equal(got, []string{"1 10"}) {
			t.Errorf("saved=%v: map %q", saved, got)
		}
		s.Close()
	}
}

// TestRemove: BeginRemove drops ids from the delivered set and keeps the
// others, the journal's included.
func TestRemove(t *testing.T) {
	s, err := Open(t.TempDir(), func(string, string, int64) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Add("dp", ids("1", "2", "3"))
	reconcile(t, s, "dp", []string{"1", "2", "3"}, "")
	s.Add("dp", ids("4", "5"))
	p, err := s.BeginRemove("dp")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"2", "5", "9"} {
		p.Present([]byte(id))
	}
	var gone []string
	if err := p.Diff(func(id []byte) error { gone = append(gone, string(id)); return nil }); err != nil {
		t.Fatal(err)
	}
	p.Seal("", -1)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Delivered("dp"); n != 3 || !slices.Equal(gone, []string{"2", "5"}) {
		t.Errorf("removed %q, %d left; want [2 5], 3", gone, n)
	}
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
