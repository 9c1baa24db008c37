package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/pdxhq/pdx/source/internal/jsonscan"
)

// Paging says how a list endpoint pages.
type Paging uint8

const (
	// NoPaging: one request returns the whole list (users, filters, ...).
	NoPaging Paging = iota
	// V2Cursor: limit + opaque cursor, until additional_data.next_cursor is null.
	V2Cursor
	// V1Offset: start + limit, until pagination.more_items_in_collection is false.
	V1Offset
)

func (p Paging) String() string {
	switch p {
	case V2Cursor:
		return "v2_cursor"
	case V1Offset:
		return "v1_offset"
	}
	return "none"
}

// PageRequest describes one list read.
type PageRequest struct {
	Version Version
	Path    string     // "/deals"
	Params  url.Values // fixed and filter params (not limit/cursor/start)
	Paging  Paging
	Limit   int // page size (default 500; the API's maximum)
	Cost    int // x-token-cost of the operation
	// Start is the first offset for V1Offset, Cursor the first cursor for
	// V2Cursor (both normally empty).
	Start  int
	Cursor string
	// MaxPages stops after that many pages (0: read to the end).
	MaxPages int
	// RecordsPath is where the records are when "data" is not the list:
	// the name of an array inside data ("goals" of /goals/find), or
	// RecordIsData when data is the one record (/goals/{id}/results).
	RecordsPath string
	// MaxRecords fails a read that goes on beyond that many records (0:
	// DefaultMaxRecords): see guard.go.
	MaxRecords int
}

// RecordIsData is the RecordsPath of an answer whose data is one record.
const RecordIsData = "."

// Page is one answer of a list. Records alias Raw: they stay valid only
// until fn returns unless the caller keeps Raw alive (it is never reused).
type Page struct {
	Number  int               // 1-based
	Records []json.RawMessage // the items of "data", split without decoding them
	Raw     []byte            // the whole response body
	Bytes   int
	Cost    int
	// Next is where the following page starts: the v2 cursor, or the v1 start
	// offset; "" on the last page.
	Next string
}

// envelope is the part of a list answer the pager reads. Records stay raw.
type envelope struct {
	Success        *bool             `json:"success"`
	AdditionalData *additionalData   `json:"additional_data"`
	records        []json.RawMessage `json:"-"`
}

type additionalData struct {
	NextCursor *string     `json:"next_cursor"`
	Pagination *pagination `json:"pagination"`
	// /leads and /leads/archived put the pagination fields directly in
	// additional_data (per the spec).
	pagination
}

type pagination struct {
	Start                 int  `json:"start"`
	Limit                 int  `json:"limit"`
	MoreItemsInCollection bool `json:"more_items_in_collection"`
	NextStart             *int `json:"next_start"`
}

// v1 returns the offset pagination block, nested or flat.
func (ad *additionalData) v1() *pagination {
	if ad == nil {
		return nil
	}
	if ad.Pagination != nil {
		return ad.Pagination
	}
	return &ad.pagination
}

// saysMore reports whether the answer's pagination says another page follows.
func (env *envelope) saysMore(p Paging) bool {
	ad := env.AdditionalData
	switch p {
	case V2Cursor:
		return ad != nil && ad.NextCursor != nil && *ad.NextCursor != ""
	case V1Offset:
		pg := ad.v1()
		return pg != nil && pg.MoreItemsInCollection
	}
	return false
}

// parseEnvelope reads a list answer in one fast structural pass: the top-level
// keys are walked, "data" is split into raw records (sub-slices of body, no
// copy, no decode) and only the small additional_data is decoded. encoding/json
// would scan the body three times (validate, skip, copy) and dominated the
// engine's CPU. The pass validates the body as it goes (jsonscan checks the
// grammar of every value it skips or splits), so a truncated, reset or
// malformed body is reported as such and retried by do, and every record
// handed over is valid JSON.
func parseEnvelope(body []byte) (*envelope, error) { return parseEnvelopeAt(body, "") }

