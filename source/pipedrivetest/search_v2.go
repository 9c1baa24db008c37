package pipedrivetest

import (
	"strconv"
	"strings"
)

// v2 search (deals, persons, organizations, products, leads, projects,
// itemSearch) and v1 leads/search: name and title matching over the
// records, offset-paged.

// offsetPage parses limit and an offset cursor over n items (v2 style).
func (c *call) offsetPage(n, def, max int) (start, end int, next string, msg string) {
	limit, ok := c.limitParam(def, max)
	if !ok {
		return 0, 0, "", "Validation failed: limit: Must be an integer between 1 and " + strconv.Itoa(max)
	}
	if v := c.q.Get("cursor"); v != "" {
		pos, ok := c.decodeCursor(v)
		if !ok {
			return 0, 0, "", "Validation failed: cursor: Invalid cursor"
		}
		start = int(pos.id)
	}
	end = min(start+limit, n)
	if end < n {
		next = c.encodeCursor(0, int64(end))
	}
	return start, end, next, ""
}

// hit is one search result.
type hit struct {
	r     rec
	score float64
}

// searchTerm validates term: at least 2 characters, or 1 with exact_match.
func (c *call) searchTerm() (string, bool) {
	t := strings.TrimSpace(c.q.Get("term"))
	exact := c.q.Get("exact_match") == "true"
	return strings.ToLower(t), len(t) >= 2 || exact && len(t) >= 1
}

// find scans entity for records whose text (lower-cased) matches term.
func (c *call) find(entity, term string, text func(r rec) string, filter func(r rec) bool) []hit {
	exact := c.q.Get("exact_match") == "true"
	var out []hit
	c.w.ents[entity].scan(byID, false, cursorPos{}, 0, 0, func(r rec) bool {
		if r.deleted || filter != nil && !filter(r) {
			return true
		}
		s := strings.ToLower(text(r))
		switch {
		case s == term:
			out = append(out, hit{r, 1})
		case !exact && strings.Contains(s, term):
			out = append(out, hit{r, 0.5})
		}
		return true
	})
	return out
}

// appendItems starts a search answer in c.buf: data.items[] with the hits
// start to end-1 (hit renders the ith); the caller adds the pagination.
func (c *call) appendItems(start, end int, hit func(b []byte, i int) []byte) {
	c.buf = append(c.buf[:0], `{"success":true,"data":{"items":[`...)
	for i := start; i < end; i++ {
		if i > start {
			c.buf = append(c.buf, ',')
		}
		c.buf = hit(c.buf, i)
	}
}

// searchV2 answers a v2 search: data.items[] of {result_score, item}.
func (c *call) searchV2(entity string, text func(r rec) string, filter func(r rec) bool, item func(b []byte, r rec) []byte) int {
	term, ok := c.searchTerm()
	if !ok {
		return c.fail(400, "Validation failed: term: Must be at least 2 characters long (1 with exact_match)")
	}
	hits := c.find(entity, term, text, filter)
	start, end, next, msg := c.offsetPage(len(hits), 100, 500)
	if msg != "" {
		return c.fail(400, msg)
	}
	c.appendItems(start, end, func(buf []byte, i int) []byte { return appendHit(buf, hits[i], item) })
	c.buf = append(c.buf, `]},"additional_data":{"next_cursor":`...)
	return c.endCursor(next)
}

// endCursor closes a v2 page whose additional_data is open at
// "next_cursor":, writing next (or null at the end).
func (c *call) endCursor(next string) int {
	if next != "" {
		c.buf = appendStr(c.buf, next)
	} else {
		c.buf = append(c.buf, "null"...)
	}
	c.buf = append(c.buf, "}}"...)
	return 200
}

func appendHit(b []byte, h hit, item func(b []byte, r rec) []byte) []byte {
	o := openObj(b)
	o.num("result_score", h.score)
	o.key("item")
	o.b = item(o.b, h.r)
	return o.close()
}

// idFilter keeps records whose attribute equals the integer query
// parameter name, when it is given.
func (c *call) idFilter(name string, attr func(id int64) int64) (func(r rec) bool, bool) {
	v, ok := c.intParam(name)
	if !ok || v == 0 {
		return nil, ok
	}
	return func(r rec) bool { return attr(r.id) == v }, true
}

func both(a, b func(r rec) bool) func(r rec) bool {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(r rec) bool { return a(r) && b(r) }
}

func idName(o *obj, k string, id int64, name string) {
	if id == 0 {
		o.null(k)
		return
	}
	o.key(k)
	p := openObj(o.b)
	p.int("id", id)
	p.str("name", name)
	o.b = p.close()
}

