package app

// Delete reconciliation (issue 12 item 7): Pipedrive purges soft-deleted
// records after 30 days and then no list says they existed, so pdx keeps
// the ids it delivered to each destination (store/idset, appended by the
// saver as records are written) and, on --reconcile-deletes or every
// profile.ReconcileDeletesDays, lists the ids that exist now (the streams'
// ordinary full reads, bodies ignored) and writes one tombstone per
// delivered id that is gone: the primary key and "_pdx_deleted_at".

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/plural"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/idset"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/state"
)

// DeletedAt is the field a tombstone carries besides the primary key.
const DeletedAt = schema.DeletedAt

// testHookSealed, when set, runs once a stream's tombstones are durable
// and sealed, before its state is saved: an error there is a kill between
// the two (tests).
var testHookSealed func(stream string) error

// tombstoneBatch is how many tombstones go to the writer per Records event.
const tombstoneBatch = 500

// Reconciled is one stream's reconciliation.
type Reconciled struct {
	Stream string
	// Gone: delivered ids no longer listed, each tombstoned now; Kept: the
	// delivered ids still listed.
	Gone, Kept int
	Err        error
}

// openIDs opens the destination's id sets (nil for a state without a
// destination: standard output, the demo). A pass a crash interrupted is
// rolled forward only if the state saved the position its tombstones end at.
func openIDs(st *state.Profile) (*idset.Store, error) {
	dir := st.IDsDir()
	if dir == "" {
		return nil, nil
	}
	run := st.Run()
	return idset.Open(dir, func(stream, path string, size int64) bool {
		if size < 0 {
			return true
		}
		out, ok := run.Outputs[stream]
		return ok && out.Path == path && out.Size >= size
	})
}

// keysOf are the primary keys of a page's records, for the id journal.
func keysOf(stream string, recs []json.RawMessage) [][]byte {
	st, ok := streams.Lookup(stream)
	if !ok || st.Reconciled() == nil {
		return nil
	}
	out := make([][]byte, 0, len(recs))
	for _, r := range recs {
		if k, ok := engine.KeyOf(r, st.PrimaryKey[0]); ok {
			out = append(out, k)
		}
	}
	return out
}

// reconcileDue reports whether this run reconciles: asked for, or the
// profile's interval passed since the destination's last pass.
func reconcileDue(o Options, ids *idset.Store, now time.Time) bool {
	if o.ReconcileDeletes {
		return true
	}
	days := o.Profile.ReconcileDeletesDays
	if days <= 0 || ids == nil {
		return false
	}
	last, ok := ids.LastPass()
	return !ok || now.Sub(last) >= time.Duration(days)*24*time.Hour
}

// reconcile lists the planned reconcilable streams' ids and tombstones the
// gone ones into the destination. Only streams whose every listing
// completed are reconciled: a partial listing would make live ids look gone.
func reconcile(ctx context.Context, o Options, plan Plan, cl *client.Client, ids *idset.Store, skip map[string]bool, now func() time.Time, notice func(string)) ([]Reconciled, engine.Result, error) {
	if !keepsData(plan.Format) {
		return nil, engine.Result{}, fmt.Errorf("--reconcile-deletes: the %s format writes one file per run; use jsonl, csv or sqlite", plan.Format.Name)
	}
	passes, names, err := beginPasses(ids, plan.Streams, skip)
	defer func() {
		for _, p := range passes {
			p.Abort() // the committed ones are deleted from passes
		}
	}()
	if err != nil || len(passes) == 0 {
		return nil, engine.Result{}, err
	}
	failed, res, err := listPresent(ctx, cl, passes, plan.Concurrency, now, ids)
	if err != nil {
		return nil, res, err
	}
	w, err := openTombstones(ctx, plan, names, o, cl, notice)
	if err != nil {
		return nil, res, err
	}
	at := now().UTC().Format(time.RFC3339)
	var out []Reconciled
	for _, n := range names {
		rc := Reconciled{Stream: n, Err: listingFailed(n, failed)}
		st, _ := streams.Lookup(n)
		if rc.Err == nil {
			rc.Err = tombstone(ctx, w, o.State, passes[n], n, st.PrimaryKey[0], at)
		}
		if rc.Err == nil {
			rc.Err = commitListing(ids, n)
		}
		p := passes[n]
		rc.Gone, rc.Kept = p.Counts()
		if rc.Err != nil {
			rc.Gone = 0
			notice(fmt.Sprintf("%s: delete reconciliation failed: %v", n, rc.Err))
		} else {
			delete(passes, n)
			notice(fmt.Sprintf("%s: %s of %s delivered here gone from Pipedrive, tombstoned", n, plural.Count(int64(rc.Gone), "id"), strconv.Itoa(rc.Gone+rc.Kept)))
		}
		out = append(out, rc)
	}
	ferr := w.Finish(nil)
	for _, rc := range out {
		if rc.Err != nil {
			return out, res, errors.Join(ferr, fmt.Errorf("reconcile deletes: %s: %w", rc.Stream, rc.Err))
		}
	}
	if ferr == nil {
		ferr = ids.MarkPass(now())
	}
	return out, res, ferr
}