// parseEnvelopeAt is parseEnvelope with the records at recordsPath (see
// PageRequest.RecordsPath): a null or absent array there is no records.
func parseEnvelopeAt(body []byte, recordsPath string) (*envelope, error) {
	var env envelope
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, notJSON(body)
	}
	i++
	for first := true; ; first = false {
		i = jsonscan.SkipSpace(body, i)
		if i >= len(body) {
			return nil, errTruncated
		}
		if body[i] == '}' && first {
			i++
			break
		}
		if body[i] != '"' {
			return nil, errTruncated
		}
		kEnd := jsonscan.SkipString(body, i)
		if kEnd < 0 {
			return nil, errTruncated
		}
		key := body[i+1 : kEnd-1]
		i = jsonscan.SkipSpace(body, kEnd)
		if i >= len(body) || body[i] != ':' {
			return nil, errTruncated
		}
		i = jsonscan.SkipSpace(body, i+1)
		if i >= len(body) {
			return nil, errTruncated
		}
		var end int
		var err error
		switch string(key) {
		case "data":
			if recordsPath != "" {
				end = jsonscan.SkipValue(body, i)
				if end >= 0 {
					env.records, err = recordsAt(body[i:end], recordsPath)
				}
			} else if body[i] == '[' {
				env.records, end = jsonscan.SplitArray(body, i)
			} else {
				end = jsonscan.SkipValue(body, i)
				if end >= 0 && string(body[i:end]) != "null" {
					err = errNotList
				}
			}
		case "additional_data":
			end = jsonscan.SkipValue(body, i)
			if end >= 0 && body[i] == '{' {
				env.AdditionalData = new(additionalData)
				if json.Unmarshal(body[i:end], env.AdditionalData) != nil {
					err = errTruncated
				}
			}
		case "success":
			end = jsonscan.SkipValue(body, i)
			if end >= 0 {
				ok := string(body[i:end]) != "false"
				env.Success = &ok
			}
		default:
			end = jsonscan.SkipValue(body, i)
		}
		if end < 0 {
			return nil, errTruncated
		}
		if err != nil {
			return nil, err
		}
		i = jsonscan.SkipSpace(body, end)
		if i >= len(body) {
			return nil, errTruncated
		}
		if body[i] == ',' {
			i++
			continue
		}
		if body[i] != '}' {
			return nil, errTruncated
		}
		i++
		break
	}
	if jsonscan.SkipSpace(body, i) != len(body) {
		return nil, errTruncated
	}
	return &env, nil
}

