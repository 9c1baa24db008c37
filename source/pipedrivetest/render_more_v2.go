package pipedrivetest

import (
	"strconv"
	"strings"
)

// The v2 operations beyond the streams pdx reads: single reads' helpers,
// per-record lists, projects' boards, phases and templates, and search.

// projectStdFields are the project fields (projects carry no custom fields
// in the simulator: their custom_fields is {}).
var projectStdFields = []fieldDef{{code: "id", name: "ID", typ: "int"}, {code: "title", name: "Title", typ: "varchar"},
	{code: "description", name: "Description", typ: "text"}, {code: "status", name: "Status", typ: "status"},
	{code: "owner_id", name: "Owner", typ: "user"}, {code: "board_id", name: "Board", typ: "projects_board"},
	{code: "phase_id", name: "Phase", typ: "projects_phase"}, {code: "start_date", name: "Start date", typ: "date"},
	{code: "end_date", name: "End date", typ: "date"}, {code: "deal_ids", name: "Deals", typ: "deals"}}

func (w *world) fieldDefs(entity string) []fieldDef {
	if entity == "project" {
		return projectStdFields
	}
	return w.fields[entity].all()
}

// fieldV2 answers /{entity}Fields/{field_code}.
func (c *call) fieldV2(entity string) int {
	for _, f := range c.w.fieldDefs(entity) {
		if f.code == c.params[0] {
			return c.ok1(func(b []byte) []byte { return renderFieldV2(b, f, entity == "deal") })
		}
	}
	return c.fail(404, "Field not found")
}

func (c *call) projectFieldsList() int {
	return c.smallV2(len(projectStdFields), func(b []byte, i int) []byte { return renderFieldV2(b, projectStdFields[i], false) })
}

// dealProductsOf answers /deals/{id}/products: the same lines as
// /deals/products?deal_ids={id}.
func (c *call) dealProductsOf() int {
	r, ok := c.pathID("deals")
	if !ok {
		return c.fail(404, "Deal not found")
	}
	all := c.w.dealProducts(r.id)
	if msg := c.sortDealProducts(all); msg != "" {
		return c.fail(400, msg)
	}
	return c.smallV2(len(all), func(b []byte, i int) []byte { return c.w.renderDealProduct(b, all[i]) })
}

// dealDiscounts: every fifth deal has a 5% additional discount.
func (c *call) dealDiscounts() int {
	r, ok := c.pathID("deals")
	if !ok {
		return c.fail(404, "Deal not found")
	}
	n := 0
	if r.id%5 == 0 {
		n = 1
	}
	return c.staticV2(n, func(b []byte, _ int) []byte {
		o := openObj(b)
		o.str("id", uuidFor(c.w.seed, tagDiscount, r.id))
		o.str("type", "percentage")
		o.num("amount", 5)
		o.str("description", "Loyalty discount")
		o.int("deal_id", r.id)
		o.ts("created_at", r.at, layoutV2)
		own := c.w.owner(tagDeal, r.id)
		o.int("created_by", own)
		o.ts("updated_at", r.at, layoutV2)
		o.int("updated_by", own)
		return o.close()
	})
}

// followers are the users following record id: its owner, and on every
// third record the next user too. They started following when the record
// was added.
func (w *world) followers(tag uint64, id int64) []int64 {
	own := w.owner(tag, id)
	if id%3 == 0 && w.users > 1 {
		return []int64{own, own%int64(w.users) + 1}
	}
	return []int64{own}
}

// liveRec is the record {id} of entity, deleted ones excluded.
func (c *call) liveRec(entity string) (rec, bool) {
	r, ok := c.pathID(entity)
	return r, ok && !r.deleted
}

func (c *call) followersV2(entity string, tag uint64) int {
	r, ok := c.liveRec(entity)
	if !ok {
		return c.fail(404, "Item not found")
	}
	fs := c.w.followers(tag, r.id)
	return c.smallV2(len(fs), func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("user_id", fs[i])
		o.ts("add_time", r.at, layoutV2)
		return o.close()
	})
}

func (c *call) followersChangelog(entity string, tag uint64) int {
	r, ok := c.liveRec(entity)
	if !ok {
		return c.fail(404, "Item not found")
	}
	fs := c.w.followers(tag, r.id)
	return c.smallV2(len(fs), func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("action", "added")
		o.int("actor_user_id", c.w.owner(tag, r.id))
		o.int("follower_user_id", fs[i])
		o.ts("time", r.at, layoutV2)
		return o.close()
	})
}

