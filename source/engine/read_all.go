package engine

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// readAll reads every page: full refresh, and client-side cursor streams in
// incremental mode (only records whose cursor is >= the floor are emitted;
// records without a readable cursor cannot be placed after a state, so they
// come with full refreshes and first syncs only, and a warning says so). One
// Checkpoint at the end: a client-side scan is not ordered by the cursor, so
// no intermediate state would be a safe resume point. Archived lists also
// compare their archive time (see archivedScan in source/streams).
func (r *streamRun) readAll(ctx context.Context) error {
	maxSeen := time.Time{}
	if r.mode == Incremental {
		maxSeen = r.state
	}
	return r.readAllFrom(ctx, r.floor(), maxSeen)
}

// readAllFrom is readAll from a given floor, with the state starting at
// maxSeen (the v1 keyset read falls back to it, see readV1Keyset).
func (r *streamRun) readAllFrom(ctx context.Context, floor, maxSeen time.Time) error {
	var extra url.Values
	clientFilter := false
	if r.def.Cursor != "" && !floor.IsZero() {
		if r.def.Strategy == streams.ServerUpdatedSince {
			extra = updatedSince(floor)
		} else {
			clientFilter = true
		}
	}
	noCursor, noArchive := 0, 0
	req := r.def.Request(extra)
	err := r.opts.Client.Pages(ctx, req, func(p client.Page) error {
		r.addPages(1)
		recs := p.Records
		if r.def.Cursor != "" {
			var keep []json.RawMessage
			for i, rec := range recs {
				t, ok := cursorTime(rec, r.def.Cursor)
				if ok && t.After(maxSeen) {
					maxSeen = t
				}
				emit := ok && !t.Before(floor)
				if r.def.ArchiveTime != "" {
					// archived lists: see archivedScan in source/streams
					at, placed := cursorTime(rec, r.def.ArchiveTime)
					if placed && at.After(maxSeen) {
						maxSeen = at
					}
					if clientFilter && !emit && !placed {
						noArchive++
					}
					emit = emit || !placed || !at.Before(floor)
				}
				if clientFilter {
					if !ok && r.def.ArchiveTime == "" {
						noCursor++
					}
					if !emit {
						if keep == nil {
							keep = append(make([]json.RawMessage, 0, len(recs)), recs[:i]...)
						}
						continue
					}
					if keep != nil {
						keep = append(keep, rec)
					}
				}
			}
			if keep != nil {
				recs = keep
			}
		}
		return r.records(ctx, recs)
	})
	if err != nil {
		return err
	}
	r.warnNoCursor(ctx, noCursor)
	if noArchive > 0 {
		r.logf(ctx, LevelInfo, "%d archived records updated before the state carry no %s, so this sync cannot tell whether they were archived since; they are emitted again (duplicates by primary key, not a hole)", noArchive, r.def.ArchiveTime)
	}
	return r.checkpoint(ctx, encodeState(r.def, maxSeen))
}

// warnNoCursor says that n records could not be placed after a state.
func (r *streamRun) warnNoCursor(ctx context.Context, n int) {
	if n > 0 {
		r.logf(ctx, LevelWarn, "%d records have no %s, so an incremental sync cannot tell whether they changed; they are read by a full refresh only", n, r.def.Cursor)
	}
}
