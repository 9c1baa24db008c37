package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// readChildren is the one fan-out of child streams (rows with a Parent
// relation, such as deal_products): it lists the parent's records, in
// incremental mode only the parents the relation finds changed since the
// state, and reads the children of each batch of parent ids (Relation.Batch
// per request: 100 deal ids in one deal_ids list, or one id in the path).
//
// ParentUpdatedSince rests on an assumption (pinned for deals by the
// simulator): changing a child bumps its parent's update_time, so the
// children changed since T are among those of the parents updated since T.
// The parents are listed with updated_since=T in ascending update time.
//
// The state is the max update time of the PARENTS whose children have all
// been emitted (a child's own update time never exceeds its parent's, since
// the change that set it also bumped the parent). Because the parents come
// in ascending order and updated_since is inclusive, that value is a real
// resume point after every batch: every earlier parent was read, the ones
// equal to it are listed again. It is checkpointed after each parent page
// in incremental mode (one Checkpoint at the end of a full refresh); a
// failure within a page leaves the previous page's state, so the failed
// batch, and those before it on that page, are read again. (A run that must
// stop between batches, e.g. a per-parent backfill within a token cap, can
// checkpoint done there.) Children removed from a parent are not reported
// (the API lists no deleted deal products).
func (r *streamRun) readChildren(ctx context.Context) error {
	rel := r.def.Parent
	parent, ok := lookup(rel.Stream)
	if !ok {
		return fmt.Errorf("parent stream %q is not in the table", rel.Stream)
	}
	key := parent.PrimaryKey[0]
	extra := url.Values{}
	for k, vs := range rel.Params {
		extra[k] = vs
	}
	if floor := r.floor(); rel.Changed == streams.ParentUpdatedSince && !floor.IsZero() {
		extra.Set("updated_since", FormatState(floor))
	}
	done := time.Time{} // the max parent cursor whose children were all emitted
	if r.mode == Incremental {
		done = r.state
	}
	batch := max(rel.Batch, 1)
	ids := make([]string, 0, parent.PageLimit)
	cursors := make([]time.Time, 0, parent.PageLimit)
	err := r.opts.Client.Pages(ctx, parent.Request(extra), func(p client.Page) error {
		r.addPages(1)
		ids, cursors = ids[:0], cursors[:0]
		for _, rec := range p.Records {
			id, ok := parentID(rec, key)
			if !ok {
				return fmt.Errorf("a %s record without an %s in %s", rel.Stream, key, parent.Path)
			}
			ids = append(ids, id)
			var t time.Time
			if parent.Cursor != "" {
				t, _ = cursorTime(rec, parent.Cursor)
			}
			cursors = append(cursors, t)
		}
		for start := 0; start < len(ids); start += batch {
			end := min(start+batch, len(ids))
			if err := r.readBatch(ctx, ids[start:end]); err != nil {
				return err
			}
			for _, t := range cursors[start:end] {
				if t.After(done) {
					done = t
				}
			}
		}
		if r.mode == Incremental {
			return r.checkpoint(ctx, encodeState(r.def, done))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.mode == Incremental && r.lastState != nil {
		return nil // the last page's checkpoint covers everything
	}
	return r.checkpoint(ctx, encodeState(r.def, done))
}

// readBatch emits the children of one batch of parent ids, every page.
func (r *streamRun) readBatch(ctx context.Context, ids []string) error {
	req, err := r.def.ChildRequest(ids)
	if err != nil {
		return err
	}
	return r.opts.Client.Pages(ctx, req, func(p client.Page) error {
		r.addPages(1)
		return r.records(ctx, p.Records)
	})
}

// parentID is a parent record's id as the child request carries it: an
// integer (deals) or a non-empty string (goals and permission sets have
// string ids).
func parentID(rec []byte, key string) (string, bool) {
	if id, ok := intField(rec, key); ok {
		return strconv.FormatInt(id, 10), true
	}
	var s string
	if v := topLevel(rec, key); len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil && s != "" {
		return s, true
	}
	return "", false
}