// userFollowers: user 1 (the admin) follows every other user.
func (c *call) userFollowers() ([]int64, bool) {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	if err != nil || id < 1 || id > int64(c.w.users) {
		return nil, false
	}
	if id == 1 {
		return nil, true
	}
	return []int64{1}, true
}

func (c *call) userFollowersV2() int {
	fs, ok := c.userFollowers()
	if !ok {
		return c.fail(404, "User not found")
	}
	return c.smallV2(len(fs), func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("user_id", fs[i])
		o.time("add_time", c.w.start, layoutV2)
		return o.close()
	})
}

func (c *call) dealConversion() int {
	r, ok := c.liveRec("deals")
	if !ok || c.params[1] != c.w.conversionID("deals", r.id) {
		return c.fail(404, "Conversion not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.str("lead_id", uuidFor(c.w.seed, tagLead, c.w.rel(tagDeal, r.id, 6, "leads")))
		o.int("deal_id", r.id)
		o.str("conversion_id", c.params[1])
		o.str("status", "completed")
		return o.close()
	})
}

// findLead maps a lead UUID to its index without caching (handlers run
// under the read lock; Server.parseID caches under the write lock).
func (w *world) findLead(id string) (rec, bool) {
	e := w.ents["leads"]
	for i := int64(1); i < e.nextID; i++ {
		if uuidFor(w.seed, tagLead, i) == id {
			r, ok := e.get(i)
			return r, ok && !r.deleted
		}
	}
	return rec{}, false
}

func (c *call) leadConversion() int {
	r, ok := c.w.findLead(c.params[0])
	if !ok || c.params[1] != c.w.conversionID("leads", r.id) {
		return c.fail(404, "Conversion not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.str("lead_id", c.params[0])
		o.int("deal_id", c.w.rel(tagLead, r.id, 6, "deals"))
		o.str("conversion_id", c.params[1])
		o.str("status", "completed")
		return o.close()
	})
}

// hasPicture: every fourth person has a picture (its id is the person's).
func hasPicture(id int64) bool { return id%4 == 0 }

func (c *call) personPicture() int {
	r, ok := c.liveRec("persons")
	if !ok || !hasPicture(r.id) {
		return c.fail(404, "Picture not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.int("id", r.id)
		o.str("item_type", "person")
		o.int("item_id", r.id)
		o.int("added_by_user_id", c.w.owner(tagPerson, r.id))
		o.bool("active_flag", true)
		o.int("file_size", 20480)
		o.key("pictures")
		p := openObj(o.b)
		base := c.s.url + "/pictures/person-" + strconv.FormatInt(r.id, 10)
		p.str("128", base+"-128.png")
		p.str("512", base+"-512.png")
		o.b = p.close()
		return o.close()
	})
}

// productVariations: every fourth product comes in sizes S and L.
func (c *call) productVariations() int {
	r, ok := c.liveRec("products")
	if !ok {
		return c.fail(404, "Product not found")
	}
	n := 0
	if r.id%4 == 0 {
		n = 2
	}
	return c.smallV2(n, func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("id", r.id*10+int64(i)+1)
		o.str("name", []string{"Size S", "Size L"}[i])
		o.int("product_id", r.id)
		o.key("prices")
		p := openObj(append(o.b, '['))
		p.num("price", c.w.productPrice(r.id)+float64(i*10))
		p.str("currency", "EUR")
		p.num("cost", 0)
		p.str("notes", "")
		o.b = append(p.close(), ']')
		return o.close()
	})
}

// productImage: every third product has an image.
func (c *call) productImage() int {
	r, ok := c.liveRec("products")
	if !ok || r.id%3 != 0 {
		return c.fail(404, "Product image not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.int("id", r.id)
		o.int("product_id", r.id)
		o.str("company_id", strconv.FormatInt(1000+c.w.seed%1000, 10))
		o.str("public_url", c.s.url+"/images/product-"+strconv.FormatInt(r.id, 10)+".png")
		o.ts("add_time", r.at, layoutV2)
		o.str("mime_type", "image/png")
		o.str("name", "product-"+strconv.FormatInt(r.id, 10)+".png")
		return o.close()
	})
}

func (c *call) projectsArchived() int {
	_, f := simpleFilter(nil)
	pf, msg := c.projectFilter()
	if msg != "" {
		return c.fail(400, msg)
	}
	arch := func(c *call, r rec) bool { return r.archived && f(c, r) && pf(r) }
	return c.listV2(v2Opts{entity: "projects", filter: arch, render: c.w.renderProject})
}

