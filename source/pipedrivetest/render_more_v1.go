package pipedrivetest

import (
	"strconv"
	"strings"
)

// The v1 operations beyond the streams pdx reads: fields, single reads and
// per-record lists (users_v1.go, deals_v1.go and projects_v1.go hold the
// rest).

// pagedV1 answers a start/limit v1 list of n items rendered by index.
func (c *call) pagedV1(n, max int, style v1Style, render func(b []byte, i int) []byte) int {
	p, ok, msg := c.v1PageParams(max)
	if !ok {
		return c.fail(400, msg)
	}
	items := make([]byte, 0, 1024)
	k := 0
	for i := p.start; i < n && k < p.limit; i++ {
		if k > 0 {
			items = append(items, ',')
		}
		items = render(items, i)
		k++
	}
	return c.writeV1(items, k, p, p.start+k < n, style, false)
}

// v1FieldEntities maps the v1 fields collections to the field sets.
var v1FieldEntities = map[string]string{"activityFields": "activity", "dealFields": "deal",
	"organizationFields": "organization", "personFields": "person", "productFields": "product"}

// fieldsV1 answers /{entity}Fields; productFields' schema lacks the
// visibility flags and is_subfield.
func (c *call) fieldsV1(coll string) int {
	entity := v1FieldEntities[coll]
	fs := c.w.fields[entity].all()
	start := c.w.start.Format(layoutV1)
	return c.pagedV1(len(fs), 500, v1Flat, func(b []byte, i int) []byte {
		return renderFieldV1(b, fs[i], i, start, entity != "product")
	})
}

func (c *call) fieldV1(coll string) int {
	entity := v1FieldEntities[coll]
	fs := c.w.fields[entity].all()
	id, err := strconv.Atoi(c.params[0])
	if err != nil || id < 1 || id > len(fs) {
		return c.fail(404, "Field not found")
	}
	start := c.w.start.Format(layoutV1)
	return c.ok1(func(b []byte) []byte { return renderFieldV1(b, fs[id-1], id-1, start, entity != "product") })
}

// oneV1 answers a v1 single read of entity's numeric {id}.
func (c *call) oneV1(entity, notFound string, render func(b []byte, r rec) []byte) int {
	r, ok := c.liveRec(entity)
	if !ok {
		return c.fail(404, notFound)
	}
	return c.ok1(func(b []byte) []byte { return render(b, r) })
}

func (c *call) callLogOne() int {
	id, err := strconv.ParseInt(strings.TrimPrefix(c.params[0], "call-"), 10, 64)
	r, ok := c.w.ents["callLogs"].get(id)
	if err != nil || !ok || r.deleted || !strings.HasPrefix(c.params[0], "call-") {
		return c.fail(404, "Call log not found")
	}
	return c.ok1(func(b []byte) []byte { return c.w.renderCallLog(b, r) })
}

func (c *call) leadOne() int {
	r, ok := c.w.findLead(c.params[0])
	if !ok {
		return c.fail(404, "Lead not found")
	}
	return c.ok1(func(b []byte) []byte { return c.w.renderLead(b, r) })
}

func (c *call) mailThreadOne() int {
	return c.oneV1("mailThreads", "Mail thread not found", c.w.renderMailThread)
}

// mailMessageOne: message ids are thread id*10 + index.
func (c *call) mailMessageOne() int {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	if err != nil {
		return c.fail(404, "Mail message not found")
	}
	r, ok := c.w.ents["mailThreads"].get(id / 10)
	if !ok || r.deleted || int(id%10) >= mailCount(r.id) {
		return c.fail(404, "Mail message not found")
	}
	body := c.q.Get("include_body") == "1"
	c.buf = append(c.buf[:0], `{"success":true,"statusCode":200,"statusText":"OK","service":"mailbox","data":`...)
	c.buf = c.renderMailMessage(c.buf, r, int(id%10), true, body)
	c.buf = append(c.buf, '}')
	return 200
}

func (c *call) permissionSetOne() int {
	for i := range permSets {
		if uuidFor(c.w.seed, 0x9E5, int64(i+1)) != c.params[0] {
			continue
		}
		// This operation's schema is the set itself, without an envelope.
		o := openObj(c.buf[:0])
		o.str("id", c.params[0])
		o.str("name", permSets[i].name)
		o.str("description", "")
		o.str("app", permSets[i].app)
		o.str("type", permSets[i].typ)
		o.int("assignment_count", 1)
		o.raw("contents", `["deal_read","person_read","organization_read"]`)
		c.buf = o.close()
		return 200
	}
	return c.fail(404, "Permission set not found")
}

