package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// readChildren is the one fan-out of child streams (rows with a Parent
// relation, such as deal_products): it lists the parents of each of the
// relation's listings in turn (deal_products: /deals, then /deals/archived),
// in incremental mode only the parents the relation finds changed since
// that listing's state, and reads the children of each batch of parent ids
// (Relation.Batch per request: 100 deal ids in one deal_ids list, or one id
// in the path). The batches of a parent page are read up to childInFlight
// at once, so that long round trips do not leave the burst window idle,
// and emitted whole, one after another, in the listing's order
// (batchQueue): the sink sees what a read of one batch at a time emits.
//
// ParentUpdatedSince rests on an assumption (pinned for deals by the
// simulator): changing a child bumps its parent's update_time, so the
// children changed since T are among those of the parents updated since T.
// The parents are listed with updated_since=T in ascending update time.
//
// The state holds, per parent listing, the max update time of the PARENTS
// whose children have all been emitted (a child's own update time never
// exceeds its parent's, since the change that set it also bumped the
// parent); see childState. Because the parents come in ascending order and
// updated_since is inclusive, that value is a real resume point after every
// batch: every earlier parent was read, the ones equal to it are listed
// again. A listing with no cursor in the state is read whole (a state of an
// older pdx covers /deals only: its archived deals' products were never
// read). It is checkpointed after each parent page that changed it or
// emitted records in incremental mode (one Checkpoint at the end of a full
// refresh, and of a read that found nothing), once every batch of the page
// is emitted and before any of the next is sent; a failure within a page
// leaves the previous page's state, so the failed batch, and those before
// it on that page, are read again (the batches in flight after it are
// dropped unwritten). Children removed from a parent are not
// listed by the API (no deleted deal products), so each batch read whole
// is reported by a ParentsCovered event: a sink that remembers what it
// delivered per parent can diff (app's child diff writes tombstones).
func (r *streamRun) readChildren(ctx context.Context) error {
	rel := r.def.Parent
	done := childState{} // per listing: the max parent cursor whose children were all emitted
	if r.mode == Incremental {
		for k, t := range r.parents {
			done[k] = t
		}
	}
	// One record can be on several listings of a stream (a mail thread with
	// sent and received mail is in inbox and sent): read once per run.
	var seen map[string]bool
	listings := map[string]int{}
	for _, src := range rel.Parents {
		if listings[src.Stream]++; listings[src.Stream] > 1 {
			seen = map[string]bool{}
		}
	}
	for _, src := range rel.Parents {
		read := r.readParents
		if src.Fixed() {
			read = r.readFixed
		}
		if err := read(ctx, src, done, seen); err != nil {
			if rel.Optional && r.snapshot().Records == 0 && notOnPlan(err) && r.lastState == nil {
				return r.unavailable(ctx, err)
			}
			return err
		}
	}
	state := done.encode(r.def)
	if r.mode == Incremental && r.lastState != nil && r.sinceCkpt == 0 && bytes.Equal(r.lastState, state) {
		return nil // the last page's checkpoint covers everything
	}
	return r.checkpoint(ctx, state)
}