// permittedUsers: every user may see every record (visible_to 3).
func (c *call) permittedUsers(entity string) int {
	if _, ok := c.liveRec(entity); !ok {
		return c.fail(404, "Item not found")
	}
	return c.allUsers()
}

// projectChangelog: one entry per version of the project (its title).
func (c *call) projectChangelog() int {
	r, ok := c.liveRec("projects")
	if !ok {
		return c.fail(404, "Project not found")
	}
	n := 1 + r.ver
	return c.smallV2(n, func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("change_source", "app")
		o.null("change_source_user_agent")
		o.ts("time", r.at+(r.ut-r.at)*int64(i)/int64(n), layoutV2)
		o.raw("new_values", `{"title":"Project `+strconv.FormatInt(r.id, 10)+`"}`)
		if i == 0 {
			o.raw("old_values", "{}")
		} else {
			o.raw("old_values", `{"title":"Project `+strconv.FormatInt(r.id, 10)+`"}`)
		}
		o.int("actor_user_id", c.w.owner(tagProject, r.id))
		return o.close()
	})
}

var projectTemplates = []string{"Onboarding", "Implementation"}

func (c *call) renderTemplateV2(b []byte, i int) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("title", projectTemplates[i])
	o.str("description", "")
	o.int("projects_board_id", 1)
	o.int("owner_id", 1)
	o.time("add_time", c.w.start, layoutV2)
	o.time("update_time", c.w.start, layoutV2)
	return o.close()
}

// boards and phases: projects sit on board 1 in phases 1-3 (renderProject).
var boards = []string{"Delivery", "Internal"}

var phases = []struct {
	name  string
	board int64
}{{"Planning", 1}, {"In progress", 1}, {"Done", 1}, {"Backlog", 2}, {"Done", 2}}

func (c *call) renderBoard(b []byte, i int) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("name", boards[i])
	o.int("order_nr", int64(i+1))
	o.time("add_time", c.w.start, layoutV2)
	o.time("update_time", c.w.start, layoutV2)
	return o.close()
}

func (c *call) renderPhase(b []byte, i int) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("name", phases[i].name)
	o.int("board_id", phases[i].board)
	nr := int64(1)
	for j := 0; j < i; j++ {
		if phases[j].board == phases[i].board {
			nr++
		}
	}
	o.int("order_nr", nr)
	o.time("add_time", c.w.start, layoutV2)
	o.time("update_time", c.w.start, layoutV2)
	return o.close()
}

// phasesOf lists the phase indexes of board_id (required).
func (c *call) phasesOf() ([]int, string) {
	board, ok := c.intParam("board_id")
	if !ok || board == 0 {
		return nil, "Validation failed: board_id: Required integer"
	}
	var out []int
	for i, p := range phases {
		if p.board == board {
			out = append(out, i)
		}
	}
	return out, ""
}

func (c *call) phasesList() int {
	ids, msg := c.phasesOf()
	if msg != "" {
		return c.fail(400, msg)
	}
	return c.staticV2(len(ids), func(b []byte, i int) []byte { return c.renderPhase(b, ids[i]) })
}

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
	c.buf = append(c.buf[:0], `{"success":true,"data":{"items":[`...)
	for i := start; i < end; i++ {
		if i > start {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendHit(c.buf, hits[i], item)
	}
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

func (c *call) dealItem(b []byte, r rec) []byte {
	w := c.w
	o := openObj(b)
	o.int("id", r.id)
	o.str("type", "deal")
	o.str("title", w.dealTitle(r.id))
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
	o := openObj(b)
	o.int("id", r.id)
	o.str("type", "person")
	o.str("name", w.personName(r.id))
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
	o := openObj(b)
	o.int("id", r.id)
	o.str("type", "organization")
	o.str("name", w.orgName(r.id))
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
	o := openObj(b)
	o.int("id", r.id)
	o.str("type", "product")
	o.str("name", productName(r.id))
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
		o := openObj(b)
		o.int("id", r.id)
		o.str("type", "project")
		o.str("title", "Project "+strconv.FormatInt(r.id, 10))
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
	c.buf = append(c.buf[:0], `{"success":true,"data":{"items":[`...)
	for i := p.start; i < end; i++ {
		if i > p.start {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendHit(c.buf, hits[i], c.leadItem)
	}
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
	o := openObj(b)
	o.int("id", r.id)
	o.str("type", "project")
	o.str("title", "Project "+strconv.FormatInt(r.id, 10))
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
	c.buf = append(c.buf[:0], `{"success":true,"data":{"items":[`...)
	for i := start; i < end; i++ {
		if i > start {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendHit(c.buf, all[i].h, all[i].item)
	}
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