func (c *call) filterOne() int {
	id, err := strconv.Atoi(c.params[0])
	if err != nil || id < 1 || id > len(filterTypes) {
		return c.fail(404, "Filter not found")
	}
	return c.ok1(func(b []byte) []byte {
		b = c.renderFilter(b, id-1)
		b = append(b[:len(b)-1], `,"conditions":{"glue":"and","conditions":[{"glue":"and","conditions":[]},{"glue":"or","conditions":[]}]}}`...)
		return b
	})
}

// filterHelpers: the operators by field type the filter editor offers.
func (c *call) filterHelpers() int {
	c.buf = append(c.buf[:0], `{"success":true,"data":{"operators":{"varchar":["=","!=","LIKE '%$%'","NOT LIKE '%$%'","IS NULL","IS NOT NULL"],"double":["=","!=","<",">","<=",">=","IS NULL","IS NOT NULL"],"date":["=","!=","<",">","IS NULL","IS NOT NULL"]},"relative_dates":{"today":"Today","yesterday":"Yesterday","last_week":"Last week","this_month":"This month"},"address_field_components":{"locality":"City","country":"Country","postal_code":"ZIP/Postal code"}}}`...)
	return 200
}

// goalResults: progress is the goal's share of its target met so far.
func (c *call) goalResults() int {
	idx := -1
	for i := range simGoals {
		if uuidFor(c.w.seed, 0x60A1, int64(i+1)) == c.params[0] {
			idx = i
		}
	}
	if idx < 0 {
		return c.fail(404, "Goal not found")
	}
	if c.q.Get("period.start") == "" || c.q.Get("period.end") == "" {
		return c.fail(400, "Validation failed: period.start, period.end: Required")
	}
	c.buf = append(c.buf[:0], `{"success":true,"data":{"progress":`...)
	c.buf = strconv.AppendInt(c.buf, int64(3+idx*4), 10)
	c.buf = append(c.buf, `,"goal":`...)
	c.buf = c.renderGoal(c.buf, idx)
	c.buf = append(c.buf, "}}"...)
	return 200
}

// noteComments: every other note has one comment by its author.
func (c *call) noteComments() ([]int64, rec, bool) {
	r, ok := c.liveRec("notes")
	if !ok {
		return nil, r, false
	}
	if r.id%2 == 0 {
		return nil, r, true
	}
	return []int64{r.id}, r, true
}

func (c *call) renderComment(b []byte, r rec) []byte {
	own := c.w.owner(tagNote, r.id)
	o := openObj(b)
	o.str("uuid", uuidFor(c.w.seed, tagComment, r.id))
	o.bool("active_flag", true)
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.at, layoutV1)
	o.str("content", "Agreed, let's follow up.")
	o.str("object_id", strconv.FormatInt(r.id, 10))
	o.str("object_type", "note")
	o.int("user_id", own)
	o.int("updater_id", own)
	o.int("company_id", 1000+c.w.seed%1000)
	return o.close()
}

func (c *call) noteCommentsList() int {
	cs, r, ok := c.noteComments()
	if !ok {
		return c.fail(404, "Note not found")
	}
	return c.pagedV1(len(cs), 500, v1Pagination, func(b []byte, _ int) []byte { return c.renderComment(b, r) })
}

func (c *call) noteCommentOne() int {
	cs, r, ok := c.noteComments()
	if !ok || len(cs) == 0 || c.params[1] != uuidFor(c.w.seed, tagComment, r.id) {
		return c.fail(404, "Comment not found")
	}
	return c.ok1(func(b []byte) []byte { return c.renderComment(b, r) })
}

// entityFiles lists the files attached to the record: files attach to
// deals only (a file's deal_id), so other records have none.
func (c *call) entityFiles(entity string) int {
	r, ok := c.liveRec(entity)
	if !ok {
		return c.fail(404, "Item not found")
	}
	w := c.w
	return c.listV1("files", 100, v1Flat, true, false, func(f rec) bool {
		return entity == "deals" && w.rel(tagFile, f.id, 1, "deals") == r.id
	}, func(b []byte, f rec) []byte { return c.renderFile(b, f, false) })
}

