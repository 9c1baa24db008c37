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
//
// All of that rests on the order asked for, and /leads documents its sort
// as bare field names without saying the direction it applies. So every
// page is checked before any of it is emitted: update seconds never go
// backwards, from the bound on. If they do, the order is not the one asked
// for (a page of a descending list, say), and following it would skip
// records silently; the stream is then read whole (every page by offset,
// from the start date, not the state: records that an earlier run's read
// in a wrong order skipped come too), with a warning. Pages emitted before
// passed the check, so their checkpoints stay sound.
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
	// Each request is a one-page read of its own, so the client's bound on
	// one read's records never trips: count them across the whole walk, or
	// a list fabricating records forever would be read until the budget ends.
	read, pages := 0, 0
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
		read, pages = read+len(page.Records), pages+1
		if read > r.opts.Client.MaxRecords(req) {
			return r.opts.Client.ReadTooLong(req, pages)
		}
		if at, prev, ok := ascending(page.Records, r.def.Cursor, bound); !ok {
			r.logf(ctx, LevelWarn, "%s answered out of the order asked for (%s): a record updated %s after one updated %s; reading the whole stream instead, without relying on its order",
				r.def.Path, r.def.SortParams.Encode(), FormatState(at), FormatState(prev))
			return r.readAllFrom(ctx, r.floorFrom(time.Time{}), maxSeen)
		}
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

// ascending reports whether the records' update seconds never go backwards
// from bound on; when they do, at is the first that does and prev the one
// before it. Seconds, because the keyset and its ties work in seconds
// (leads carry milliseconds that a server may order differently within one).
func ascending(recs []json.RawMessage, cursor string, bound time.Time) (at, prev time.Time, ok bool) {
	prev = bound
	for _, rec := range recs {
		t, ok := cursorTime(rec, cursor)
		if !ok {
			continue
		}
		t = t.Truncate(time.Second)
		if t.Before(prev) {
			return t, prev, false
		}
		prev = t
	}
	return time.Time{}, time.Time{}, true
}