func ownerRef(o *obj, id int64) {
	o.key("owner")
	p := openObj(o.b)
	p.int("id", id)
	o.b = p.close()
}

// searchItem opens a v2 search result's item with what every item type
// starts with: its id, its type and the name (or title) it was found by.
func searchItem(b []byte, id int64, typ, nameKey, name string) obj {
	o := openObj(b)
	o.int("id", id)
	o.str("type", typ)
	o.str(nameKey, name)
	return o
}

func (c *call) dealItem(b []byte, r rec) []byte {
	w := c.w
	o := searchItem(b, r.id, "deal", "title", w.dealTitle(r.id))
	hs := newHasher(w.seed, tagDeal, r.id, -5)
	hs.orgName()
	hs.pick(dealWords)
	o.str("currency", hs.pick(currencies))
	o.str("status", w.dealStatus(r.id))
	o.int("visible_to", 3)
	ownerRef(&o, w.owner(tagDeal, r.id))
	st, _ := w.dealStage(r.id)
	idName(&o, "stage", st, stageNames[(st-1)%stagesPerPipe])
	p := w.rel(tagDeal, r.id, 1, "persons")
	idName(&o, "person", p, w.personName(p))
	org := w.rel(tagDeal, r.id, 2, "organizations")
	idName(&o, "organization", org, w.orgName(org))
	o.raw("custom_fields", "[]")
	o.raw("notes", "[]")
	o.bool("is_archived", r.archived)
	return o.close()
}

func (c *call) searchDeals() int {
	w := c.w
	fp, ok1 := c.idFilter("person_id", func(id int64) int64 { return w.rel(tagDeal, id, 1, "persons") })
	fo, ok2 := c.idFilter("organization_id", func(id int64) int64 { return w.rel(tagDeal, id, 2, "organizations") })
	if !ok1 || !ok2 {
		return c.fail(400, "Validation failed: person_id, organization_id: Must be integers")
	}
	f := both(fp, fo)
	if v := c.q.Get("status"); v != "" {
		f = both(f, func(r rec) bool { return w.dealStatus(r.id) == v })
	}
	e := w.ents["deals"]
	nowU := c.now.Unix()
	f = both(f, func(r rec) bool { return e.visible(r, nowU) })
	return c.searchV2("deals", func(r rec) string { return w.dealTitle(r.id) }, f, c.dealItem)
}

func (c *call) personItem(b []byte, r rec) []byte {
	w := c.w
	o := searchItem(b, r.id, "person", "name", w.personName(r.id))
	h := newHasher(w.seed, tagPerson, r.id, r.ver)
	o.raw("phones", `["+372 5`+strconv.Itoa(100000+h.n(899999))+`"]`)
	o.raw("emails", `["person`+strconv.FormatInt(r.id, 10)+`@example.com"]`)
	o.int("visible_to", 3)
	ownerRef(&o, w.owner(tagPerson, r.id))
	org := w.rel(tagPerson, r.id, 1, "organizations")
	idName(&o, "organization", org, w.orgName(org))
	o.raw("custom_fields", "[]")
	o.raw("notes", "[]")
	return o.close()
}

func (c *call) searchPersons() int {
	w := c.w
	f, ok := c.idFilter("organization_id", func(id int64) int64 { return w.rel(tagPerson, id, 1, "organizations") })
	if !ok {
		return c.fail(400, "Validation failed: organization_id: Must be an integer")
	}
	return c.searchV2("persons", func(r rec) string { return w.personName(r.id) }, f, c.personItem)
}

func (c *call) orgItem(b []byte, r rec) []byte {
	w := c.w
	o := searchItem(b, r.id, "organization", "name", w.orgName(r.id))
	hs := newHasher(w.seed, tagOrg, r.id, -5)
	hs.orgName()
	o.key("address")
	o.b = appendCFText(o.b, "address", cfValue{city: hs.n(len(cities)), id: 1}) // as renderOrg's address value
	o.int("visible_to", 3)
	ownerRef(&o, w.owner(tagOrg, r.id))
	o.raw("custom_fields", "[]")
	o.raw("notes", "[]")
	return o.close()
}

func (c *call) searchOrgs() int {
	return c.searchV2("organizations", func(r rec) string { return c.w.orgName(r.id) }, nil, c.orgItem)
}

func productName(id int64) string {
	name := productNms[int(id-1)%len(productNms)]
	if id > int64(len(productNms)) {
		name += " " + strconv.FormatInt(id, 10)
	}
	return name
}