// entityMail lists the messages of the record's mail threads (threads
// link a deal and a person; an organization's are its persons').
func (c *call) entityMail(entity string) int {
	r, ok := c.liveRec(entity)
	if !ok {
		return c.fail(404, "Item not found")
	}
	w := c.w
	var threads []rec
	w.ents["mailThreads"].scan(byID, false, cursorPos{}, 0, 0, func(t rec) bool {
		if t.deleted {
			return true
		}
		person := w.rel(tagMailThread, t.id, 1, "persons")
		switch {
		case entity == "deals" && w.rel(tagMailThread, t.id, 2, "deals") == r.id,
			entity == "persons" && person == r.id,
			entity == "organizations" && w.rel(tagPerson, person, 1, "organizations") == r.id:
			threads = append(threads, t)
		}
		return true
	})
	type msg struct {
		t rec
		i int
	}
	var msgs []msg
	for _, t := range threads {
		for i := 0; i < mailCount(t.id); i++ {
			msgs = append(msgs, msg{t, i})
		}
	}
	body := c.q.Get("include_body") == "1"
	return c.pagedV1(len(msgs), 500, v1Flat, func(b []byte, k int) []byte {
		o := openObj(b)
		o.str("object", "mailMessage")
		o.ts("timestamp", msgs[k].t.at+int64(msgs[k].i)*3600, layoutV1)
		o.key("data")
		o.b = c.renderMailMessage(o.b, msgs[k].t, msgs[k].i, true, body)
		return o.close()
	})
}

// followersV1 renders v1 followers lists; each has its own item shape.
func (c *call) followersV1(entity string, tag uint64) int {
	r, fs, ok := c.followersOf(entity, tag)
	if !ok {
		return c.fail(404, "Item not found")
	}
	style := v1Flat
	if entity == "organizations" {
		style = v1Pagination
	}
	return c.pagedV1(len(fs), 500, style, func(b []byte, i int) []byte {
		o := openObj(b)
		switch entity {
		case "organizations":
			o.int("org_id", r.id)
		case "products":
			o.int("product_id", r.id)
		case "deals":
			o.int("deal_id", r.id)
		}
		o.int("user_id", fs[i])
		o.int("id", r.id*10+int64(i))
		o.ts("add_time", r.at, layoutV1)
		return o.close()
	})
}

// permittedUsersV1: deals/{id}/permittedUsers documents no data, the
// others a list of user ids (every user may see every record).
func (c *call) permittedUsersV1(entity string) int {
	if entity == "leads" {
		if _, ok := c.w.findLead(c.params[0]); !ok {
			return c.fail(404, "Lead not found")
		}
		return c.allUsers()
	}
	if _, ok := c.liveRec(entity); !ok {
		return c.fail(404, "Item not found")
	}
	if entity == "deals" {
		c.buf = append(c.buf[:0], `{"success":true}`...)
		return 200
	}
	return c.allUsers()
}

func (c *call) allUsers() int {
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	for u := 1; u <= c.w.users; u++ {
		if u > 1 {
			c.buf = append(c.buf, ',')
		}
		c.buf = strconv.AppendInt(c.buf, int64(u), 10)
	}
	c.buf = append(c.buf, "]}"...)
	return 200
}

// participants of a deal: its person, and on every fourth deal another.
func (w *world) participants(dealID int64) []int64 {
	var out []int64
	if p := w.rel(tagDeal, dealID, 1, "persons"); p != 0 {
		out = append(out, p)
	}
	if dealID%4 == 0 {
		if p := w.rel(tagDeal, dealID, 7, "persons"); p != 0 && (len(out) == 0 || out[0] != p) {
			out = append(out, p)
		}
	}
	return out
}

func (c *call) dealParticipants() int {
	r, ok := c.liveRec("deals")
	if !ok {
		return c.fail(404, "Deal not found")
	}
	w := c.w
	ps := w.participants(r.id)
	return c.pagedV1(len(ps), 500, v1Flat, func(b []byte, i int) []byte {
		pid := ps[i]
		pr, _ := w.ents["persons"].get(pid)
		own := w.owner(tagPerson, pid)
		email := "person" + strconv.FormatInt(pid, 10) + "@example.com"
		o := openObj(b)
		o.int("id", r.id*10+int64(i))
		o.key("person_id")
		p := openObj(o.b)
		p.bool("active_flag", true)
		p.str("name", w.personName(pid))
		appendContacts(&p, "email", email)
		p.int("owner_id", own)
		p.int("company_id", 1000+w.seed%1000)
		p.int("value", pid)
		o.b = p.close()
		o.ts("add_time", r.at, layoutV1)
		o.bool("active_flag", true)
		o.key("related_item_data")
		d := openObj(o.b)
		d.int("deal_id", r.id)
		d.str("title", w.dealTitle(r.id))
		o.b = d.close()
		o.key("person")
		p = openObj(o.b)
		p.int("id", pid)
		p.int("company_id", 1000+w.seed%1000)
		p.bool("active_flag", true)
		appendContacts(&p, "email", email)
		first, last := "", ""
		hs := newHasher(w.seed, tagPerson, pid, -5)
		first, last = hs.personName()
		p.str("first_char", strings.ToLower(first[:1]))
		p.ts("add_time", pr.at, layoutV1)
		p.ts("update_time", pr.ut, layoutV1)
		p.str("visible_to", "3")
		p.str("owner_name", w.userName(own))
		org := w.rel(tagPerson, pid, 1, "organizations")
		if org != 0 {
			p.str("org_name", w.orgName(org))
		}
		p.str("name", first+" "+last)
		p.str("first_name", first)
		p.str("last_name", last)
		o.b = p.close()
		o.key("added_by_user_id")
		u := openObj(o.b)
		u.bool("success", true)
		u.key("data")
		u.b = w.renderUser(u.b, w.owner(tagDeal, r.id), false)
		o.b = u.close()
		o.str("related_item_type", "deal")
		o.int("related_item_id", r.id)
		return o.close()
	})
}

