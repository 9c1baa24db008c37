package engine

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// dealBatch is how many deal ids one /deals/products call takes (API max).
const dealBatch = 100

// readFollowsParent reads deal_products.
//
// Assumption (pinned by the simulator): adding, changing or removing a
// deal's products bumps the deal's update_time. So the deal products that
// changed since a time T are among the products of the deals updated since
// T. The engine lists those deals (v2 /deals, updated_since=T, ascending
// update_time), and fetches their products 100 deals per /deals/products
// call. The state is the max update_time of the PARENT deals whose products
// have all been emitted (a product's own update_time never exceeds its
// deal's, because the change that set it also bumped the deal), written
// after each deals page: resuming re-lists deals from there (inclusive) and
// so loses nothing. Products removed from a deal are not reported (the API
// lists no deleted deal products).
func (r *streamRun) readFollowsParent(ctx context.Context) error {
	parent, ok := streams.Lookup(r.def.Parent)
	if !ok {
		return fmt.Errorf("parent stream %q is not in the table", r.def.Parent)
	}
	floor := r.floor()
	maxSeen := time.Time{}
	if r.mode == Incremental {
		maxSeen = r.state
	}
	// Deleted deals have no products to read; listing them would only cost.
	preq := r.request(parent, updatedSince(floor))
	preq.Params.Set("status", "open,won,lost")
	ids := make([]string, 0, parent.PageLimit)
	err := r.opts.Client.Pages(ctx, preq, func(p client.Page) error {
		r.addPages(1)
		ids = ids[:0]
		pageMax := maxSeen
		for _, rec := range p.Records {
			id, ok := intField(rec, "id")
			if !ok {
				return fmt.Errorf("a deal without a numeric id in %s", parent.Path)
			}
			ids = append(ids, strconv.FormatInt(id, 10))
			if t, ok := cursorTime(rec, parent.Cursor); ok && t.After(pageMax) {
				pageMax = t
			}
		}
		for start := 0; start < len(ids); start += dealBatch {
			end := min(start+dealBatch, len(ids))
			creq := r.request(r.def, url.Values{"deal_ids": {strings.Join(ids[start:end], ",")}})
			if err := r.opts.Client.Pages(ctx, creq, func(cp client.Page) error {
				r.addPages(1)
				return r.records(ctx, cp.Records)
			}); err != nil {
				return err
			}
		}
		maxSeen = pageMax
		if r.mode == Incremental {
			return r.checkpoint(ctx, encodeState(r.def, maxSeen))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.mode == Incremental && r.lastState != nil {
		return nil // the last page's checkpoint covers everything
	}
	return r.checkpoint(ctx, encodeState(r.def, maxSeen))
}
