package engine

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/source/client"
)

// readNewestFirst: an incremental read of a list the API sorts by the
// cursor descending without a time filter (v1 /files, sort=update_time
// DESC). Pages are read newest first, records whose cursor is >= the floor
// are emitted, and the read stops after the first page that reaches an
// older record, so a run with nothing changed costs one request however big
// the account. Pages go one at a time (no prefetch: the page after the stop
// would be paid for nothing).
//
// The state advances to the max cursor seen only when the read reached the
// floor or the end: a failure before that leaves it where it was. The order
// is checked, not trusted: a record newer than the one before it means the
// API did not sort, and the read then goes on to the end (a client-side
// filter, as readAll), with a warning.
func (r *streamRun) readNewestFirst(ctx context.Context) error {
	floor := r.floor()
	maxSeen := r.state
	var prev time.Time
	ordered, noCursor := true, 0
	req := r.def.Request(nil)
	req.MaxPages = 1
	for number := 1; ; number++ {
		var next string
		err := r.opts.Client.Pages(ctx, req, func(p client.Page) error {
			r.addPages(1)
			next = p.Next
			var keep []json.RawMessage
			older := false
			for _, rec := range p.Records {
				t, ok := cursorTime(rec, r.def.Cursor)
				if !ok {
					noCursor++
					continue
				}
				if !prev.IsZero() && t.After(prev) {
					ordered = false
				}
				prev = t
				if t.After(maxSeen) {
					maxSeen = t
				}
				if t.Before(floor) {
					older = true
					continue
				}
				keep = append(keep, rec)
			}
			if older && ordered {
				next = "" // every later record is older than the floor
			}
			return r.records(ctx, keep)
		})
		if err != nil {
			return err
		}
		if next == "" {
			break
		}
		switch req.Paging {
		case client.V1Offset:
			n, err := strconv.Atoi(next)
			if err != nil {
				return err
			}
			req.Start = n
		default:
			req.Cursor = next
		}
	}
	if !ordered {
		r.logf(ctx, LevelWarn, "the API did not return records newest first (by %s): every page was read and filtered here", r.def.Cursor)
	}
	r.warnNoCursor(ctx, noCursor)
	return r.checkpoint(ctx, encodeState(r.def, maxSeen))
}
