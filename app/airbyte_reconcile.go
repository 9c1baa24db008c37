package app

// Delete reconciliation in `pdx read` (config reconcile_deletes): the
// platform's state cannot hold a million ids, so they live in the config's
// ids_dir. The listing runs before the read (records delivered by the read
// itself go to a newer journal, see idset.Begin); each stream's tombstones
// are RECORDs right after it starts, before its first STATE, and its pass
// commits once the stream completed (a failed stream's tombstones come
// again next read, as its records do).
//
// With ids_dir set (reconcile_deletes or not) a read also keeps the
// delivered ids and diffs child sets (reconcile_children.go): when a
// diffed stream ends, the children its re-read parents lost are RECORD
// tombstones followed by a STATE (the stream's last, so the platform
// commits them), then the map commits. A read killed between that STATE
// and the commit sends those tombstones again next read: a duplicate
// tombstone, accepted (same primary key, idempotent in a deduplicated
// destination), since the platform's state cannot say how far it got.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/idset"
)

// readReconcile wraps the read's sink: it journals what the read delivers
// and emits the tombstones found by the listing.
type readReconcile struct {
	inner  engine.Sink
	raw    engine.Sink // the protocol sink under inner's decoding, for tombstones
	ids    *idset.Store
	mu     sync.Mutex
	passes map[string]*idset.Pass
	tombs  map[string]*os.File // stream → its tombstones, one JSON a line
	sent   map[string]bool
	kids   map[string]idset.Start     // the diffed streams, how each starts
	last   map[string]json.RawMessage // stream → its last STATE's state (the input state before one)
}

// startReadReconcile opens cfg's ids, lists the configured reconcilable
// streams' ids and prepares their tombstones; nil when not configured.
func startReadReconcile(ctx context.Context, cfg *airbyte.Config, rs []engine.ConfiguredStream, state map[string]json.RawMessage, cl *client.Client, inner, raw engine.Sink, concurrency int) (*readReconcile, error) {
	if cfg == nil || cfg.IDsDir == "" {
		return nil, nil
	}
	ids, err := idset.Open(cfg.IDsDir, func(string, string, int64) bool { return true })
	if err != nil {
		return nil, err
	}
	r := &readReconcile{inner: inner, raw: raw, ids: ids, tombs: map[string]*os.File{}, sent: map[string]bool{},
		kids: childStartsOf(rs, state), last: map[string]json.RawMessage{}}
	for n, st := range state {
		r.last[n] = st
	}
	if !cfg.ReconcileDeletes {
		return r, nil
	}
	passes, names, err := beginPasses(ids, rs, nil)
	r.passes = passes
	if err != nil {
		r.finish(nil)
		return nil, err
	}
	failed, _, err := listPresent(ctx, cl, passes, concurrency, time.Now, nil)
	if err != nil {
		r.finish(nil)
		return nil, err
	}
	at := time.Now().UTC().Format(time.RFC3339)
	for _, n := range names {
		if err := listingFailed(n, failed); err != nil {
			passes[n].Abort()
			delete(passes, n)
			continue
		}
		f, err := os.CreateTemp(cfg.IDsDir, ".tombs-*")
		if err != nil {
			r.finish(nil)
			return nil, fmt.Errorf("reconcile deletes: %w", err)
		}
		os.Remove(f.Name()) // read back through the open file only
		r.tombs[n] = f
		st, _ := streams.Lookup(n)
		w := bufio.NewWriter(f)
		err = passes[n].Diff(func(id []byte) error {
			w.Write(tombstoneJSON(st.PrimaryKey[0], id, at))
			return w.WriteByte('\n')
		})
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			r.finish(nil)
			return nil, fmt.Errorf("reconcile deletes: %s: %w", n, err)
		}
	}
	return r, nil
}

// Emit forwards ev; a reconciled stream's tombstones follow its start, a
// diffed stream's child tombstones come before its end.
func (r *readReconcile) Emit(ctx context.Context, ev engine.Event) error {
	switch ev.Kind {
	case engine.Checkpoint:
		// The journals before the STATE that moves past their records.
		if err := r.ids.Sync(); err != nil {
			return err
		}
		if len(ev.State) > 0 {
			r.mu.Lock()
			r.last[ev.Stream] = append(json.RawMessage(nil), ev.State...)
			r.mu.Unlock()
		}
	case engine.StreamComplete, engine.StreamIncomplete:
		if err := journalChildren(r.ids, r.kids, ev); err != nil {
			return err
		}
		if err := r.diffChildren(ctx, ev.Stream); err != nil {
			return err
		}
	}
	if err := r.inner.Emit(ctx, ev); err != nil {
		return err
	}
	switch ev.Kind {
	case engine.StreamStarted:
		if err := journalChildren(r.ids, r.kids, ev); err != nil {
			return err
		}
		return r.send(ctx, ev.Stream)
	case engine.Records:
		if err := journalChildren(r.ids, r.kids, ev); err != nil {
			return err
		}
		return r.ids.Add(ev.Stream, keysOf(ev.Stream, ev.Records))
	case engine.ParentsCovered:
		return journalChildren(r.ids, r.kids, ev)
	}
	return nil
}