// Pages reads a list page by page and calls fn for each page in order. It
// stops at the first error (fn's errors are returned unwrapped).
//
// While fn handles page n, page n+1 is already being fetched (its position
// is known once page n is parsed), so the sink's work overlaps the network
// instead of adding to it. At most one page is prefetched; it goes through
// the same limiter and budget. When fn fails the prefetch is cancelled.
// Observers may therefore be called from the prefetching goroutine while fn
// runs. MaxPages limits the read (no prefetch beyond it).
func (c *Client) Pages(ctx context.Context, req PageRequest, fn func(Page) error) error {
	if req.Limit <= 0 {
		req.Limit = 500
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req.MaxRecords = c.MaxRecords(req)
	guard := newPageGuard("GET "+c.prefix(req.Version)+req.Path, req)
	start := req.Start
	cur := c.fetchPage(ctx, req, 1, req.Cursor, req.Start)
	for {
		if cur.err != nil {
			return cur.err
		}
		if err := ctx.Err(); err != nil {
			return err // a prefetched page is not handed over after a cancel
		}
		if err := guard.check(req, start, cur); err != nil {
			return err
		}
		start = cur.start
		var pending chan pageResult
		if cur.more && (req.MaxPages <= 0 || cur.page.Number < req.MaxPages) {
			pending = make(chan pageResult, 1)
			next := cur
			go func() { pending <- c.fetchPage(pctx, req, next.page.Number+1, next.cursor, next.start) }()
		}
		if err := fn(cur.page); err != nil {
			if pending != nil {
				cancel()
				<-pending
			}
			return err
		}
		if pending == nil {
			return nil
		}
		cur = <-pending
	}
}

// pageResult is one fetched page and where the next one starts.
type pageResult struct {
	page   Page
	more   bool
	cursor string // next v2 cursor
	start  int    // next v1 offset
	err    error
}

func (c *Client) fetchPage(ctx context.Context, req PageRequest, n int, cursor string, start int) pageResult {
	q := make(url.Values, len(req.Params)+2)
	for k, vs := range req.Params {
		q[k] = append([]string(nil), vs...)
	}
	switch req.Paging {
	case V2Cursor:
		q.Set("limit", strconv.Itoa(req.Limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
	case V1Offset:
		q.Set("start", strconv.Itoa(start))
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	var env *envelope
	resp, err := c.do(ctx, req.Version, req.Path, q, req.Cost, func(body []byte) error {
		e, err := parseEnvelopeAt(body, req.RecordsPath)
		if err != nil {
			return err
		}
		if len(e.records) == 0 && e.saysMore(req.Paging) {
			return errEmptyMore
		}
		env = e
		return nil
	})
	if err != nil {
		return pageResult{err: err}
	}
	if env.Success != nil && !*env.Success {
		return pageResult{err: &APIError{Status: resp.Status, Op: "GET " + c.prefix(req.Version) + req.Path, Message: c.scrub(errorMessage(resp.Body))}}
	}
	r := pageResult{page: Page{Number: n, Records: env.records, Raw: resp.Body, Bytes: len(resp.Body), Cost: req.Cost}}
	switch req.Paging {
	case V2Cursor:
		if env.saysMore(V2Cursor) {
			// A cursor seen before (this one or any earlier) is caught by
			// the read's pageGuard.
			r.cursor, r.more = *env.AdditionalData.NextCursor, true
			r.page.Next = r.cursor
		}
	case V1Offset:
		if env.saysMore(V1Offset) {
			pg := env.AdditionalData.v1()
			next := start + req.Limit
			if pg.NextStart != nil {
				next = *pg.NextStart
			}
			if next <= start {
				return pageResult{err: fmt.Errorf("GET %s: pagination did not advance (start %d, next %d)", req.Path, start, next)}
			}
			r.start, r.more = next, true
			r.page.Next = strconv.Itoa(next)
		}
	}
	return r
}

// Me is the authenticated user and company (GET /v1/users/me).
type Me struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	CompanyID     int64  `json:"company_id"`
	CompanyName   string `json:"company_name"`
	CompanyDomain string `json:"company_domain"`
}

// Me returns who the credentials belong to; check and `auth status` use it.
func (c *Client) Me(ctx context.Context) (Me, error) {
	resp, err := c.Get(ctx, V1, "/users/me", nil, 2)
	if err != nil {
		return Me{}, fmt.Errorf("get current user: %w", err)
	}
	var env struct {
		Data *Me `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &env); err != nil || env.Data == nil {
		return Me{}, fmt.Errorf("get current user: unexpected answer from /users/me")
	}
	return *env.Data, nil
}

// recordsAt splits the records of a data value that is not the list.
func recordsAt(data []byte, path string) ([]json.RawMessage, error) {
	switch {
	case string(data) == "null":
		return nil, nil
	case data[0] != '{':
		return nil, errNotList
	case path == RecordIsData:
		return []json.RawMessage{data[:len(data):len(data)]}, nil
	}
	arr := jsonscan.Field(data, path)
	if arr == nil || string(arr) == "null" {
		return nil, nil
	}
	if arr[0] != '[' {
		return nil, errNotList
	}
	recs, end := jsonscan.SplitArray(arr, 0)
	if end < 0 {
		return nil, errTruncated
	}
	return recs, nil
}
