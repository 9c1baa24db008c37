package client

// Guards on what a list answers, so a faulty API, cache or proxy ends in a
// loud failure instead of a read that silently skips, repeats or never ends
// (issue 11). Each one is a condition Pipedrive's API never produces:
//   - an empty (or null) page that says more follow: retried like a
//     truncated body, since whatever it skipped would be lost for good (an
//     incremental state moves past it);
//   - a cursor seen before in the same read (a cycle A -> B -> A), a v1
//     next offset inside the page just read (overlapping pages), or a page
//     that repeats the previous one: the read would duplicate records or
//     loop until the budget is gone;
//   - more records than any Pipedrive account holds (PageRequest.MaxRecords).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"

	"github.com/pdxhq/pdx/source/internal/jsonscan"
)

// DefaultMaxRecords bounds one read when PageRequest.MaxRecords is 0. The
// largest Pipedrive accounts hold a few million records of an entity; a list
// that goes on far beyond that is a pagination loop, not data.
const DefaultMaxRecords = 50_000_000

// errEmptyMore is a page without records whose pagination says more
// follow. It is retried like a truncated body, then fails the read.
var errEmptyMore = errors.New("the API returned a page with no records (data null or empty) yet said more follow; nothing after it can be trusted to be complete")

// PagingError is a list whose pagination cannot be right: a cycle, an
// overlap, a repeated page or a read past any plausible size. Retrying the
// same position gives the same answer, so it fails at once.
type PagingError struct {
	Op     string
	Page   int
	Reason string
}

func (e *PagingError) Error() string {
	return fmt.Sprintf("%s: page %d: %s; the read was stopped so no record is duplicated or skipped", e.Op, e.Page, e.Reason)
}

// pageGuard follows one Pages read. It is used by the goroutine that hands
// pages to fn, one page at a time.
type pageGuard struct {
	op      string
	max     int
	seed    maphash.Seed
	cursors map[uint64]struct{} // hashes of the v2 cursors requested so far
	records int
	prev    pageSig
}

func newPageGuard(op string, req PageRequest) *pageGuard {
	g := &pageGuard{op: op, max: req.MaxRecords, seed: maphash.MakeSeed(), cursors: map[uint64]struct{}{}}
	if g.max <= 0 {
		g.max = DefaultMaxRecords
	}
	if req.Cursor != "" {
		g.cursors[maphash.String(g.seed, req.Cursor)] = struct{}{}
	}
	return g
}

// check is called with each page before it is handed over, and r.cursor /
// r.start say where the next page would start.
func (g *pageGuard) check(req PageRequest, start int, r pageResult) error {
	p := r.page
	fail := func(format string, args ...any) error {
		return &PagingError{Op: g.op, Page: p.Number, Reason: fmt.Sprintf(format, args...)}
	}
	g.records += len(p.Records)
	if g.records > g.max {
		return fail("more than %d records in one read, beyond what any Pipedrive account holds: the pagination does not end", g.max)
	}
	sig := signature(p.Records)
	if p.Number > 1 && sig.n > 0 && sig == g.prev {
		return fail("it repeats the previous page (%d records, the same first and last)", sig.n)
	}
	g.prev = sig
	if !r.more {
		return nil
	}
	switch req.Paging {
	case V2Cursor:
		h := maphash.String(g.seed, r.cursor)
		if _, seen := g.cursors[h]; seen {
			return fail("the API returned a cursor it had already returned in this read (a pagination cycle)")
		}
		g.cursors[h] = struct{}{}
	case V1Offset:
		if end := start + len(p.Records); r.start < end {
			return fail("the next offset %d overlaps this page (offsets %d to %d)", r.start, start, end-1)
		}
	}
	return nil
}

// pageSig identifies a page cheaply: its size and its first and last
// records' ids (the whole record when it has no id). Hashes, so the
// previous page's body is not kept alive.
type pageSig struct {
	n           int
	first, last uint64
}

var sigSeed = maphash.MakeSeed()

func signature(recs []json.RawMessage) pageSig {
	if len(recs) == 0 {
		return pageSig{}
	}
	key := func(rec []byte) uint64 {
		if id := jsonscan.Field(rec, "id"); id != nil {
			rec = id
		}
		return maphash.Bytes(sigSeed, bytes.TrimSpace(rec))
	}
	return pageSig{n: len(recs), first: key(recs[0]), last: key(recs[len(recs)-1])}
}
