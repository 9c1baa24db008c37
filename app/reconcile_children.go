package app

// Child diff (issue 12 item 7: "products removed from a deal come almost
// free"). A child stream such as deal_products re-reads the complete child
// set of every changed parent, and the engine says which parents a read
// covered whole (engine.ParentsCovered). The saver journals, per
// destination, the children it delivered per parent and the covered
// parents (store/idset child sets, synced before each state save); after
// the sync, a diff tombstones each child a covered parent no longer has,
// in the same shape as a delete reconciliation's (the primary key and
// "_pdx_deleted_at"), and drops it from the stream's delivered ids so that
// a later reconciliation does not tombstone it again.
//
// Crash safety: the journal is durable before the state moves past the
// parents it covers, so a run killed before its diff leaves the journal to
// the next run's diff (the tombstones come one run late, never lost). The
// diff's tombstones commit as a reconciliation's do (writeTombstones):
// durable, the new map sealed at their output position, the state saved
// there, then the map replaced; a kill before the state save cuts them
// from the output on the next run, which writes them again, once.
//
// The first sync into a destination (or a stream starting over there: a
// full refresh, an incremental one without state) builds the map from what
// it delivers and tombstones nothing. Where Pipedrive removes a child
// without bumping its parent's update_time (undocumented; the simulator
// bumps it), no incremental read re-reads that parent: the periodic delete
// reconciliation's full deal_products pass stays the safety net. A child
// moved to another parent (deal products do not move) would be tombstoned
// after its new record: not handled.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/plural"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/idset"
	"github.com/pdxhq/pdx/store/output"
)

// diffKeys are the fields of a diffed child stream's records naming the
// parent and the child (ok false: the stream is not diffed). The child's
// field is its primary key, or the key's other half (deal_followers:
// deal_id and user_id).
func diffKeys(st streams.Stream) (parent, child string, ok bool) {
	parent = st.DiffParent()
	pk := st.PrimaryKey
	switch {
	case parent == "":
		return "", "", false
	case len(pk) == 1:
		return parent, pk[0], true
	case len(pk) == 2 && pk[0] == parent:
		return parent, pk[1], true
	case len(pk) == 2 && pk[1] == parent:
		return parent, pk[0], true
	}
	return "", "", false
}

// childStarts says, per diffed stream of the plan, how its data starts in
// the destination this run (as openWriter opens it); nil when the format
// writes one file per run (nothing to append tombstones to).
func childStarts(plan Plan, saved map[string]json.RawMessage) map[string]idset.Start {
	if !keepsData(plan.Format) {
		return nil
	}
	return childStartsOf(plan.Streams, saved)
}

// childStartsOf is childStarts for the configured streams cs.
func childStartsOf(cs []engine.ConfiguredStream, saved map[string]json.RawMessage) map[string]idset.Start {
	out := map[string]idset.Start{}
	for _, cs := range cs {
		st, ok := streams.Lookup(cs.Name)
		if _, _, diffed := diffKeys(st); !ok || !diffed {
			continue
		}
		_, hasState := saved[cs.Name]
		switch {
		case cs.Mode == engine.FullRefresh:
			out[cs.Name] = idset.Full
		case !hasState:
			out[cs.Name] = idset.Fresh
		default:
			out[cs.Name] = idset.Continue
		}
	}
	return out
}

// journalChildren is the saver's part: it journals a diffed stream's
// start, delivered children, covered parents and completion.
func journalChildren(ids *idset.Store, starts map[string]idset.Start, ev engine.Event) error {
	how, ok := starts[ev.Stream]
	if ids == nil || !ok {
		return nil
	}
	switch ev.Kind {
	case engine.StreamStarted:
		return ids.StartChildren(ev.Stream, how)
	case engine.Records:
		st, _ := streams.Lookup(ev.Stream)
		pf, cf, _ := diffKeys(st)
		parents := make([][]byte, 0, len(ev.Records))
		children := make([][]byte, 0, len(ev.Records))
		for _, r := range ev.Records {
			p, pok := engine.KeyOf(r, pf)
			c, cok := engine.KeyOf(r, cf)
			if pok && cok {
				parents, children = append(parents, p), append(children, c)
			}
		}
		return ids.AddChildren(ev.Stream, parents, children)
	case engine.ParentsCovered:
		parents := make([][]byte, len(ev.Parents))
		for i, p := range ev.Parents {
			parents[i] = parentKey(p)
		}
		return ids.Covered(ev.Stream, parents)
	case engine.StreamComplete:
		return ids.Completed(ev.Stream)
	}
	return nil
}

// keepsData reports whether the format's destination keeps a stream's
// data from run to run, so tombstones can follow it: per-stream files, or
// one database; not a file of Airbyte messages per run.
func keepsData(f output.Format) bool { return !f.OneFile || f.Name == "sqlite" }