// readParents lists one parent listing and reads the children of its
// records, moving done[src.Key()] as batches complete.
func (r *streamRun) readParents(ctx context.Context, src streams.ParentSource, done childState, seen map[string]bool) error {
	rel := r.def.Parent
	parent, ok := lookup(src.Stream)
	if !ok {
		return fmt.Errorf("parent stream %q is not in the table", src.Stream)
	}
	extra := url.Values{}
	for k, vs := range src.Params {
		extra[k] = vs
	}
	lk := src.Key()
	floor := r.floorFrom(done[lk])
	if rel.Changed == streams.ParentUpdatedSince && !floor.IsZero() {
		extra.Set("updated_since", FormatState(floor))
	}
	// here: the parents are filtered by their cursor here, in no order, so
	// the listing's state moves only at its end (newest).
	here := rel.Changed == streams.ParentCursorHere && r.mode == Incremental
	var newest time.Time
	// A parent read by a fixed fan-out (goals) is listed by each of its
	// sources, unless this listing chooses its own params (mail_threads of
	// one folder).
	reqs := []client.PageRequest{parent.Request(extra)}
	if parent.Parent != nil && parent.Parent.FixedOnly() && len(src.Params) == 0 {
		reqs = reqs[:0]
		for _, fs := range parent.Parent.Parents {
			q := url.Values{}
			for _, from := range []url.Values{fs.Params, extra} {
				for k, vs := range from {
					q[k] = vs
				}
			}
			reqs = append(reqs, parent.Request(q))
		}
	}
	var err error
	for _, req := range reqs {
		if err = r.listParents(ctx, req, src, done, seen, &newest); err != nil {
			break
		}
	}
	if err == nil && here && newest.After(done[lk]) {
		done[lk] = newest
	}
	return err
}

// listParents reads one request of a parent listing and the children of
// its records (see readParents).
func (r *streamRun) listParents(ctx context.Context, req client.PageRequest, src streams.ParentSource, done childState, seen map[string]bool, newest *time.Time) error {
	rel := r.def.Parent
	parent, _ := lookup(src.Stream)
	key := parent.PrimaryKey[0]
	lk := src.Key()
	floor := r.floorFrom(done[lk])
	here := rel.Changed == streams.ParentCursorHere && r.mode == Incremental
	batch := max(rel.Batch, 1)
	ids := make([]string, 0, parent.PageLimit)
	recs := make([][]byte, 0, parent.PageLimit)
	cursors := make([]time.Time, 0, parent.PageLimit)
	return r.opts.Client.Pages(ctx, req, func(p client.Page) error {
		r.addPages(1)
		ids, recs, cursors = ids[:0], recs[:0], cursors[:0]
		for _, rec := range p.Records {
			id, ok := parentID(rec, key)
			if !ok {
				return fmt.Errorf("a %s record without an %s in %s", src.Stream, key, parent.Path)
			}
			var t time.Time
			if parent.Cursor != "" {
				t, _ = cursorTime(rec, parent.Cursor)
			}
			if here {
				if t.After(*newest) {
					*newest = t
				}
				if !floor.IsZero() && !t.IsZero() && t.Before(floor) {
					continue // unchanged since the state
				}
			}
			if seen != nil {
				if seen[id] {
					continue // its children were read from an earlier listing
				}
				seen[id] = true
			}
			ids = append(ids, id)
			recs = append(recs, rec)
			cursors = append(cursors, t)
		}
		// The page's batches are read up to childInFlight at a time and
		// emitted in order (see batchQueue); all are done before the page's
		// checkpoint, so it covers no batch still in flight.
		q := r.newBatchQueue(ctx, func(b *batchRead) {
			if here {
				return
			}
			for _, t := range b.cursors {
				if t.After(done[lk]) {
					done[lk] = t
				}
			}
		})
		defer q.stop()
		for start := 0; start < len(ids); start += batch {
			end := min(start+batch, len(ids))
			if q.full() {
				if err := q.next(); err != nil {
					return err
				}
			}
			// Room for the request, those in flight and the next parent
			// page, which the client may be prefetching already.
			need := r.def.TokenCost + parent.TokenCost
			if !r.cap.allows(need + q.inFlight()*r.def.TokenCost) {
				// Near the cap: finish the batches in flight (their tokens
				// are counted once answered), then decide as one at a time.
				if err := q.drain(); err != nil {
					return err
				}
				if !r.cap.allows(need) {
					// Stop before the request; every batch before it is done.
					if r.mode == Incremental {
						if err := r.checkpoint(ctx, done.encode(r.def)); err != nil {
							return err
						}
					}
					return r.capped()
				}
			}
			req, key, err := r.batchRequest(ids[start:end], recs[start])
			if err != nil {
				if derr := q.drain(); derr != nil {
					return derr
				}
				return err
			}
			q.send(req, key, ids[start:end], cursors[start:end])
		}
		if err := q.drain(); err != nil {
			return err
		}
		if st := done.encode(r.def); r.mode == Incremental && !here && (r.sinceCkpt > 0 || !bytes.Equal(st, r.lastState)) {
			return r.checkpoint(ctx, st)
		}
		return nil
	})
}

