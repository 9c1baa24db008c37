package engine

import (
	"context"

	"github.com/pdxhq/pdx/source/client"
)

// readServerIncremental: updated_since = state (inclusive: the boundary is
// read again, nothing is skipped), sorted by update_time ascending, and a
// Checkpoint after every page with the max cursor seen so far. Each
// checkpoint is a real resume point: every record with an update time below
// it has been emitted (ascending order), and those equal to it are re-read.
func (r *streamRun) readServerIncremental(ctx context.Context) error {
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
		return r.checkpoint(ctx, encodeState(r.def, maxSeen))
	})
}
