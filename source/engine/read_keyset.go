package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pdxhq/pdx/source/client"
)

// readV1Keyset reads a v1 server-side stream (notes, leads). v1 pages by
// offset, and an offset walk over a list sorted by update_time skips a record
// whenever an earlier one is updated mid-read (it moves to the end and the
// rest shift down one place) — a hole the next run would never fill, since
// the skipped record is older than the state. So instead of advancing the
// offset, every page restarts from updated_since = the max update time seen
// (inclusive) and drops the boundary records it has already emitted (same
// id, same update second). Only when a whole page shares one update second
// does it step through that second by offset. In incremental mode every page
// ends with a Checkpoint (a real resume point, as for v2); a full refresh
// has one Checkpoint at the end.
func (r *streamRun) readV1Keyset(ctx context.Context) error {
	perPage := r.mode == Incremental
	floor := r.floor().Truncate(time.Second)
	maxSeen := time.Time{}
	if r.mode == Incremental {
		maxSeen = r.state
	}
	bound := floor           // updated_since of the next request
	tie := map[string]bool{} // ids emitted whose update second == bound
	skip := 0
	for {
		req := r.def.Request(updatedSince(bound))
		req.Start, req.MaxPages = skip, 1
		var page client.Page
		err := r.opts.Client.Pages(ctx, req, func(p client.Page) error {
			page = p
			return nil
		})
		if err != nil {
			return err
		}
		r.addPages(1)
		out := make([]json.RawMessage, 0, len(page.Records))
		second := make([]time.Time, len(page.Records))
		pageMax := bound
		for i, rec := range page.Records {
			t, ok := cursorTime(rec, r.def.Cursor)
			if ok {
				second[i] = t.Truncate(time.Second)
				if second[i].Equal(bound) && tie[string(topLevel(rec, "id"))] {
					continue // the boundary, already emitted
				}
				if t.After(maxSeen) {
					maxSeen = t
				}
				if second[i].After(pageMax) {
					pageMax = second[i]
				}
			}
			out = append(out, rec)
		}
		if err := r.records(ctx, out); err != nil {
			return err
		}
		if perPage {
			if err := r.checkpoint(ctx, encodeState(r.def, maxSeen)); err != nil {
				return err
			}
		}
		if page.Next == "" {
			break
		}
		if len(page.Records) == 0 {
			return fmt.Errorf("%s: the API said more items follow an empty page", r.def.Path)
		}
		if pageMax.After(bound) {
			bound, skip = pageMax, 0
			clear(tie)
		} else {
			skip += len(page.Records) // a whole page in one second: step through it
		}
		for i, rec := range page.Records {
			if second[i].Equal(bound) {
				tie[string(topLevel(rec, "id"))] = true
			}
		}
	}
	if !perPage {
		return r.checkpoint(ctx, encodeState(r.def, maxSeen))
	}
	return nil
}