// participantsChangelog: each participant was added with the deal. The
// operation takes a cursor yet documents start-style additional_data, so
// both start and an offset cursor are honoured.
func (c *call) participantsChangelog() int {
	r, ok := c.liveRec("deals")
	if !ok {
		return c.fail(404, "Deal not found")
	}
	ps := c.w.participants(r.id)
	if v := c.q.Get("cursor"); v != "" {
		pos, ok := c.decodeCursor(v)
		if !ok {
			return c.fail(400, "Validation failed: cursor: Invalid cursor")
		}
		c.q.Set("start", strconv.FormatInt(pos.id, 10))
	}
	return c.pagedV1(len(ps), 500, v1Flat, func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("actor_user_id", c.w.owner(tagDeal, r.id))
		o.int("person_id", ps[i])
		o.str("action", "added")
		o.ts("time", r.at, layoutV1)
		return o.close()
	})
}

// flowV1 answers persons|organizations/{id}/flow: the record's creation
// and each later change, like deals/{id}/flow.
func (c *call) flowV1(entity string) int {
	r, ok := c.liveRec(entity)
	if !ok {
		return c.fail(404, "Item not found")
	}
	total := 1 + r.ver
	obj := map[string]string{"persons": "personChange", "organizations": "organizationChange"}[entity]
	tag := map[string]uint64{"persons": tagPerson, "organizations": tagOrg}[entity]
	return c.pagedV1(total, 500, v1Flat, func(b []byte, i int) []byte {
		ts := r.at + (r.ut-r.at)*int64(i)/int64(total)
		return appendChange(b, obj, r, i, ts, c.w.owner(tag, r.id), []string{"add_time", "name", "owner_id"})
	})
}

// organizationRelationships: every odd organization is the parent of the
// next one; relationship i links organization i to i+1.
func (w *world) orgRelationship(id int64) bool {
	return id%2 == 1 && id+1 <= w.ents["organizations"].nextID-1
}

func (c *call) renderOrgRel(b []byte, id, viewer int64) []byte {
	w := c.w
	ref := func(o *obj, k string, org int64) {
		o.key(k)
		p := openObj(o.b)
		p.str("name", w.orgName(org))
		p.int("owner_id", w.owner(tagOrg, org))
		p.int("value", org)
		o.b = p.close()
	}
	r, _ := w.ents["organizations"].get(id + 1)
	o := openObj(b)
	o.int("id", id)
	o.str("type", "parent")
	ref(&o, "rel_owner_org_id", id)
	ref(&o, "rel_linked_org_id", id+1)
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.at, layoutV1)
	o.str("active_flag", "true")
	if viewer != 0 {
		other, typ := id+1, "parent"
		if viewer == id+1 {
			other, typ = id, "daughter"
		}
		o.str("calculated_type", typ)
		o.int("calculated_related_org_id", other)
	}
	return o.close()
}

func (c *call) orgRelationships() int {
	org, ok := c.intParam("org_id")
	if !ok || org == 0 {
		return c.fail(400, "Validation failed: org_id: Required integer")
	}
	var ids []int64
	for _, id := range []int64{org - 1, org} {
		if id >= 1 && c.w.orgRelationship(id) {
			ids = append(ids, id)
		}
	}
	return c.pagedV1(len(ids), 500, v1Flat, func(b []byte, i int) []byte { return c.renderOrgRel(b, ids[i], org) })
}

func (c *call) orgRelationshipOne() int {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	if err != nil || id < 1 || !c.w.orgRelationship(id) {
		return c.fail(404, "Organization relationship not found")
	}
	org, _ := c.intParam("org_id")
	return c.ok1(func(b []byte) []byte { return c.renderOrgRel(b, id, org) })
}

// fileDownload answers the file's bytes (a small placeholder document).
func (c *call) fileDownload() int {
	r, ok := c.liveRec("files")
	if !ok {
		return c.fail(404, "File not found")
	}
	c.buf = append(c.buf[:0], "simulated file "...)
	c.buf = strconv.AppendInt(c.buf, r.id, 10)
	c.buf = append(c.buf, '\n')
	c.contentType = "application/octet-stream"
	return 200
}
