package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/pdxhq/pdx/source/client"
)

// readTail reads a TailWatermark stream (call_logs; see callLogsTail in
// source/streams): an append-only list in a stable order, with offset
// paging and neither sort nor filter. The state is where the last read
// ended (tailState). An incremental read asks for the page that starts at
// the last record read and checks that record is still there (same id):
// then only the records after it are new, and a run with nothing new costs
// one request however long the list. If it is not there (a delete before
// it shifted the offsets, or the list is not in the order assumed), the
// read goes back to the start and reads every record, with a warning:
// duplicates by primary key, never a hole.
//
// Every page ends with a Checkpoint in incremental mode (the records
// before the watermark have all been emitted, so it is a real resume
// point); a full refresh reads from the start and has one Checkpoint at
// the end, whose watermark a later incremental run goes on from.
func (r *streamRun) readTail(ctx context.Context) error {
	w := tailState{}
	if r.mode == Incremental {
		w = r.tail
	}
	err := r.readTailFrom(ctx, w)
	var moved *watermarkMoved
	if !errors.As(err, &moved) {
		return err
	}
	r.logf(ctx, LevelWarn, "%s; reading all %s again from the start (duplicates by primary key, no record missed)", moved, r.def.Name)
	return r.readTailFrom(ctx, tailState{})
}

// watermarkMoved: the record the state points at is not where it was.
type watermarkMoved struct {
	w     tailState
	found string // the id there instead ("" for none)
}

func (e *watermarkMoved) Error() string {
	what := "no record"
	if e.found != "" {
		what = "record " + strconv.Quote(e.found)
	}
	return fmt.Sprintf("the last record read before (%q, record %d of the list) is not where it was (%s there): records before it were deleted, or the list is not append-only as assumed",
		e.w.LastID, e.w.Offset, what)
}

// readTailFrom reads from watermark w (zero: from the start).
func (r *streamRun) readTailFrom(ctx context.Context, w tailState) error {
	perPage := r.mode == Incremental
	req := r.def.Request(nil)
	check := w.Offset > 0
	if check {
		req.Start = int(w.Offset - 1) // the watermark record itself
	}
	start := req.Start // offset of the page at hand
	last := w
	err := r.opts.Client.Pages(ctx, req, func(p client.Page) error {
		r.addPages(1)
		recs := p.Records
		if check {
			check = false
			found := ""
			if len(recs) > 0 {
				found = recordID(recs[0])
			}
			if found != w.LastID {
				return &watermarkMoved{w: w, found: found}
			}
			recs = recs[1:]
		}
		if n := len(p.Records); n > 0 {
			last = tailState{Offset: int64(start + n), LastID: recordID(p.Records[n-1])}
		}
		if p.Next != "" {
			next, err := strconv.Atoi(p.Next)
			if err != nil {
				return fmt.Errorf("next offset %q: %w", p.Next, err)
			}
			start = next
		}
		if err := r.records(ctx, recs); err != nil {
			return err
		}
		if perPage {
			return r.checkpoint(ctx, last.encode())
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !perPage {
		return r.checkpoint(ctx, last.encode())
	}
	return nil
}

// recordID is a record's top-level id as text ("" when it has none): a
// string's value, or a number's digits.
func recordID(rec json.RawMessage) string {
	v := topLevel(rec, "id")
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		return s
	}
	return string(v)
}
