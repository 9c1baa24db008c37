package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// fabricate answers every request of a v1 list with a page of records never
// seen before (copies of the first real one with fresh ids, each a second
// later than the last) and "more follow": a list that never ends.
func fabricate(perPage int) func(*http.Request, []byte) []byte {
	var mu sync.Mutex
	var tmpl map[string]json.RawMessage
	n := 0
	base := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	return func(_ *http.Request, body []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		return rewriteEnv(body, func(env, ad map[string]json.RawMessage) {
			if tmpl == nil {
				var recs []map[string]json.RawMessage
				if json.Unmarshal(env["data"], &recs) != nil || len(recs) == 0 {
					return // nothing to copy yet
				}
				tmpl = recs[0]
			}
			page := make([]map[string]json.RawMessage, perPage)
			for i := range page {
				n++
				r := make(map[string]json.RawMessage, len(tmpl))
				for k, v := range tmpl {
					r[k] = v
				}
				id := strconv.Itoa(9_000_000 + n)
				if strings.HasPrefix(string(tmpl["id"]), `"`) {
					id = fmt.Sprintf(`"00000000-0000-4000-8000-%012d"`, n) // leads: uuids
				}
				r["id"] = json.RawMessage(id)
				at := base.Add(time.Duration(n) * time.Second)
				if strings.Contains(string(tmpl["update_time"]), "T") {
					r["update_time"], _ = json.Marshal(at.Format("2006-01-02T15:04:05.000Z"))
				} else {
					r["update_time"], _ = json.Marshal(at.Format(time.DateTime))
				}
				page[i] = r
			}
			env["data"], _ = json.Marshal(page)
			if _, nested := ad["pagination"]; !nested {
				ad["more_items_in_collection"] = json.RawMessage("true") // leads
				return
			}
			pg := v1pg(ad)
			pg["more_items_in_collection"] = json.RawMessage("true")
			pg["next_start"] = json.RawMessage(strconv.Itoa(perPage))
			setV1pg(ad, pg)
		})
	}
}

// TestKeysetBoundsRecords (issue 11): the v1 keyset read (notes, leads) asks
// one page a request, each a read of its own for the client's guard, so a
// list fabricating records forever must still stop at the client's
// MaxRecords, counted across the whole keyset walk, with the guard's
// message, and emit nothing past the bound.
func TestKeysetBoundsRecords(t *testing.T) {
	const limit, perPage = 120, 25
	tests := []struct {
		stream string
		mode   engine.Mode
	}{
		{"notes", engine.Incremental},
		{"notes", engine.FullRefresh},
		{"leads", engine.Incremental},
	}
	for _, tt := range tests {
		t.Run(tt.stream+"/"+string(tt.mode), func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 21, Scale: 200})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var requests atomic.Int32
			c := newClient(t, sim, func(o *client.Options) {
				o.MaxRecords = limit
				o.Observer = func(ob client.Observation) {
					// Without the bound the read never ends: stop it so
					// the test fails instead of hanging.
					if ob.Kind == client.ObsRequest && requests.Add(1) > 60 {
						cancel()
					}
				}
			})
			sim.Fault(pipedrivetest.Fault{Path: streamPath(t, tt.stream), Kind: pipedrivetest.FaultRewrite, Rewrite: fabricate(perPage)})
			col := newCollector(t)
			res, err := engine.Run(ctx, engine.Options{Client: c, Sink: col, Streams: []engine.ConfiguredStream{{Name: tt.stream, Mode: tt.mode}}})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Streams[0]
			if errors.Is(s.Err, context.Canceled) {
				t.Fatalf("the read did not stop by itself after %d requests: %v", requests.Load(), s.Err)
			}
			var pe *client.PagingError
			if s.Complete || !errors.As(s.Err, &pe) || !strings.Contains(s.Err.Error(), fmt.Sprintf("more than %d records in one read", limit)) {
				t.Fatalf("complete=%v err=%v; want the PagingError of a read beyond %d records", s.Complete, s.Err, limit)
			}
			if want := limit/perPage + 1; pe.Page != want {
				t.Errorf("failed at page %d, want %d (the first page past %d records)", pe.Page, want, limit)
			}
			if got := len(col.records[tt.stream]); got > limit {
				t.Errorf("%d records emitted, beyond the bound of %d", got, limit)
			}
		})
	}
}
