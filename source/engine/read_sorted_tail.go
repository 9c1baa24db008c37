package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/streams"
)

// readSortedTail: an incremental read of an offset-paged list the API sorts
// by the cursor ascending without a time filter (v1 /leads/archived,
// sort=update_time; the direction is not documented, so it is checked).
// Records changed since the state are the tail of that order. The state
// keeps where the last read's newest update second began (tail_start: the
// offset of the record just before it); the read asks for the page there,
// and if its first record is older than the state, every record before it
// is older too and the read goes on from there, emitting those at or after
// the state: a run with nothing changed is one request. If the first
// record is not older (records before it left the list or were updated, so
// the offsets moved), it steps back, a page and then twice as far each
// time, to the start at worst.
//
// The order is checked on every record read: update seconds never go
// backwards. If they do, the list is not sorted as assumed: from the start
// the read just goes on to the end, filtering here; from further in it
// reads the whole list instead (records before where it started cannot be
// trusted to be older), with a warning either way. A read from further in
// must also see the order rise (two records a second or more apart, in
// ascending order): a list sorted the other way would show a single record
// there (the state's own records gone, say), so without a rise it steps
// back further. One
// Checkpoint at the end (the tails are short); an archived list is swept
// whole instead when a sweep is due (see archivedScan in source/streams).
func (r *streamRun) readSortedTail(ctx context.Context) error {
	if r.def.ArchiveTime != "" && r.sweepDue() {
		r.logf(ctx, LevelInfo, "sweeping the whole list (%s; at least every %s): it finds records archived without an update_time change, which reading the newest cannot", lastSweep(r.sweep), streams.ArchiveSweepEvery)
		return r.readAll(ctx)
	}
	floor := r.floor()
	start := int(r.sweep.TailStart)
	back := max(r.def.PageLimit, 1)
	var w tailWalk
	for {
		first, err := r.tailProbe(ctx, floor, &start, &back)
		if err != nil {
			return err
		}
		w = tailWalk{r: r, floor: floor, maxSeen: r.state, pos: int64(start), tailStart: int64(start)}
		err = w.page(ctx, first)
		if err == nil && first.Next != "" {
			var n int
			if n, err = strconv.Atoi(first.Next); err == nil {
				req := r.def.Request(nil)
				req.Start = n
				err = r.opts.Client.Pages(ctx, req, func(p client.Page) error {
					r.addPages(1)
					if err := w.page(ctx, p); err != nil {
						return err
					}
					if !w.ordered && start > 0 {
						return errOutOfOrder
					}
					return nil
				})
			}
		}
		if err != nil && !errors.Is(err, errOutOfOrder) {
			return err
		}
		if start == 0 || !w.ordered || w.rose {
			break
		}
		// From further in, the order must be seen to hold (two records a
		// second or more apart, rising) before what precedes is trusted
		// to be older: a list sorted the other way would show one record.
		start = max(0, start-back)
		back *= 2
	}
	if !w.ordered {
		if start > 0 {
			r.logf(ctx, LevelWarn, "%s answered out of ascending %s order (%s) at offset %d: reading the whole list instead, filtered here", r.def.Path, r.def.Cursor, r.def.SortParams.Encode(), w.outAt)
			return r.readAll(ctx)
		}
		r.logf(ctx, LevelWarn, "%s answered out of ascending %s order (%s): every page was read and filtered here", r.def.Path, r.def.Cursor, r.def.SortParams.Encode())
		w.tailStart = 0
	}
	r.warnNoCursor(ctx, w.noCursor)
	r.sweepOut.TailStart = w.tailStart
	return r.checkpoint(ctx, r.stateOf(w.maxSeen))
}

// tailProbe finds where a sorted tail's read starts: the page at *start
// if its first record is older than floor (or *start is 0), else stepping
// back by *back, doubled each time.
func (r *streamRun) tailProbe(ctx context.Context, floor time.Time, start, back *int) (client.Page, error) {
	for {
		req := r.def.Request(nil)
		req.Start, req.MaxPages = *start, 1
		var page client.Page
		if err := r.opts.Client.Pages(ctx, req, func(p client.Page) error { page = p; return nil }); err != nil {
			return client.Page{}, err
		}
		r.addPages(1)
		if *start == 0 {
			return page, nil
		}
		if len(page.Records) > 0 {
			if t, ok := cursorTime(page.Records[0], r.def.Cursor); ok && t.Before(floor) {
				return page, nil
			}
		}
		// The record there is not older than the state (or there is none):
		// the ones before it may be newer.
		*start = max(0, *start-*back)
		*back *= 2
	}
}

// errOutOfOrder stops a sorted tail's walk at the first record out of order.
var errOutOfOrder = errors.New("out of order")

// tailWalk follows a sorted tail: the order check, what to emit, and where
// the newest update second begins (tailStart: the offset before it).
type tailWalk struct {
	r                *streamRun
	floor, maxSeen   time.Time
	pos, tailStart   int64 // offset of the next record; the next read's start
	maxSec, prev     time.Time
	ordered, rose    bool // in order so far; a second seen rising
	noCursor         int
	outAt            int64
	started, visited bool
}

func (w *tailWalk) page(ctx context.Context, p client.Page) error {
	if !w.started {
		w.started, w.ordered = true, true
	}
	var keep []json.RawMessage
	for _, rec := range p.Records {
		pos := w.pos
		w.pos++
		t, ok := cursorTime(rec, w.r.def.Cursor)
		if !ok {
			w.noCursor++
			continue
		}
		sec := t.Truncate(time.Second)
		if w.visited && sec.Before(w.prev) && w.ordered {
			w.ordered, w.outAt = false, pos
		}
		if w.visited && sec.After(w.prev) {
			w.rose = true
		}
		w.visited, w.prev = true, sec
		if sec.After(w.maxSec) {
			w.maxSec, w.tailStart = sec, max(pos-1, 0)
		}
		if t.After(w.maxSeen) {
			w.maxSeen = t
		}
		emit := !t.Before(w.floor)
		if w.r.def.ArchiveTime != "" {
			if at, ok := cursorTime(rec, w.r.def.ArchiveTime); ok && !at.Before(w.floor) {
				emit = true
			}
		}
		if emit {
			keep = append(keep, rec)
		}
	}
	return w.r.records(ctx, keep)
}

// lastSweep says when an archived list was last swept.
func lastSweep(sw sweepState) string {
	if sw.At.IsZero() {
		return "never before"
	}
	return "last at " + FormatState(sw.At)
}
