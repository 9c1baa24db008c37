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
// compare their archive time, and every whole read of one is a sweep (see
// archivedScan in source/streams): it emits the records archived since the
// last sweep began, and its state says when this one was.
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
		if r.def.Strategy == streams.ServerUpdatedSince && r.def.ArchiveTime == "" {
			// (an archived list read whole is a sweep: filtered here)
			extra = updatedSince(floor)
		} else {
			clientFilter = true
		}
	}
	noCursor, noArchive := 0, 0
	archFloor := floor
	if from := r.sweep.From; r.def.ArchiveTime != "" && !from.IsZero() && from.Before(archFloor) {
		// Records archived without an update since the last sweep began:
		// the incremental reads between sweeps could not see them.
		archFloor = from
		if sd := r.opts.StartDate; sd.After(archFloor) {
			archFloor = sd
		}
	}
	// The next sweep's From: no record archived after this read's first
	// page was served can have an earlier archive time than any time that
	// page (or the state) shows.
	sweepFrom := r.state
	// An archived list the API sorts by update_time (deals_archived) is
	// swept newest first, so that the first page shows how late the API's
	// clock is (a first sweep has no state to start from). Its cursor is
	// then the max update_time only: a record updated mid-sweep moves to
	// the front, behind the walk, with an update_time no earlier than the
	// first page's, which the next run's updated_since finds; an archive
	// time seen on a later page could be later than that.
	newestFirst := r.def.ArchiveTime != "" && r.def.Strategy == streams.ServerUpdatedSince && r.def.Version == client.V2
	if newestFirst {
		if extra == nil {
			extra = url.Values{}
		}
		extra.Set("sort_direction", "desc")
	}
	// A sorted tail (leads_archived) learns where its next incremental read
	// starts: the offset before the newest update second, if the list came
	// in ascending order.
	sorted := r.def.Strategy == streams.SortedTail
	var pos, tailStart int64
	var maxSec, prevSec time.Time
	req := r.def.Request(extra)
	err := r.opts.Client.Pages(ctx, req, func(p client.Page) error {
		r.addPages(1)
		recs := p.Records
		for _, rec := range recs {
			if !sorted {
				break
			}
			if t, ok := cursorTime(rec, r.def.Cursor); ok {
				sec := t.Truncate(time.Second)
				if sec.Before(prevSec) {
					sorted = false // (the state then starts the next read at 0)
				}
				if prevSec = sec; sec.After(maxSec) {
					maxSec, tailStart = sec, max(pos-1, 0)
				}
			}
			pos++
		}
		if p.Number == 1 && r.def.ArchiveTime != "" {
			for _, rec := range recs {
				for _, k := range []string{r.def.Cursor, r.def.ArchiveTime} {
					if t, ok := cursorTime(rec, k); ok && t.After(sweepFrom) {
						sweepFrom = t
					}
				}
			}
		}
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
					if placed && at.After(maxSeen) && !newestFirst {
						maxSeen = at
					}
					if clientFilter && !emit && !placed {
						noArchive++
					}
					emit = emit || !placed || !at.Before(archFloor)
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
	if r.def.ArchiveTime != "" {
		r.sweepOut = sweepState{At: r.opts.Now(), From: sweepFrom}
		if sorted {
			r.sweepOut.TailStart = tailStart
		}
	}
	return r.checkpoint(ctx, r.stateOf(maxSeen))
}

// warnNoCursor says that n records could not be placed after a state.
func (r *streamRun) warnNoCursor(ctx context.Context, n int) {
	if n > 0 {
		r.logf(ctx, LevelWarn, "%d records have no %s, so an incremental sync cannot tell whether they changed; they are read by a full refresh only", n, r.def.Cursor)
	}
}