// parentKey is a parent id as the engine names it ("42", or a string id)
// in the raw JSON a child record holds (42, "abc").
func parentKey(id string) []byte {
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		return []byte(id)
	}
	b, _ := json.Marshal(id)
	return b
}

// childTombstone is the tombstone of a child: its primary key (with the
// parent's id where that is part of it) and _pdx_deleted_at.
func childTombstone(st streams.Stream, parent, child []byte, at string) json.RawMessage {
	pf, cf, _ := diffKeys(st)
	if len(st.PrimaryKey) == 1 {
		return tombstoneJSON(cf, child, at)
	}
	b := []byte{'{'}
	for i, k := range st.PrimaryKey {
		v := child
		if k == pf {
			v = parent
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		b = append(b, v...)
	}
	b = append(b, `,"`+DeletedAt+`":"`+at+`"}`...)
	return b
}

// diffChildren diffs the child sets of the plan's diffed streams (this
// run's journals and any a killed run left) and tombstones the removed
// children into the destination.
func diffChildren(ctx context.Context, o Options, plan Plan, cl *client.Client, ids *idset.Store, now func() time.Time, notice func(string)) ([]Reconciled, error) {
	if ids == nil || !keepsData(plan.Format) {
		return nil, nil
	}
	var names []string
	for _, cs := range plan.Streams {
		st, _ := streams.Lookup(cs.Name)
		if _, _, ok := diffKeys(st); ok && !slices.Contains(names, cs.Name) {
			names = append(names, cs.Name)
		}
	}
	at := now().UTC().Format(time.RFC3339)
	var out []Reconciled
	var errs error
	for _, n := range names {
		rc, err := diffStream(ctx, o, plan, cl, ids, n, at, notice)
		if err != nil {
			rc.Err = err
			notice(fmt.Sprintf("%s: tombstoning children removed from their parents failed (they come with the next sync): %v", n, err))
			if errs == nil {
				errs = fmt.Errorf("%s: child diff: %w", n, err)
			}
		}
		if rc.Stream != "" {
			out = append(out, rc)
		}
	}
	return out, errs
}

func diffStream(ctx context.Context, o Options, plan Plan, cl *client.Client, ids *idset.Store, stream, at string, notice func(string)) (Reconciled, error) {
	rc := Reconciled{}
	cp, err := ids.BeginChildren(stream)
	if err != nil || cp == nil {
		return rc, err
	}
	defer cp.Abort() // after Commit: nothing left to remove
	rc.Stream = stream
	st, _ := streams.Lookup(stream)
	// The delivered ids lose the tombstoned children (begun at the first:
	// a diff without any costs no rewrite of the id set).
	var rm *idset.Pass
	defer func() {
		if rm != nil {
			rm.Abort()
		}
	}()
	// The tombstones wait in a temporary file (a diff may find many) until
	// the diff has written the new map.
	f, err := os.CreateTemp(o.State.IDsDir(), ".tombs-*")
	if err != nil {
		return rc, fmt.Errorf("child diff: %w", err)
	}
	os.Remove(f.Name()) // read back through the open file only
	defer f.Close()
	bw := bufio.NewWriter(f)
	err = cp.Diff(func(parent, child []byte) error {
		bw.Write(childTombstone(st, parent, child, at))
		bw.WriteByte('\n')
		if st.Reconciled() == nil {
			return nil
		}
		if rm == nil {
			var err error
			if rm, err = ids.BeginRemove(stream); err != nil {
				return err
			}
		}
		return rm.Present(child)
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && rm != nil {
		err = rm.Diff(func([]byte) error { return nil })
	}
	if err != nil {
		return rc, err
	}
	rc.Gone, rc.Kept = cp.Counts()
	passes := []sealer{cp}
	if rm != nil {
		passes = append(passes, rm)
	}
	var w output.Writer
	if _, saved := o.State.Streams()[stream]; !saved && rc.Gone > 0 {
		// No state: the next run starts the stream's data over here (and
		// the map with it); nothing to tombstone in.
		rc.Gone = 0
	}
	if rc.Gone > 0 {
		if w, err = openTombstones(ctx, plan, []string{stream}, o, cl, notice); err != nil {
			return rc, err
		}
	}
	err = writeTombstones(ctx, w, o.State, stream, "tombstones of children removed from their parents", func(yield func(json.RawMessage) error) error {
		if rc.Gone == 0 {
			return nil
		}
		if _, err := f.Seek(0, 0); err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if err := yield(json.RawMessage(append([]byte(nil), sc.Bytes()...))); err != nil {
				return err
			}
		}
		return sc.Err()
	}, passes...)
	if w != nil {
		if ferr := w.Finish(err); err == nil {
			err = ferr
		}
	}
	if err == nil && rc.Gone > 0 {
		notice(fmt.Sprintf("%s: %s removed from their %s since delivered here, tombstoned", stream, plural.Count(int64(rc.Gone), "record"), st.Parent.Streams()[0]))
	}
	return rc, err
}
