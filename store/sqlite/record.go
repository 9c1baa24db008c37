package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pdxhq/pdx/source/engine"
)

// write upserts one record (or files it in the stage of a full refresh).
func (s *Sink) write(ctx context.Context, t *table, rec []byte) error {
	vals := t.vals
	for i := range vals {
		vals[i] = nil
	}
	var deleted, cursor []byte
	others := 0
	err := members(rec, func(k, v []byte) error {
		if string(k) == colDeletedAt {
			deleted = v
			return nil
		}
		if t.cursor != "" && string(k) == t.cursor {
			cursor = v
		}
		var idx []int
		var subs map[string][]int
		kc := t.keys[string(k)]
		if kc != nil {
			idx, subs = kc.whole, kc.subs
		}
		if kc == nil || !kc.pk {
			others++
		}
		if idx == nil && subs == nil {
			if v[0] == 'n' {
				return nil // null: nothing to store, no column needed yet
			}
			i, err := s.addColumn(ctx, t, keyString(k), inferType(v))
			if err != nil {
				return err
			}
			// The statement was prepared again with one more parameter.
			copy(t.vals, vals)
			vals = t.vals
			idx = []int{i}
		}
		for _, i := range idx {
			x, err := value(&t.cols[i], v)
			if err != nil {
				return recordError{fmt.Errorf("field %s: %w", k, err)}
			}
			vals[i] = x
		}
		if subs != nil && v[0] == '{' {
			return members(v, func(sk, sv []byte) error {
				for _, i := range subs[string(sk)] {
					x, err := value(&t.cols[i], sv)
					if err != nil {
						return recordError{fmt.Errorf("field %s.%s: %w", k, sk, err)}
					}
					vals[i] = x
				}
				return nil
			})
		}
		return nil
	})
	if errors.Is(err, errBadJSON) {
		return recordError{err}
	}
	if err != nil {
		return err // a recordError, or the database's
	}
	for _, p := range t.pk {
		if vals[p] == nil {
			return recordError{fmt.Errorf("a record has no %s (its primary key)", t.cols[p].Key)}
		}
		if _, isInt := vals[p].(int64); t.cols[p].Type == Integer && !isInt {
			// SQLite would refuse it as a rowid, failing the transaction.
			return recordError{fmt.Errorf("a record's %s is not an integer: %v", t.cols[p].Key, vals[p])}
		}
	}
	var del any
	if deleted != nil && deleted[0] != 'n' {
		x, err := value(&Column{Type: DateTime}, deleted)
		if err != nil {
			return recordError{fmt.Errorf("field %s: %w", colDeletedAt, err)}
		}
		del = x
	}
	if del != nil && others == 0 {
		if t.staging {
			// A full refresh drops the rows it does not see anyway.
			return nil
		}
		args := make([]any, 0, len(t.pk)+2)
		for _, p := range t.pk {
			args = append(args, vals[p])
		}
		args = append(args, del)
		if t.history {
			args = append(args, s.validFrom(deleted))
		}
		if err := s.flush(ctx, t); err != nil { // the records before it first
			return err
		}
		if _, err := t.tomb.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("write tombstone: %w", err)
		}
		return nil
	}
	if err := t.decodeReadable(rec); err != nil {
		return recordError{fmt.Errorf("readable custom fields: %w", err)}
	}
	if t.history {
		vf := cursor
		if del != nil {
			vf = deleted
		}
		vals[len(vals)-2], vals[len(vals)-1] = del, s.validFrom(vf)
	} else {
		vals[len(vals)-1] = del
	}
	return s.queue(ctx, t)
}

// validFrom dates a version: the JSON time raw (update_time, a deletion
// time) as RFC 3339 UTC, the run's start when there is none.
func (s *Sink) validFrom(raw []byte) string {
	if isUTCStamp(raw) {
		// Already what stamp writes (v2's update_time): no parse, no copy.
		return str(raw[1 : len(raw)-1])
	}
	if len(raw) > 2 && raw[0] == '"' {
		if x, err := text(raw); err == nil {
			if tm, err := engine.ParseTime(x); err == nil {
				return stamp(tm)
			}
			return strings.Clone(x)
		}
	}
	return stamp(s.started)
}

// isUTCStamp: raw is the JSON string of a time as stamp writes it,
// "2006-01-02T15:04:05Z" with digits where the layout has them.
func isUTCStamp(raw []byte) bool {
	const layout = `"dddd-dd-ddTdd:dd:ddZ"`
	if len(raw) != len(layout) {
		return false
	}
	for i := range len(layout) {
		if c := raw[i]; layout[i] == 'd' && (c < '0' || c > '9') || layout[i] != 'd' && c != layout[i] {
			return false
		}
	}
	return true
}