// beginPasses starts a pass for every reconcilable stream of cs not in skip.
func beginPasses(ids *idset.Store, cs []engine.ConfiguredStream, skip map[string]bool) (map[string]*idset.Pass, []string, error) {
	passes := map[string]*idset.Pass{}
	var names []string
	for _, c := range cs {
		st, _ := streams.Lookup(c.Name)
		if st.Reconciled() == nil || skip[c.Name] || passes[c.Name] != nil {
			continue
		}
		p, err := ids.Begin(c.Name)
		if err != nil {
			return passes, names, err
		}
		passes[c.Name] = p
		names = append(names, c.Name)
	}
	return passes, names, nil
}

// listPresent reads every listing the passes need in full (the streams'
// ordinary reads, 500 a page; only the keys are kept) and feeds each id to
// the passes of the streams it vouches for. failed are the listings that
// did not complete: their passes must not tombstone anything. With kids,
// a diffed child stream's listing (deal_products: every deal's products)
// is journaled as a full read of its child sets: once its pass commits,
// the map is what the listing found (see commitListing).
func listPresent(ctx context.Context, cl *client.Client, passes map[string]*idset.Pass, concurrency int, now func() time.Time, kids *idset.Store) (map[string]bool, engine.Result, error) {
	byListing := map[string][]string{}
	for n := range passes {
		st, _ := streams.Lookup(n)
		for _, l := range st.Reconciled() {
			byListing[l] = append(byListing[l], n)
		}
	}
	var listing []engine.ConfiguredStream
	for _, s := range streams.Names() {
		if byListing[s] != nil {
			listing = append(listing, engine.ConfiguredStream{Name: s, Mode: engine.FullRefresh})
		}
	}
	var mu sync.Mutex
	failed := map[string]bool{}
	journaled := map[string]idset.Start{}
	if kids != nil {
		for n := range passes {
			st, _ := streams.Lookup(n)
			if _, _, ok := diffKeys(st); ok && slices.Contains(st.Reconciled(), n) {
				journaled[n] = idset.Full
			}
		}
	}
	collect := engine.SinkFunc(func(_ context.Context, ev engine.Event) error {
		if err := journalChildren(kids, journaled, ev); err != nil {
			return err
		}
		switch ev.Kind {
		case engine.Records:
			st, _ := streams.Lookup(ev.Stream)
			mu.Lock()
			defer mu.Unlock()
			for _, r := range ev.Records {
				k, ok := engine.KeyOf(r, st.PrimaryKey[0])
				if !ok {
					continue
				}
				for _, n := range byListing[ev.Stream] {
					if err := passes[n].Present(k); err != nil {
						return err
					}
				}
			}
		case engine.StreamIncomplete:
			mu.Lock()
			failed[ev.Stream] = true
			mu.Unlock()
		}
		return nil
	})
	// The observers (UI, progress lines) are not told: they would see the
	// streams start a second time; the notices say what the pass found.
	res, err := engine.Run(ctx, engine.Options{Client: cl, Streams: listing, Sink: collect, Now: now, Concurrency: concurrency})
	if err != nil {
		return failed, res, fmt.Errorf("reconcile deletes: list ids: %w", err)
	}
	for _, r := range res.Streams {
		if !r.Complete {
			failed[r.Name] = true
		}
	}
	return failed, res, nil
}

// commitListing makes a diffed child stream's map what its reconciled
// listing found (journaled by listPresent), once the pass committed: the
// children the pass tombstoned (removed without their parent's
// update_time moving, or of purged parents) leave the map with it, so no
// later child diff tombstones them again. A listing that did not complete
// has no "$" and counts for nothing.
func commitListing(ids *idset.Store, stream string) error {
	st, _ := streams.Lookup(stream)
	if _, _, ok := diffKeys(st); !ok {
		return nil
	}
	cp, err := ids.BeginChildren(stream)
	if err != nil || cp == nil {
		return err
	}
	defer cp.Abort()
	// A full read tombstones nothing of the map (the pass did); only a
	// parent the listing read twice could lose a child here, and the
	// listing vouched for it once already.
	if err := cp.Diff(func(_, _ []byte) error { return nil }); err != nil {
		return err
	}
	if err := cp.Seal("", -1); err != nil {
		return err
	}
	return cp.Commit()
}

// listingFailed says why stream's pass must not tombstone (nil: it may).
func listingFailed(stream string, failed map[string]bool) error {
	st, _ := streams.Lookup(stream)
	for _, l := range st.Reconciled() {
		if failed[l] {
			return fmt.Errorf("the %s listing did not complete: nothing tombstoned", l)
		}
	}
	return nil
}