// diffChildren sends the tombstones of the children stream's re-read
// parents lost, then its last state again, and commits the map.
func (r *readReconcile) diffChildren(ctx context.Context, stream string) error {
	if _, ok := r.kids[stream]; !ok {
		return nil
	}
	cp, err := r.ids.BeginChildren(stream)
	if err != nil || cp == nil {
		return err
	}
	defer cp.Abort()
	st, _ := streams.Lookup(stream)
	r.mu.Lock()
	reconciling, last := r.passes[stream] != nil, r.last[stream]
	r.mu.Unlock()
	// The delivered ids lose the tombstoned children, begun at the first
	// (not while this read's reconciliation holds the stream's set: then
	// the next reconciliation may tombstone them again, a duplicate).
	var rm *idset.Pass
	defer func() {
		if rm != nil {
			rm.Abort()
		}
	}()
	at := time.Now().UTC().Format(time.RFC3339)
	var batch []json.RawMessage
	n := 0
	flush := func() error {
		if len(batch) == 0 || last == nil {
			// No state to send after them: the stream has none, so its data
			// starts over in the destination next read (and the map with
			// it); nothing to tombstone in.
			batch = nil
			return nil
		}
		err := r.raw.Emit(ctx, engine.Event{Kind: engine.Records, Stream: stream, Records: batch})
		batch = nil
		return err
	}
	err = cp.Diff(func(parent, child []byte) error {
		n++
		batch = append(batch, childTombstone(st, parent, child, at))
		if st.Reconciled() != nil && !reconciling {
			if rm == nil {
				var err error
				if rm, err = r.ids.BeginRemove(stream); err != nil {
					return err
				}
			}
			if err := rm.Present(child); err != nil {
				return err
			}
		}
		if len(batch) >= tombstoneBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil && rm != nil {
		err = rm.Diff(func([]byte) error { return nil })
	}
	if err == nil && n > 0 && last != nil {
		err = r.raw.Emit(ctx, engine.Event{Kind: engine.Checkpoint, Stream: stream, State: last, Count: int64(n)})
	}
	if err != nil {
		return fmt.Errorf("%s: child diff: %w", stream, err)
	}
	passes := []sealer{cp}
	if rm != nil {
		passes = append(passes, rm)
	}
	for _, p := range passes {
		if err := p.Seal("", -1); err != nil {
			return err
		}
		if err := p.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func (r *readReconcile) send(ctx context.Context, stream string) error {
	r.mu.Lock()
	f := r.tombs[stream]
	r.mu.Unlock()
	if f == nil {
		return nil
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	sc := bufio.NewScanner(f)
	var batch []json.RawMessage
	for sc.Scan() {
		batch = append(batch, json.RawMessage(append([]byte(nil), sc.Bytes()...)))
		if len(batch) == tombstoneBatch {
			if err := r.raw.Emit(ctx, engine.Event{Kind: engine.Records, Stream: stream, Records: batch}); err != nil {
				return err
			}
			batch = nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reconcile deletes: %s: %w", stream, err)
	}
	if len(batch) > 0 {
		if err := r.raw.Emit(ctx, engine.Event{Kind: engine.Records, Stream: stream, Records: batch}); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.sent[stream] = true
	r.mu.Unlock()
	return nil
}

// finish commits the passes of the streams that completed after their
// tombstones were sent and drops the others.
func (r *readReconcile) finish(res *engine.Result) error {
	complete := map[string]bool{}
	if res != nil {
		for _, s := range res.Streams {
			complete[s.Name] = s.Complete
		}
	}
	var err error
	for n, p := range r.passes {
		if r.sent[n] && complete[n] {
			if err = p.Seal("", -1); err == nil {
				err = p.Commit()
			}
		}
		p.Abort()
	}
	for _, f := range r.tombs {
		f.Close()
	}
	if cerr := r.ids.Close(); err == nil {
		err = cerr
	}
	return err
}
