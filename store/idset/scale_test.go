package idset

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestScale is the memory and disk figure of the child sets at scale: a
// first sync of PDX_IDSET_SCALE deals with 3 products each (journaled as
// the saver does), diffed into the map; then an incremental one re-reading
// every 10th deal, each having lost one product, diffed again.
// PDX_IDSET_BASELINE=1 runs, for the same ids, a delete reconciliation of
// the deal product ids (Add, Begin, Present, Diff, Commit) instead: the
// baseline. Run each alone under /usr/bin/time -v:
//
//	go test -c -o /tmp/idset.test ./store/idset && PDX_IDSET_SCALE=1000000 \
//	  /usr/bin/time -v /tmp/idset.test -test.run TestScale -test.v
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PDX_IDSET_SCALE"))
	if n == 0 {
		t.Skip("set PDX_IDSET_SCALE (deals) to run")
	}
	dir := t.TempDir()
	s, err := Open(dir, func(string, string, int64) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const per = 3
	child := func(d, j int) []byte { return []byte(strconv.Itoa((d-1)*8 + j + 1)) }
	start := time.Now()
	if os.Getenv("PDX_IDSET_BASELINE") != "" {
		var batch [][]byte
		for d := 1; d <= n; d++ {
			for j := range per {
				batch = append(batch, child(d, j))
			}
			if len(batch) >= 1500 {
				must(t, s.Add("dp", batch))
				batch = batch[:0]
			}
		}
		must(t, s.Add("dp", batch))
		must(t, s.Sync())
		journaled := time.Since(start)
		p, err := s.Begin("dp")
		must(t, err)
		for d := 1; d <= n; d++ {
			for j := range per {
				if d%10 == 0 && j == per-1 {
					continue
				}
				must(t, p.Present(child(d, j)))
			}
		}
		gone := 0
		must(t, p.Diff(func([]byte) error { gone++; return nil }))
		must(t, p.Seal("", -1))
		must(t, p.Commit())
		t.Logf("baseline (id set reconciliation): %d ids, journal %v, pass %v, %d gone, set %s", n*per, journaled, time.Since(start)-journaled, gone, size(t, s.base("dp")))
		return
	}
	// First sync: pages of 500 products, a coverage per 100 deals.
	must(t, s.StartChildren("dp", Fresh))
	var ps, cs, cov [][]byte
	for d := 1; d <= n; d++ {
		for j := range per {
			ps, cs = append(ps, []byte(strconv.Itoa(d))), append(cs, child(d, j))
		}
		cov = append(cov, []byte(strconv.Itoa(d)))
		if len(cov) == 100 {
			must(t, s.AddChildren("dp", ps, cs))
			must(t, s.Covered("dp", cov))
			ps, cs, cov = ps[:0], cs[:0], cov[:0]
		}
	}
	must(t, s.AddChildren("dp", ps, cs))
	must(t, s.Covered("dp", cov))
	must(t, s.Completed("dp"))
	must(t, s.Sync())
	journal := size(t, s.kidsJournal("dp", 1))
	journaled := time.Since(start)
	diff := func() (int, time.Duration) {
		t0 := time.Now()
		p, err := s.BeginChildren("dp")
		must(t, err)
		gone := 0
		must(t, p.Diff(func(_, _ []byte) error { gone++; return nil }))
		must(t, p.Seal("", -1))
		must(t, p.Commit())
		return gone, time.Since(t0)
	}
	g1, d1 := diff()
	// Incremental: every 10th deal re-read without its last product.
	must(t, s.StartChildren("dp", Continue))
	ps, cs, cov = ps[:0], cs[:0], cov[:0]
	for d := 10; d <= n; d += 10 {
		for j := range per - 1 {
			ps, cs = append(ps, []byte(strconv.Itoa(d))), append(cs, child(d, j))
		}
		cov = append(cov, []byte(strconv.Itoa(d)))
		if len(cov) == 100 {
			must(t, s.AddChildren("dp", ps, cs))
			must(t, s.Covered("dp", cov))
			ps, cs, cov = ps[:0], cs[:0], cov[:0]
		}
	}
	must(t, s.AddChildren("dp", ps, cs))
	must(t, s.Covered("dp", cov))
	must(t, s.Sync())
	g2, d2 := diff()
	t.Logf("child sets: %d deals × %d products: first journal %s in %v, first diff %v (%d gone), map %s; incremental diff of %d deals %v (%d gone)",
		n, per, journal, journaled, d1, g1, size(t, s.kidsBase("dp")), n/10, d2, g2)
	if g1 != 0 || g2 != n/10 {
		t.Errorf("gone %d then %d, want 0 then %d", g1, g2, n/10)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func size(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatFloat(float64(fi.Size())/(1<<20), 'f', 1, 64) + " MiB (" + filepath.Base(path) + ")"
}
