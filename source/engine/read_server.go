package engine

import (
	"context"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// readServerIncremental: updated_since = state (inclusive: the boundary is
// read again, nothing is skipped), sorted by update_time ascending, and a
// Checkpoint after every page with the max cursor seen so far. Each
// checkpoint is a real resume point: every record with an update time below
// it has been emitted (ascending order), and those equal to it are re-read.
//
// An archived list (deals_archived) is swept whole instead when a sweep is
// due, and its states keep the last sweep (see archivedScan in
// source/streams). Its cursor stays the max update_time: an archive time
// seen on one page may be later than update times on the next.
func (r *streamRun) readServerIncremental(ctx context.Context) error {
	if r.def.ArchiveTime != "" && r.sweepDue() {
		r.logf(ctx, LevelInfo, "sweeping the whole list (%s; at least every %s): it finds records archived without an update_time change, which updated_since cannot", lastSweep(r.sweep), streams.ArchiveSweepEvery)
		return r.readAll(ctx)
	}
	floor := r.floor()
	maxSeen := r.state
	req := r.def.Request(updatedSince(floor))
	return r.opts.Client.Pages(ctx, req, func(p client.Page) error {
		r.addPages(1)
		for _, rec := range p.Records {
			if t, ok := cursorTime(rec, r.def.Cursor); ok && t.After(maxSeen) {
				maxSeen = t
			}
		}
		if err := r.records(ctx, p.Records); err != nil {
			return err
		}
		return r.checkpoint(ctx, r.stateOf(maxSeen))
	})
}
