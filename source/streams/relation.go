package streams

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pdxhq/pdx/source/client"
)

// Relation declares a child stream: its records are read per batch of its
// parent stream's records, whose ids go into IDParam. The engine has one
// fan-out for every Relation, so a child is a row of the table.
type Relation struct {
	// Parents are the listings whose records are the parents, read one
	// after the other (deal_products: /deals and /deals/archived, since
	// archived deals are not on /deals). Each is a parentless stream of the
	// table, listed with its own request (version, path, sort, paging); its
	// primary key is the id. An incremental read keeps one cursor per
	// listing (see ParentUpdatedSince).
	Parents []ParentSource
	// IDParam names the parameter taking the parent ids: a query parameter
	// ("deal_ids"), or for IDInPath the placeholder in the child's Path
	// ("id" of "/deals/{id}/participants").
	IDParam string
	IDIn    IDIn
	// Batch is how many parent ids one request takes: the API's maximum
	// for a list (100 for deal_ids), 1 for IDInPath.
	Batch int
	// Changed is how an incremental read finds the parents whose children
	// changed.
	Changed Changes
	// ParentKey names the field that carries the parent's id in a child
	// record ("deal_id"). Where the API leaves it out (followers,
	// changelogs, flows), the engine adds it, so the parent is part of the
	// primary key. "" when the records already name their parent.
	ParentKey string
	// ParentParams are query params of the child request taken from the
	// parent record, for children read over a span their parent declares
	// (goal results over the goal's own period; today ends an open one).
	// Only with one parent per request.
	ParentParams func(parent []byte, today time.Time) (url.Values, error)
	// Optional marks a child the account's plan may not have (installments
	// are Growth and above): a 402 or 403 on its first request ends the
	// stream as not available on this plan, with a warning, instead of
	// failing the run; its state is left as it was.
	Optional bool
}

// ParentSource is one listing of parents: a stream of the table and the
// params that replace its fixed params of the same name while the parents
// are listed.
//
// A source without a Stream lists no parents: it is one read of the child
// itself with Params (a fixed fan-out: mail threads per folder, goals per
// assignee type), so the child reads every source's list in turn.
type ParentSource struct {
	Stream string
	Params url.Values
	// Name is the listing's key in the child's state (default: Stream), for
	// several listings of one stream (mail threads of each folder).
	Name string
}

// Key is the listing's key in the child's state.
func (p ParentSource) Key() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Stream
}

// Fixed reports whether the source is a fixed set of params of the child's
// own request rather than a listing of parents.
func (p ParentSource) Fixed() bool { return p.Stream == "" }

// Streams names the parent streams, in reading order, each once (none for
// a fixed fan-out).
func (r Relation) Streams() []string {
	var out []string
	for _, p := range r.Parents {
		if !p.Fixed() && (len(out) == 0 || out[len(out)-1] != p.Stream) {
			out = append(out, p.Stream)
		}
	}
	return out
}

// FixedOnly reports whether every source is fixed: a parentless list read
// once per set of params.
func (r Relation) FixedOnly() bool {
	for _, p := range r.Parents {
		if !p.Fixed() {
			return false
		}
	}
	return len(r.Parents) > 0
}

// IDIn is how the parent ids are passed, as the spec declares the
// parameter (style form; explode false or true; or in the path).
type IDIn uint8

const (
	// IDList: one query parameter, ids comma-joined (explode: false):
	// deal_ids=1,2,3.
	IDList IDIn = iota
	// IDRepeated: the query parameter once per id (explode: true):
	// deal_ids=1&deal_ids=2.
	IDRepeated
	// IDInPath: the parent id replaces {IDParam} in Path, one per request.
	IDInPath
	// IDOne: a query parameter taking one id (board_id of /phases), one
	// per request.
	IDOne
)

func (i IDIn) String() string {
	switch i {
	case IDRepeated:
		return "repeated query parameter"
	case IDInPath:
		return "path parameter"
	case IDOne:
		return "single-valued query parameter"
	}
	return "comma-joined query parameter"
}

// Changes is how a child stream finds the parents whose children changed.
type Changes uint8

const (
	// EveryParent: nothing tells which children changed, so every read
	// reads the children of every parent (full refresh only).
	EveryParent Changes = iota
	// ParentUpdatedSince: a change to a child bumps its parent's update
	// time (deal products and deals), so the children changed since T are
	// among those of the parents listed with updated_since=T. The parent
	// must be a ServerUpdatedSince stream paged by a v2 cursor (listed in
	// ascending update time, so a state is a real resume point). The
	// child's state is, per parent listing, the max parent update time
	// whose children were all emitted.
	ParentUpdatedSince
)

// ParentCursorHere: a change to a child moves its parent's cursor, but the
// parents' list takes no time filter (mail threads): every parent is
// listed, and the children of those whose cursor is at or after the
// listing's state are read. The state moves only when a listing is done
// (the list is not sorted by the cursor).
const ParentCursorHere Changes = ParentUpdatedSince + 1

func (c Changes) String() string {
	switch c {
	case ParentUpdatedSince:
		return "parent_updated_since"
	case ParentCursorHere:
		return "parent_cursor_here"
	}
	return "every_parent"
}

// Request is the list request of the stream: its fixed params and its sort,
// then extra (which replaces params of the same name).
func (s Stream) Request(extra url.Values) client.PageRequest {
	q := url.Values{}
	for _, src := range []url.Values{s.Params, s.SortParams, extra} {
		for k, vs := range src {
			q[k] = append([]string(nil), vs...)
		}
	}
	return client.PageRequest{Version: s.Version, Path: s.Path, Params: q, Paging: s.Paging, Limit: s.PageLimit, Cost: s.TokenCost, RecordsPath: s.RecordsPath}
}

// ChildRequest is the request of a child stream for one batch of parent
// ids (at most Parent.Batch of them; exactly one for IDInPath).
func (s Stream) ChildRequest(ids []string) (client.PageRequest, error) {
	rel := s.Parent
	if rel == nil {
		return client.PageRequest{}, fmt.Errorf("%s is not a child stream", s.Name)
	}
	if len(ids) == 0 || len(ids) > max(rel.Batch, 1) {
		return client.PageRequest{}, fmt.Errorf("%s: %d parent ids in one request, it takes 1 to %d", s.Name, len(ids), max(rel.Batch, 1))
	}
	switch rel.IDIn {
	case IDList:
		return s.Request(url.Values{rel.IDParam: {strings.Join(ids, ",")}}), nil
	case IDRepeated:
		return s.Request(url.Values{rel.IDParam: ids}), nil
	case IDOne:
		if len(ids) != 1 {
			return client.PageRequest{}, fmt.Errorf("%s: %d parent ids for the single-valued parameter %s", s.Name, len(ids), rel.IDParam)
		}
		return s.Request(url.Values{rel.IDParam: ids}), nil
	case IDInPath:
		if len(ids) != 1 {
			return client.PageRequest{}, fmt.Errorf("%s: %d parent ids for the path parameter %s", s.Name, len(ids), rel.IDParam)
		}
		req := s.Request(nil)
		ph := "{" + rel.IDParam + "}"
		if !strings.Contains(req.Path, ph) {
			return client.PageRequest{}, fmt.Errorf("%s: path %s has no %s", s.Name, req.Path, ph)
		}
		req.Path = strings.Replace(req.Path, ph, url.PathEscape(ids[0]), 1)
		return req, nil
	}
	return client.PageRequest{}, fmt.Errorf("%s: unknown id placement %d", s.Name, rel.IDIn)
}