// readFixed reads one fixed source of a child: its own request with the
// source's params, every page.
func (r *streamRun) readFixed(ctx context.Context, src streams.ParentSource, _ childState, seen map[string]bool) error {
	key := r.def.PrimaryKey[0]
	return r.opts.Client.Pages(ctx, r.def.Request(src.Params), func(p client.Page) error {
		r.addPages(1)
		recs := p.Records[:0:0]
		for _, rec := range p.Records {
			if id, ok := parentID(rec, key); ok && seen != nil {
				if seen[id] {
					continue // listed by an earlier source
				}
				seen[id] = true
			}
			recs = append(recs, rec)
		}
		return r.records(ctx, recs)
	})
}

// batchRequest is the request for the children of one batch of parent
// ids, and the parent key to set on records that lack it (see
// withParentKey); first is the first parent's record (the only one, when
// the request takes params from it).
func (r *streamRun) batchRequest(ids []string, first []byte) (client.PageRequest, string, error) {
	req, err := r.def.ChildRequest(ids)
	if err != nil {
		return req, "", err
	}
	if pp := r.def.Parent.ParentParams; pp != nil && len(ids) == 1 {
		extra, err := pp(first, r.opts.Now().UTC())
		if err != nil {
			return req, "", fmt.Errorf("%s %s: %w", r.def.Parent.Parents[0].Stream, ids[0], err)
		}
		for k, vs := range extra {
			req.Params[k] = vs
		}
	}
	key := ""
	if len(ids) == 1 {
		key = r.def.Parent.ParentKey
	}
	return req, key, nil
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

// childState is a child stream's state: per parent listing, the max parent
// cursor whose children were all emitted. It is written as
// {"update_time":"<the earliest of them>","parents":{"deals":"...","deals_archived":"..."}}
// ("update_time" only when every listing has one: resuming from the
// earliest never skips, so a reader that knows only that key is safe). A
// state without "parents" (pdx before archived deals' products, or the old
// Airbyte connector) is the cursor of the first listing alone.
type childState map[string]time.Time

func parseChildState(st streams.Stream, raw json.RawMessage) (childState, error) {
	out := childState{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var m struct {
		Parents map[string]*string `json:"parents"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("state is not a JSON object: %w", err)
	}
	if m.Parents == nil {
		t, err := parseState(st, raw)
		if err != nil {
			return nil, err
		}
		if !t.IsZero() && len(st.Parent.Parents) > 0 {
			out[st.Parent.Parents[0].Key()] = t
		}
		return out, nil
	}
	for k, v := range m.Parents {
		if v == nil || *v == "" {
			continue
		}
		t, err := ParseTime(*v)
		if err != nil {
			return nil, fmt.Errorf("state of parent %q: %w", k, err)
		}
		out[k] = t
	}
	return out, nil
}

func (c childState) encode(st streams.Stream) json.RawMessage {
	parents := map[string]string{}
	var earliest time.Time
	all := true
	for _, src := range st.Parent.Parents {
		if src.Fixed() {
			continue
		}
		t, ok := c[src.Key()]
		if !ok || t.IsZero() {
			all = false
			continue
		}
		parents[src.Key()] = FormatState(t)
		if earliest.IsZero() || t.Before(earliest) {
			earliest = t
		}
	}
	if len(parents) == 0 {
		return json.RawMessage(`{}`)
	}
	out := map[string]any{"parents": parents}
	if all {
		out[stateKey(st)] = FormatState(earliest)
	}
	b, _ := json.Marshal(out)
	return b
}

// childInFlight is how many batch requests of a child stream's parent page
// may be in flight at once. One at a time, a stream of many batches
// (deal_products: a request per 100 deals) is a chain of round trips: at
// 300 ms per round trip that is 3.3 requests per second, below the lowest
// plan's 10, and it bounded a whole-account export (1.26x the ideal
// there). Three cover a round trip of up to 3 pacing intervals; the pacing
// (shared and ranked) still decides when each is sent. (A var: tests set
// it.)
var childInFlight = 3

// batchQueue reads the batches of one parent page up to childInFlight at a
// time and emits them in order, one whole batch after another, from the
// stream's own goroutine (the sink sees what a one-at-a-time read emits):
// a batch's records, page by page, then its ParentsCovered, then onDone
// (which moves the listing's cursor). The pages of one batch are read in
// turn (a cursor follows the page before). A batch waits for its turn
// with at most two of its pages held (one handed over when its turn comes,
// the next prefetched by Client.Pages), most batches being one page: memory
// stays bounded by childInFlight batches of two pages.
// When a batch fails, those after it are cancelled and their pages
// dropped: next returns its error, and nothing after it is emitted.
type batchQueue struct {
	r      *streamRun
	ctx    context.Context // the emitting side's
	wctx   context.Context // the requests'; cancelled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
	fifo   []*batchRead
	onDone func(*batchRead)
}

// batchRead is one batch in flight.
type batchRead struct {
	ids     []string
	cursors []time.Time
	key     string                 // the parent key to set (withParentKey)
	pages   chan []json.RawMessage // its pages' records, in order; closed at the end
	err     error                  // why the read ended early; read once pages is closed
}

func (r *streamRun) newBatchQueue(ctx context.Context, onDone func(*batchRead)) *batchQueue {
	wctx, cancel := context.WithCancel(ctx)
	return &batchQueue{r: r, ctx: ctx, wctx: wctx, cancel: cancel, onDone: onDone}
}

func (q *batchQueue) inFlight() int { return len(q.fifo) }
func (q *batchQueue) full() bool    { return len(q.fifo) >= max(childInFlight, 1) }

// send starts reading a batch; ids and cursors must stay unchanged until
// it is emitted.
func (q *batchQueue) send(req client.PageRequest, key string, ids []string, cursors []time.Time) {
	b := &batchRead{ids: ids, cursors: cursors, key: key, pages: make(chan []json.RawMessage)}
	q.fifo = append(q.fifo, b)
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		defer close(b.pages)
		b.err = q.r.opts.Client.Pages(q.wctx, req, func(p client.Page) error {
			select {
			case b.pages <- p.Records:
				return nil
			case <-q.wctx.Done():
				return q.wctx.Err()
			}
		})
	}()
}

// next emits the oldest batch in flight, waiting for its pages.
func (q *batchQueue) next() error {
	b := q.fifo[0]
	q.fifo[0] = nil
	q.fifo = q.fifo[1:]
	for recs := range b.pages {
		q.r.addPages(1)
		if err := q.r.records(q.ctx, withParentKey(recs, b.key, b.ids[0])); err != nil {
			return err
		}
	}
	if b.err != nil {
		return b.err
	}
	// Every page of the batch was read: its parents' child sets are whole.
	if err := q.r.emit(q.ctx, Event{Kind: ParentsCovered, Parents: slices.Clone(b.ids)}); err != nil {
		return &sinkError{err}
	}
	q.onDone(b)
	return nil
}

// drain emits every batch in flight, in order.
func (q *batchQueue) drain() error {
	for len(q.fifo) > 0 {
		if err := q.next(); err != nil {
			return err
		}
	}
	return nil
}

// stop cancels the batches still in flight (after a failure: they are
// not emitted) and waits for their reads to end.
func (q *batchQueue) stop() {
	q.cancel()
	q.wg.Wait()
	q.fifo = nil
}
