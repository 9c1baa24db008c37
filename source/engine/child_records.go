package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/internal/jsonscan"
)

// withParentKey returns recs with key set to the parent id where a record
// lacks it (followers, changelogs and flows do not name their parent, which
// is part of their primary key). An integer id is written as a number.
func withParentKey(recs []json.RawMessage, key, id string) []json.RawMessage {
	if key == "" {
		return recs
	}
	val, err := json.Marshal(id)
	if _, perr := strconv.ParseInt(id, 10, 64); perr == nil {
		val, err = []byte(id), nil
	}
	if err != nil {
		return recs
	}
	out := recs
	for i, r := range recs {
		if jsonscan.Field(r, key) != nil {
			continue
		}
		j := jsonscan.SkipSpace(r, 0)
		if j >= len(r) || r[j] != '{' {
			continue // not an object: left as it is (the sink reports it)
		}
		if &out[0] == &recs[0] {
			out = append([]json.RawMessage(nil), recs...)
		}
		b := make([]byte, 0, len(r)+len(key)+len(val)+4)
		b = append(b, '{', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		b = append(b, val...)
		if k := jsonscan.SkipSpace(r, j+1); k < len(r) && r[k] != '}' {
			b = append(b, ',')
		}
		b = append(b, r[j+1:]...)
		out[i] = b
	}
	return out
}

// notOnPlan reports whether err is an optional child's refusal by the
// account's plan: 402 (the feature is not on the plan) or 403.
func notOnPlan(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusPaymentRequired || ae.Status == http.StatusForbidden)
}

// unavailable ends an optional child stream refused by the plan on its
// first request: a warning, no records, the state left as it was (so the
// whole history is read once the plan has the feature).
func (r *streamRun) unavailable(ctx context.Context, err error) error {
	r.logf(ctx, LevelWarn, "not available on this plan (%v): no records read, state unchanged", err)
	return nil
}