func (c *call) productItem(b []byte, r rec) []byte {
	o := searchItem(b, r.id, "product", "name", productName(r.id))
	// The spec types code as an integer; the simulator's codes are "SKU-n".
	o.null("code")
	o.int("visible_to", 3)
	ownerRef(&o, c.w.owner(tagProduct, r.id))
	o.raw("custom_fields", "[]")
	return o.close()
}

func (c *call) searchProducts() int {
	return c.searchV2("products", func(r rec) string { return productName(r.id) + " SKU-" + strconv.FormatInt(1000+r.id, 10) }, nil, c.productItem)
}

func leadTitle(r rec) string {
	t := "Lead " + strconv.FormatInt(r.id, 10)
	if r.ver > 0 {
		t += " v" + strconv.Itoa(r.ver+1)
	}
	return t
}

func (c *call) leadItem(b []byte, r rec) []byte {
	w := c.w
	h := newHasher(w.seed, tagLead, r.id, r.ver)
	o := openObj(b)
	o.str("id", uuidFor(w.seed, tagLead, r.id))
	o.str("type", "lead")
	o.str("title", leadTitle(r))
	ownerRef(&o, w.owner(tagLead, r.id))
	h.n(len(leadLabelNames))
	person := w.rel(tagLead, r.id, 1, "persons")
	if h.n(3) == 0 { // the same draw as renderLead's person_id
		person = 0
	}
	idName(&o, "person", person, w.personName(person))
	org := w.rel(tagLead, r.id, 2, "organizations")
	idName(&o, "organization", org, w.orgName(org))
	o.raw("phones", "[]")
	o.raw("emails", "[]")
	o.raw("custom_fields", "[]")
	o.raw("notes", "[]")
	o.str("currency", "EUR")
	o.int("visible_to", 3)
	o.bool("is_archived", r.archived)
	return o.close()
}

func (c *call) leadFilter() (func(r rec) bool, bool) {
	w := c.w
	fp, ok1 := c.idFilter("person_id", func(id int64) int64 { return w.rel(tagLead, id, 1, "persons") })
	fo, ok2 := c.idFilter("organization_id", func(id int64) int64 { return w.rel(tagLead, id, 2, "organizations") })
	return both(fp, fo), ok1 && ok2
}

func (c *call) searchProjects() int {
	w := c.w
	item := func(b []byte, r rec) []byte {
		status, ph := w.projectStatusPhase(r)
		o := searchItem(b, r.id, "project", "title", "Project "+strconv.FormatInt(r.id, 10))
		o.str("status", status)
		ownerRef(&o, w.owner(tagProject, r.id))
		o.int("board_id", 1)
		idName(&o, "phase", ph, phases[ph-1].name)
		o.null("person")
		o.null("organization")
		deal := w.rel(tagProject, r.id, 1, "deals")
		o.key("deal")
		d := openObj(o.b)
		d.int("id", deal)
		d.str("title", w.dealTitle(deal))
		o.b = d.close()
		o.int("deal_count", 1)
		o.str("description", "")
		o.str("end_date", unix(r.at).AddDate(0, 3, 0).Format(layoutDate))
		o.raw("custom_fields", "[]")
		o.raw("notes", "[]")
		return o.close()
	}
	return c.searchV2("projects", func(r rec) string { return "Project " + strconv.FormatInt(r.id, 10) }, func(r rec) bool { return !r.archived }, item)
}

// searchLeads answers v1 and v2 leads/search (v1 pages with start/limit).
func (c *call) searchLeads(ver int) int {
	f, ok := c.leadFilter()
	if !ok {
		return c.fail(400, "Validation failed: person_id, organization_id: Must be integers")
	}
	if ver == 2 {
		return c.searchV2("leads", leadTitle, f, c.leadItem)
	}
	term, ok := c.searchTerm()
	if !ok {
		return c.fail(400, "Validation failed: term: Must be at least 2 characters long (1 with exact_match)")
	}
	p, ok, msg := c.v1PageParams(500)
	if !ok {
		return c.fail(400, msg)
	}
	hits := c.find("leads", term, leadTitle, f)
	end := min(p.start+p.limit, len(hits))
	c.appendItems(p.start, end, func(buf []byte, i int) []byte { return appendHit(buf, hits[i], c.leadItem) })
	c.buf = append(c.buf, `]},"additional_data":{"pagination":`...)
	o := openObj(c.buf)
	o.int("start", int64(p.start))
	o.int("limit", int64(p.limit))
	more := end < len(hits)
	o.bool("more_items_in_collection", more)
	if more {
		o.int("next_start", int64(end))
	}
	c.buf = append(o.close(), "}}"...)
	return 200
}

