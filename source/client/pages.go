package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
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
}

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
	Data           json.RawMessage   `json:"data"`
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

// parseEnvelope decodes the envelope and splits data into raw records. A body
// that does not parse is reported as truncated (and retried by do).
func parseEnvelope(body []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, errTruncated
	}
	if env.Success != nil && !*env.Success {
		return &env, nil
	}
	recs, err := splitArray(env.Data)
	if err != nil {
		return nil, err
	}
	env.records = recs
	return &env, nil
}

// Pages reads a list page by page and calls fn for each page in order. It
// stops at the first error (fn's errors are returned unwrapped).
func (c *Client) Pages(ctx context.Context, req PageRequest, fn func(Page) error) error {
	limit := req.Limit
	if limit <= 0 {
		limit = 500
	}
	cursor, start := req.Cursor, req.Start
	for n := 1; ; n++ {
		q := url.Values{}
		for k, vs := range req.Params {
			q[k] = append([]string(nil), vs...)
		}
		switch req.Paging {
		case V2Cursor:
			q.Set("limit", strconv.Itoa(limit))
			if cursor != "" {
				q.Set("cursor", cursor)
			}
		case V1Offset:
			q.Set("start", strconv.Itoa(start))
			q.Set("limit", strconv.Itoa(limit))
		}
		var env *envelope
		resp, err := c.do(ctx, req.Version, req.Path, q, req.Cost, func(body []byte) error {
			e, err := parseEnvelope(body)
			if err != nil {
				return err
			}
			env = e
			return nil
		})
		if err != nil {
			return err
		}
		if env.Success != nil && !*env.Success {
			return &APIError{Status: resp.Status, Op: "GET " + c.prefix(req.Version) + req.Path, Message: c.scrub(errorMessage(resp.Body))}
		}
		page := Page{Number: n, Records: env.records, Raw: resp.Body, Bytes: len(resp.Body), Cost: req.Cost}
		more := false
		switch req.Paging {
		case V2Cursor:
			if ad := env.AdditionalData; ad != nil && ad.NextCursor != nil && *ad.NextCursor != "" {
				if *ad.NextCursor == cursor {
					return fmt.Errorf("GET %s: the API returned the same cursor twice", req.Path)
				}
				cursor, more = *ad.NextCursor, true
				page.Next = cursor
			}
		case V1Offset:
			if pg := env.AdditionalData.v1(); pg != nil && pg.MoreItemsInCollection {
				next := start + limit
				if pg.NextStart != nil {
					next = *pg.NextStart
				}
				if next <= start {
					return fmt.Errorf("GET %s: pagination did not advance (start %d, next %d)", req.Path, start, next)
				}
				start, more = next, true
				page.Next = strconv.Itoa(start)
			}
		}
		if err := fn(page); err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
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
