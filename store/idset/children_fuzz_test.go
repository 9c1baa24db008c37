package idset

import (
	"os"
	"testing"
)

// FuzzChildDiff: whatever a journal and a map hold (a crash tears lines,
// a disk corrupts them), a diff never panics, and a second diff after its
// commit finds nothing more gone.
func FuzzChildDiff(f *testing.F) {
	f.Add([]byte("1\t10\n1\t11\n"), []byte("+\t1\t10\n=\t1\n"))
	f.Add([]byte(""), []byte("!fresh\n+\t1\t10\n+\t2\t\"a\"\n=\t2\n$\n"))
	f.Add([]byte("1\t10\n"), []byte("!full\n+\t1\n=\n+\t\t\n=\t1\t9\n+\t1\t1"))
	f.Fuzz(func(t *testing.T, base, journal []byte) {
		dir := t.TempDir()
		s, err := Open(dir, func(string, string, int64) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := os.WriteFile(s.kidsBase("dp"), append([]byte(kidsHeader+"0\n"), base...), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.kidsJournal("dp", 1), journal, 0o600); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			p, err := s.BeginChildren("dp")
			if err != nil || p == nil {
				return // an unreadable file is an error, not a panic
			}
			gone := 0
			if err := p.Diff(func(_, _ []byte) error { gone++; return nil }); err != nil {
				return
			}
			if i == 1 && gone != 0 {
				t.Fatalf("a diff of nothing new found %d gone", gone)
			}
			if err := p.Seal("", -1); err != nil {
				t.Fatal(err)
			}
			if err := p.Commit(); err != nil {
				t.Fatal(err)
			}
			// Something new to diff: an empty journal.
			if err := os.WriteFile(s.kidsJournal("dp", 2), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	})
}
