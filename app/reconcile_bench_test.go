package app

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/idset"
	"github.com/pdxhq/pdx/store/secret"
)

// TestReconcileScale is the memory figure of issue 12: a destination that
// was delivered PDX_RECONCILE_SCALE deals (ids journaled as by a sync) is
// reconciled against the simulator after 1 in 1,000 was purged. Run it
// alone under /usr/bin/time -v to read the peak RSS:
//
//	go test -c -o /tmp/app.test ./app && PDX_RECONCILE_SCALE=1000000 \
//	  /usr/bin/time -v /tmp/app.test -test.run TestReconcileScale -test.v
func TestReconcileScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PDX_RECONCILE_SCALE"))
	if n == 0 {
		t.Skip("set PDX_RECONCILE_SCALE (deals) to run")
	}
	e := newEnv(t, pipedrivetest.Options{Seed: 1, Scale: n})
	p := e.prof
	p.Format, p.OutDir, p.Streams = "jsonl", e.out, []string{"deals"}
	// The deals delivered: every listed id, journaled the way the saver does
	// (a full 1M-deal JSONL sync first would only measure the writer).
	pl, st := e.planState(t, p, p)
	ids, err := idset.Open(st.IDsDir(), func(string, string, int64) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var batch [][]byte
	for i := 1; i <= n; i++ {
		batch = append(batch, []byte(strconv.Itoa(i)))
		if len(batch) == 10_000 {
			if err := ids.Add("deals", batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	ids.Add("deals", batch)
	ids.Close()
	purged := 0
	for i := 1000; i <= n; i += 1000 {
		if e.srv.Purge("deals", strconv.Itoa(i)) == nil {
			purged++
		}
	}
	cl, err := NewClient(Conn{Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}})
	if err != nil {
		t.Fatal(err)
	}
	if ids, err = openIDs(st); err != nil {
		t.Fatal(err)
	}
	defer ids.Close()
	o := Options{ProfileName: "test", Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st}
	rec, res, err := reconcile(context.Background(), o, pl, cl, ids, nil, time.Now, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	var gone, kept int
	for _, rc := range rec {
		gone += rc.Gone
		kept += rc.Kept
	}
	var tokens int64
	for _, r := range res.Streams {
		tokens += r.Stats.Tokens
	}
	// Base deals deleted more than 30 days ago are gone too (never listed
	// at all); the purged ones must all be among the tombstones.
	t.Logf("%d deal ids delivered, %d purged: %d tombstones, %d kept, %d tokens (%.1f per 1,000 ids)", n, purged, gone, kept, tokens, float64(tokens)*1000/float64(gone+kept))
	if gone < purged || gone+kept != n {
		t.Errorf("%d tombstones + %d kept, want at least %d purged of %d", gone, kept, purged, n)
	}
}