// searchable are itemSearch's item types, in the order results come.
var searchable = []struct {
	typ, entity string
}{{"deal", "deals"}, {"person", "persons"}, {"organization", "organizations"}, {"product", "products"}, {"lead", "leads"}, {"project", "projects"}}

func (c *call) searchable(typ string) (text func(r rec) string, item func(b []byte, r rec) []byte) {
	w := c.w
	switch typ {
	case "deal":
		return func(r rec) string { return w.dealTitle(r.id) }, c.dealItem
	case "person":
		return func(r rec) string { return w.personName(r.id) }, c.personItem
	case "organization":
		return func(r rec) string { return w.orgName(r.id) }, c.orgItem
	case "product":
		return func(r rec) string { return productName(r.id) }, c.productItem
	case "lead":
		return leadTitle, c.leadItem
	}
	return func(r rec) string { return "Project " + strconv.FormatInt(r.id, 10) }, c.projectItem
}

func (c *call) projectItem(b []byte, r rec) []byte {
	o := searchItem(b, r.id, "project", "title", "Project "+strconv.FormatInt(r.id, 10))
	return o.close()
}

// itemSearch searches the item_types (default all) and returns their hits
// in one offset-paged list; related_items stay empty.
func (c *call) itemSearch() int {
	term, ok := c.searchTerm()
	if !ok {
		return c.fail(400, "Validation failed: term: Must be at least 2 characters long (1 with exact_match)")
	}
	want := map[string]bool{}
	for _, t := range strings.Split(c.q.Get("item_types"), ",") {
		if t != "" {
			want[t] = true
		}
	}
	type typed struct {
		h    hit
		item func(b []byte, r rec) []byte
	}
	var all []typed
	for _, s := range searchable {
		if len(want) > 0 && !want[s.typ] {
			continue
		}
		text, item := c.searchable(s.typ)
		var filter func(r rec) bool
		if s.entity == "deals" {
			e, nowU := c.w.ents["deals"], c.now.Unix()
			filter = func(r rec) bool { return e.visible(r, nowU) }
		}
		for _, h := range c.find(s.entity, term, text, filter) {
			all = append(all, typed{h, item})
		}
	}
	start, end, next, msg := c.offsetPage(len(all), 100, 500)
	if msg != "" {
		return c.fail(400, msg)
	}
	c.appendItems(start, end, func(buf []byte, i int) []byte { return appendHit(buf, all[i].h, all[i].item) })
	c.buf = append(c.buf, `],"related_items":[]},"additional_data":{"next_cursor":`...)
	return c.endCursor(next)
}

// itemSearchField searches one entity type's name or title field (the
// fields the simulator can match on; others find nothing).
func (c *call) itemSearchField() int {
	typ := c.q.Get("entity_type")
	entity := ""
	for _, s := range searchable {
		if s.typ == typ {
			entity = s.entity
		}
	}
	if entity == "" {
		return c.fail(400, "Validation failed: entity_type: Must be one of deal, person, organization, product, lead, project")
	}
	term := strings.ToLower(strings.TrimSpace(c.q.Get("term")))
	if term == "" {
		return c.fail(400, "Validation failed: term: Required")
	}
	field := c.q.Get("field")
	text, _ := c.searchable(typ)
	var hits []hit
	if field == "name" || field == "title" {
		match := c.q.Get("match")
		c.w.ents[entity].scan(byID, false, cursorPos{}, 0, 0, func(r rec) bool {
			if r.deleted {
				return true
			}
			s := strings.ToLower(text(r))
			if s == term || match == "beginning" && strings.HasPrefix(s, term) || match == "middle" && strings.Contains(s, term) {
				hits = append(hits, hit{r, 1})
			}
			return true
		})
	}
	start, end, next, msg := c.offsetPage(len(hits), 100, 500)
	if msg != "" {
		return c.fail(400, msg)
	}
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	for i := start; i < end; i++ {
		if i > start {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendHit(c.buf, hits[i], func(b []byte, r rec) []byte {
			o := openObj(b)
			if entity == "leads" {
				o.str("id", uuidFor(c.w.seed, tagLead, r.id))
			} else {
				o.int("id", r.id)
			}
			o.str(field, text(r))
			return o.close()
		})
	}
	c.buf = append(c.buf, `],"additional_data":{"next_cursor":`...)
	return c.endCursor(next)
}