// tombstoneJSON is the tombstone of id (raw JSON) in a stream keyed by key.
func tombstoneJSON(key string, id []byte, at string) json.RawMessage {
	return json.RawMessage(`{"` + key + `":` + string(id) + `,"` + DeletedAt + `":"` + at + `"}`)
}

// tombstone hands stream's gone ids to w and commits the pass: the
// tombstones are durable (Checkpoint), the pass sealed at their end, the
// state saved at that position, then the new set replaces the old.
func tombstone(ctx context.Context, w output.Writer, st *state.Profile, p *idset.Pass, stream, key, at string) error {
	return writeTombstones(ctx, w, st, stream, "delete reconciliation: tombstones", func(yield func(json.RawMessage) error) error {
		return p.Diff(func(id []byte) error { return yield(tombstoneJSON(key, id, at)) })
	}, p)
}

// sealer is a pass that commits once its tombstones are durable (an id
// set's or a child set's).
type sealer interface {
	Seal(path string, size int64) error
	Commit() error
}

// writeTombstones hands the tombstones diff yields to w (in batches; w
// nil: there must be none) and commits passes: the tombstones are durable
// (Checkpoint), each pass sealed at their end, the state saved at that
// position, then the passes commit. A kill before the state is saved
// leaves the passes to be redone and the output cut back to the saved
// position on the next run: each tombstone is written once.
func writeTombstones(ctx context.Context, w output.Writer, st *state.Profile, stream, msg string, diff func(yield func(json.RawMessage) error) error, passes ...sealer) error {
	saved := st.Streams()[stream]
	var batch []json.RawMessage
	n := 0
	started := false
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if !started {
			// Every writer sees a stream start before its records.
			started = true
			if err := w.Emit(ctx, engine.Event{Kind: engine.StreamStarted, Stream: stream, Message: msg}); err != nil {
				return err
			}
		}
		err := w.Emit(ctx, engine.Event{Kind: engine.Records, Stream: stream, Records: batch})
		batch = batch[:0]
		return err
	}
	err := diff(func(t json.RawMessage) error {
		n++
		batch = append(batch, t)
		if len(batch) >= tombstoneBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	seal := func(path string, size int64) error {
		for _, p := range passes {
			if err := p.Seal(path, size); err != nil {
				return err
			}
		}
		return nil
	}
	commit := func() error {
		for _, p := range passes {
			if err := p.Commit(); err != nil {
				return err
			}
		}
		return nil
	}
	if n == 0 {
		if err := seal("", -1); err != nil {
			return err
		}
		return commit()
	}
	if err := w.Emit(ctx, engine.Event{Kind: engine.Checkpoint, Stream: stream, State: saved}); err != nil {
		return err
	}
	pos := position(w, stream)
	if pos == nil {
		err = seal("", -1)
	} else {
		err = seal(pos.Path, pos.Size)
	}
	if err != nil {
		return err
	}
	if testHookSealed != nil {
		if err := testHookSealed(stream); err != nil {
			return err
		}
	}
	if err := st.Checkpoint(stream, saved, pos); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := commit(); err != nil {
		return err
	}
	return w.Emit(ctx, engine.Event{Kind: engine.StreamComplete, Stream: stream})
}

// openTombstones opens the destination to append to streams: never fresh
// (the data there stays), resuming at the saved position where known.
func openTombstones(ctx context.Context, plan Plan, names []string, o Options, cl *client.Client, notice func(string)) (output.Writer, error) {
	t := output.Target{Dir: plan.OutDir, Streams: names, Secrets: secretsOf(o.Secret), Stdout: os.Stdout,
		Notice: func(_, msg string) { notice(msg) }, Specs: map[string]output.Stream{}}
	if d, ok := o.State.Dest(); ok {
		t.Dir = d.Dir
	}
	for _, n := range names {
		size := int64(-1)
		if !plan.Format.OneFile {
			size = o.State.ResumeSize(n, plan.Format.StreamPath(t.Dir, n))
		}
		t.Specs[n] = output.Stream{ResumeSize: size}
	}
	// The same columns as the sync's writer (CSV appends under its header);
	// tombstones carry no custom field to decode.
	book, err := loadNames(o.State)
	if err != nil {
		return nil, err
	}
	x := &decoders{ctx: ctx, fields: NewFields(cl), book: book, notice: notice, rawIDs: plan.RawIDs,
		save: func() error { return saveNames(o.State, book) }}
	t.Columns, t.Decoder = x.columns, x.decoder
	w, err := plan.Format.Open(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("reconcile deletes: open %s: %w", strings.TrimSpace(plan.Format.Name), err)
	}
	return w, nil
}
