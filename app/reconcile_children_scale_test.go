package app

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestChildDiffScale is the whole-process figure of the child diff: a
// first sync of deals and deal_products at PDX_SYNC_SCALE deals, then an
// incremental one after every 10th deal lost a product. It compiles on a
// tree without the child diff too (the baseline). Run alone under
// /usr/bin/time -v:
//
//	go test -c -o /tmp/app.test ./app && PDX_SYNC_SCALE=20000 \
//	  /usr/bin/time -v /tmp/app.test -test.run TestChildDiffScale -test.v
func TestChildDiffScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PDX_SYNC_SCALE"))
	if n == 0 {
		t.Skip("set PDX_SYNC_SCALE (deals) to run")
	}
	e := newEnv(t, pipedrivetest.Options{Seed: 1, Scale: n})
	p := e.prof
	p.Format, p.OutDir, p.Streams = "jsonl", e.out, []string{"deals", "deal_products"}
	t0 := time.Now()
	if sum, err := e.reconcileRun(t, p, false); err != nil || !sum.OK() {
		t.Fatalf("first sync: %v", err)
	}
	first := time.Since(t0)
	e.srv.Advance(time.Hour)
	changed := 0
	for d := 10; d <= n; d += 10 {
		if e.srv.SetDealProducts(strconv.Itoa(d), 1) == nil {
			changed++
		}
	}
	t1 := time.Now()
	sum, err := e.reconcileRun(t, p, false)
	if err != nil || !sum.OK() {
		t.Fatalf("incremental sync: %v", err)
	}
	_, tombs, _ := recordsOf(t, e.out, "deal_products")
	t.Logf("%d deals: first sync %v, incremental sync after %d deals changed %v, %d tombstones", n, first, changed, time.Since(t1), len(tombs))
}
