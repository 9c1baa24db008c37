package pipedrivetest

import (
	"encoding/base64"
	"hash/fnv"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// call is one API request being answered (Server.mu held).
type call struct {
	s      *Server
	w      *world
	q      url.Values
	params []string
	path   string
	now    time.Time
	buf    []byte
	// contentType is the response's type when it is not JSON.
	contentType string
	// reverseSort: a FaultReverseSort hit this request.
	reverseSort bool
}

func (c *call) fail(status int, msg string) int {
	c.buf = append(c.buf[:0], errBody(status, msg)...)
	return status
}

var rfc3339Whole = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

// parseTimeParam parses updated_since/updated_until: RFC 3339 whole seconds
// with Z only (Pipedrive answers 400 to fractions or a space).
func parseTimeParam(v string) (int64, bool) {
	if !rfc3339Whole.MatchString(v) {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// queryChecksum binds a cursor to the query it came from: the path and every
// parameter except cursor and limit.
func (c *call) queryChecksum() uint32 {
	keys := make([]string, 0, len(c.q))
	for k := range c.q {
		if k != "cursor" && k != "limit" && k != "api_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := fnv.New32a()
	h.Write([]byte(strconv.FormatInt(c.w.seed, 10) + c.path))
	for _, k := range keys {
		h.Write([]byte("&" + k + "=" + strings.Join(c.q[k], ",")))
	}
	return h.Sum32()
}

func (c *call) encodeCursor(ut, id int64) string {
	s := strconv.FormatInt(ut, 10) + "." + strconv.FormatInt(id, 10) + "." + strconv.FormatUint(uint64(c.queryChecksum()), 36)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func (c *call) decodeCursor(v string) (cursorPos, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return cursorPos{}, false
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || parts[2] != strconv.FormatUint(uint64(c.queryChecksum()), 36) {
		return cursorPos{}, false
	}
	ut, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return cursorPos{}, false
	}
	return cursorPos{ut: ut, id: id, set: true}, true
}

// v2Opts describe what one v2 list endpoint accepts.
type v2Opts struct {
	entity   string
	sorts    []string // accepted sort_by values
	since    bool     // updated_since accepted
	until    bool     // updated_until accepted
	filter   func(c *call, r rec) bool
	render   func(b []byte, r rec) []byte
	prepare  func(c *call) (ok bool, msg string) // parse endpoint-specific params
	extraArc bool                                // deals/archived
}

func (c *call) limitParam(def, max int) (int, bool) {
	v := c.q.Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, false
	}
	return n, true
}

// listV2 answers a cursor-paginated v2 list.
func (c *call) listV2(o v2Opts) int {
	limit, ok := c.limitParam(100, 500)
	if !ok {
		return c.fail(400, "Validation failed: limit: Must be an integer between 1 and 500")
	}
	order, desc := byID, false
	if sb := c.q.Get("sort_by"); sb != "" {
		if !contains(o.sorts, sb) {
			return c.fail(400, "Validation failed: sort_by: Must be one of "+strings.Join(o.sorts, ", "))
		}
		if sb == "update_time" {
			order = byUpdate
		} else if sb != "id" && sb != "add_time" {
			return c.fail(400, "Validation failed: sort_by="+sb+" is not supported by the simulator")
		}
		// add_time is monotone in id, so id order is add_time order.
	}
	switch c.q.Get("sort_direction") {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return c.fail(400, "Validation failed: sort_direction: Must be one of asc, desc")
	}
	var since, until int64
	if v, present := c.q["updated_since"]; present {
		if !o.since {
			return c.fail(400, "Validation failed: updated_since: Parameter is not allowed for this endpoint")
		}
		t, ok := parseTimeParam(v[0])
		if !ok {
			return c.fail(400, "Validation failed: updated_since: Must be a valid RFC3339 date-time without fractional seconds (e.g. 2025-01-01T10:20:00Z)")
		}
		since = t
	}
	if v, present := c.q["updated_until"]; present {
		if !o.until {
			return c.fail(400, "Validation failed: updated_until: Parameter is not allowed for this endpoint")
		}
		t, ok := parseTimeParam(v[0])
		if !ok {
			return c.fail(400, "Validation failed: updated_until: Must be a valid RFC3339 date-time without fractional seconds (e.g. 2025-01-01T10:20:00Z)")
		}
		until = t
	}
	var pos cursorPos
	if v := c.q.Get("cursor"); v != "" {
		if pos, ok = c.decodeCursor(v); !ok {
			return c.fail(400, "Validation failed: cursor: Invalid cursor")
		}
	}
	if o.prepare != nil {
		if ok, msg := o.prepare(c); !ok {
			return c.fail(400, msg)
		}
	}
	ids, ok := c.idsParam()
	if !ok {
		return c.fail(400, "Validation failed: ids: Must be a comma-separated list of integers")
	}
	e := c.w.ents[o.entity]
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	n := 0
	var last rec
	more := false
	e.scan(order, desc, pos, since, until, func(r rec) bool {
		if ids != nil && !ids[r.id] {
			return true
		}
		if o.filter != nil && !o.filter(c, r) || o.filter == nil && r.deleted {
			return true
		}
		if n == limit {
			more = true
			return false
		}
		if n > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = o.render(c.buf, r)
		last = r
		n++
		return true
	})
	c.buf = append(c.buf, `],"additional_data":{"next_cursor":`...)
	if more {
		ut := last.ut
		if order == byID {
			ut = 0
		}
		c.buf = appendStr(c.buf, c.encodeCursor(ut, last.id))
	} else {
		c.buf = append(c.buf, "null"...)
	}
	c.buf = append(c.buf, "}}"...)
	return 200
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// idsParam parses ?ids=1,2,3 (nil when absent).
func (c *call) idsParam() (map[int64]bool, bool) {
	v := c.q.Get("ids")
	if v == "" {
		return nil, true
	}
	m := map[int64]bool{}
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, false
		}
		m[n] = true
	}
	return m, true
}

// intParam returns the integer query parameter name (0 when absent).
func (c *call) intParam(name string) (int64, bool) {
	v := c.q.Get(name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// v1Page is the start/limit window of a v1 list.
type v1Page struct{ start, limit int }

func (c *call) v1PageParams(max int) (v1Page, bool, string) {
	p := v1Page{limit: 100}
	if v := c.q.Get("start"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, false, "Validation failed: start: Must be a non-negative integer"
		}
		p.start = n
	}
	l, ok := c.limitParam(100, max)
	if !ok {
		return p, false, "Validation failed: limit: Must be an integer between 1 and " + strconv.Itoa(max)
	}
	p.limit = l
	return p, true, ""
}

// v1Style is the shape of a v1 list's additional_data.
type v1Style int

const (
	v1Pagination v1Style = iota // additional_data.pagination{start,limit,more_items_in_collection,next_start}
	v1Flat                      // additional_data{start,limit,more_items_in_collection} (leads, fields)
	v1None                      // no additional_data (unpaginated lists)
	// v1WhenMore: the spec documents no additional_data but the endpoint
	// takes start/limit; pagination appears only when more items follow.
	v1WhenMore
	// v1PaginationNoNext: pagination{start,limit,more_items_in_collection}
	// without next_start, where the spec declares none (roles, callLogs);
	// clients then continue at start+limit.
	v1PaginationNoNext
)

// writeV1 wraps rendered items (already comma-joined in items) in a v1
// envelope.
func (c *call) writeV1(items []byte, n int, p v1Page, more bool, style v1Style, nullWhenEmpty bool) int {
	c.buf = append(c.buf[:0], `{"success":true,"data":`...)
	if n == 0 && nullWhenEmpty {
		c.buf = append(c.buf, "null"...)
	} else {
		c.buf = append(c.buf, '[')
		c.buf = append(c.buf, items...)
		c.buf = append(c.buf, ']')
	}
	if style == v1WhenMore {
		style = v1None
		if more {
			style = v1Pagination
		}
	}
	switch style {
	case v1Pagination, v1PaginationNoNext:
		c.buf = append(c.buf, `,"additional_data":{"pagination":`...)
		o := openObj(c.buf)
		o.int("start", int64(p.start))
		o.int("limit", int64(p.limit))
		o.bool("more_items_in_collection", more)
		if more && style == v1Pagination {
			o.int("next_start", int64(p.start+n))
		}
		c.buf = append(o.close(), '}')
	case v1Flat:
		c.buf = append(c.buf, `,"additional_data":`...)
		o := openObj(c.buf)
		o.int("start", int64(p.start))
		o.int("limit", int64(p.limit))
		o.bool("more_items_in_collection", more)
		c.buf = o.close()
	}
	c.buf = append(c.buf, '}')
	return 200
}

// v1SortOnly are the v1 lists that take sort but no updated_since (the
// spec's /files: "Supported fields: id, update_time").
var v1SortOnly = map[string]bool{"files": true}

// listV1 answers a start/limit v1 list of an entity; timeSort lists take
// sort ("update_time DESC") and, unless v1SortOnly, updated_since.
func (c *call) listV1(entity string, max int, style v1Style, nullEmpty bool, timeSort bool,
	filter func(r rec) bool, render func(b []byte, r rec) []byte) int {
	p, ok, msg := c.v1PageParams(max)
	if !ok {
		return c.fail(400, msg)
	}
	order, desc := byID, false
	var since int64
	if timeSort {
		if v := c.q.Get("updated_since"); v != "" && !v1SortOnly[entity] {
			t, ok := parseV1Time(v)
			if !ok {
				return c.fail(400, "Validation failed: updated_since: Must be a valid RFC3339 date-time")
			}
			since = t
		}
		if v := c.q.Get("sort"); v != "" {
			f := strings.Fields(strings.ReplaceAll(v, ",", " "))
			switch f[0] {
			case "update_time":
				order = byUpdate
			case "id", "add_time":
			default:
				return c.fail(400, "Validation failed: sort: the simulator sorts by id, add_time or update_time")
			}
			if len(f) > 1 && strings.EqualFold(f[1], "DESC") {
				desc = true
			}
			desc = desc != (c.reverseSort && order == byUpdate)
		}
	}
	e := c.w.ents[entity]
	items := make([]byte, 0, 1024)
	n, skipped := 0, 0
	more := false
	var pos cursorPos
	if order == byID && !desc && since == 0 && filter == nil && e.isDel == nil && p.start > 0 {
		// Fast offset: the start-th listed record is id start+1, shifted by
		// every deleted id at or before it (so deep pages stay O(limit)).
		pos = cursorPos{id: e.idAtOffset(int64(p.start)), set: true}
		skipped = p.start
	}
	e.scan(order, desc, pos, since, 0, func(r rec) bool {
		if r.deleted || (filter != nil && !filter(r)) {
			return true
		}
		if skipped < p.start {
			skipped++
			return true
		}
		if n == p.limit {
			more = true
			return false
		}
		if n > 0 {
			items = append(items, ',')
		}
		items = render(items, r)
		n++
		return true
	})
	return c.writeV1(items, n, p, more, style, nullEmpty)
}

// parseV1Time accepts RFC 3339 or "YYYY-MM-DD HH:MM:SS".
func parseV1Time(v string) (int64, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Unix(), true
	}
	if t, err := time.Parse(layoutV1, v); err == nil {
		return t.Unix(), true
	}
	return 0, false
}
