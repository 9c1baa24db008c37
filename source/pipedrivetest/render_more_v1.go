package pipedrivetest

import (
	"strconv"
	"strings"
)

// The v1 operations beyond the streams pdx reads: fields, single reads,
// per-record lists, projects, roles, users and settings.

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

// userID parses {id} as an existing user.
func (c *call) userID() (int64, bool) {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	return id, err == nil && id >= 1 && id <= int64(c.w.users)
}

func (c *call) userOne() int {
	id, ok := c.userID()
	if !ok {
		return c.fail(404, "User not found")
	}
	return c.ok1(func(b []byte) []byte { return c.w.renderUser(b, id, false) })
}

func (c *call) usersFind() int {
	term := strings.ToLower(c.q.Get("term"))
	if term == "" {
		return c.fail(400, "Validation failed: term: Required")
	}
	byEmail := c.q.Get("search_by_email") == "1"
	var ids []int64
	for id := int64(1); id <= int64(c.w.users); id++ {
		s := c.w.userName(id)
		if byEmail {
			s = c.w.userEmail(id)
		}
		if strings.Contains(strings.ToLower(s), term) {
			ids = append(ids, id)
		}
	}
	return c.static(len(ids), v1None, func(b []byte, i int) []byte { return c.w.renderUser(b, ids[i], false) })
}

func (c *call) userFollowersV1() int {
	fs, ok := c.userFollowers()
	if !ok {
		return c.fail(404, "User not found")
	}
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	for i, f := range fs {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = strconv.AppendInt(c.buf, f, 10)
	}
	c.buf = append(c.buf, "]}"...)
	return 200
}

var permissionNames = []string{"can_add_custom_fields", "can_add_products", "can_add_prospects_as_leads", "can_bulk_edit_items",
	"can_change_visibility_of_items", "can_convert_deals_to_leads", "can_create_own_workflow", "can_delete_activities",
	"can_delete_custom_fields", "can_delete_deals", "can_edit_custom_fields", "can_edit_deals_closed_date", "can_edit_products",
	"can_edit_shared_filters", "can_export_data_from_lists", "can_follow_other_users", "can_merge_deals",
	"can_merge_organizations", "can_merge_people", "can_modify_labels", "can_see_company_wide_statistics",
	"can_see_deals_list_summary", "can_see_hidden_items_names", "can_see_other_users", "can_see_other_users_statistics",
	"can_see_security_dashboard", "can_share_filters", "can_share_insights", "can_use_api", "can_use_email_tracking", "can_use_import"}

// userPermissions: the admin (user 1) may do everything, others all but
// the admin's few.
func (c *call) userPermissions() int {
	id, ok := c.userID()
	if !ok {
		return c.fail(404, "User not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		for _, p := range permissionNames {
			admin := strings.Contains(p, "custom_fields") || strings.Contains(p, "security") || strings.Contains(p, "merge")
			o.bool(p, id == 1 || !admin)
		}
		return o.close()
	})
}

// roleSettings are every role's (and so every user's) visibility settings.
func roleSettings(b []byte) []byte {
	o := openObj(b)
	for _, k := range []string{"deal_default_visibility", "lead_default_visibility", "org_default_visibility", "person_default_visibility", "product_default_visibility"} {
		o.int(k, 3)
	}
	for _, k := range []string{"deal_access_level", "org_access_level", "person_access_level", "product_access_level"} {
		o.int(k, 7)
	}
	return o.close()
}

func (c *call) userRoleSettings() int {
	if _, ok := c.userID(); !ok {
		return c.fail(404, "User not found")
	}
	return c.ok1(roleSettings)
}

var roleNames = []string{"Sales", "Support", "Management"}

// roleOf: user 1 has role 1; the others cycle through the roles.
func (w *world) roleOf(user int64) int64 {
	if user == 1 {
		return 1
	}
	return 1 + (user-1)%int64(len(roleNames))
}

// roleAssignment renders the assignment of user to its role.
func (c *call) roleAssignment(b []byte, user int64) []byte {
	role := c.w.roleOf(user)
	o := openObj(b)
	if role == 1 {
		o.null("parent_role_id")
	} else {
		o.int("parent_role_id", 1)
	}
	o.str("name", roleNames[role-1])
	o.int("user_id", user)
	o.int("role_id", role)
	o.bool("active_flag", true)
	o.str("type", "1")
	return o.close()
}

func (c *call) userRoleAssignments() int {
	id, ok := c.userID()
	if !ok {
		return c.fail(404, "User not found")
	}
	return c.pagedV1(1, 500, v1PaginationNoNext, func(b []byte, _ int) []byte { return c.roleAssignment(b, id) })
}

func (c *call) roleID() (int64, bool) {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	return id, err == nil && id >= 1 && id <= int64(len(roleNames))
}

func (c *call) roleOne() int {
	id, ok := c.roleID()
	if !ok {
		return c.fail(404, "Role not found")
	}
	c.buf = append(c.buf[:0], `{"success":true,"data":`...)
	o := openObj(c.buf)
	if id == 1 {
		o.null("parent_role_id")
	} else {
		o.int("parent_role_id", 1)
	}
	o.str("name", roleNames[id-1])
	o.int("id", id)
	o.bool("active_flag", true)
	o.str("assignment_count", strconv.Itoa(len(c.roleUsers(id))))
	o.str("sub_role_count", "0")
	c.buf = append(o.close(), `,"additional_data":{"settings":`...)
	c.buf = append(roleSettings(c.buf), "}}"...)
	return 200
}

func (c *call) roleUsers(role int64) []int64 {
	var out []int64
	for u := int64(1); u <= int64(c.w.users); u++ {
		if c.w.roleOf(u) == role {
			out = append(out, u)
		}
	}
	return out
}

func (c *call) roleAssignments() int {
	id, ok := c.roleID()
	if !ok {
		return c.fail(404, "Role not found")
	}
	us := c.roleUsers(id)
	return c.pagedV1(len(us), 500, v1PaginationNoNext, func(b []byte, i int) []byte { return c.roleAssignment(b, us[i]) })
}

func (c *call) roleSettingsOne() int {
	if _, ok := c.roleID(); !ok {
		return c.fail(404, "Role not found")
	}
	return c.ok1(roleSettings)
}

// rolePipelines: every role sees both pipelines.
func (c *call) rolePipelines() int {
	if _, ok := c.roleID(); !ok {
		return c.fail(404, "Role not found")
	}
	visible := c.q.Get("visible") != "false"
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		if visible {
			o.ints("pipeline_ids", []int64{1, 2})
		} else {
			o.ints("pipeline_ids", nil)
		}
		o.bool("visible", visible)
		return o.close()
	})
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
	for i := 0; i < 2; i++ {
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
	r, ok := c.liveRec(entity)
	if !ok {
		return c.fail(404, "Item not found")
	}
	fs := c.w.followers(tag, r.id)
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

// renderDealV1 renders a deal in v1's flat shape (recents, timeline,
// persons/{id}/products); expand writes user, person and org as objects
// (products/{id}/deals).
func (c *call) renderDealV1(b []byte, r rec, expand bool) []byte {
	w := c.w
	hs := newHasher(w.seed, tagDeal, r.id, -5)
	hs.orgName()
	hs.pick(dealWords)
	cur := hs.pick(currencies)
	h := newHasher(w.seed, tagDeal, r.id, r.ver)
	value := float64(h.n(2000) * 50)
	status := w.dealStatus(r.id)
	if r.deleted {
		status = "deleted"
	}
	own := w.owner(tagDeal, r.id)
	person := w.rel(tagDeal, r.id, 1, "persons")
	org := w.rel(tagDeal, r.id, 2, "organizations")
	stage, pipe := w.dealStage(r.id)
	o := openObj(b)
	o.int("id", r.id)
	if expand {
		w.userRef(&o, "creator_user_id", own, false)
		w.userRef(&o, "user_id", own, false)
		if person != 0 {
			o.key("person_id")
			p := openObj(o.b)
			p.bool("active_flag", true)
			p.str("name", w.personName(person))
			appendContacts(&p, "email", "person"+strconv.FormatInt(person, 10)+"@example.com")
			p.int("owner_id", w.owner(tagPerson, person))
			p.int("value", person)
			o.b = p.close()
		} else {
			o.null("person_id")
		}
		if org != 0 {
			o.key("org_id")
			p := openObj(o.b)
			p.str("name", w.orgName(org))
			p.int("owner_id", w.owner(tagOrg, org))
			p.bool("active_flag", true)
			p.int("value", org)
			o.b = p.close()
		} else {
			o.null("org_id")
		}
	} else {
		o.int("creator_user_id", own)
		o.int("user_id", own)
		o.intOrNull("person_id", person)
		o.intOrNull("org_id", org)
	}
	o.int("stage_id", stage)
	o.str("title", w.dealTitle(r.id))
	o.num("value", value)
	o.str("currency", cur)
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.ut, layoutV1)
	o.ts("stage_change_time", r.at+(r.ut-r.at)/2, layoutV1)
	o.bool("active", status == "open")
	o.bool("deleted", r.deleted)
	o.str("status", status)
	o.null("probability")
	o.str("visible_to", "3")
	o.int("pipeline_id", pipe)
	closed := r.at + (r.ut-r.at)*3/4
	if status == "won" {
		o.ts("won_time", closed, layoutV1)
	} else {
		o.null("won_time")
	}
	if status == "lost" {
		o.ts("lost_time", closed, layoutV1)
		o.str("lost_reason", "Price too high")
	} else {
		o.null("lost_time")
		o.null("lost_reason")
	}
	o.int("products_count", int64(w.dealProductCount(r.id)))
	o.ts("expected_close_date", r.at+61*86400, layoutDate)
	return o.close()
}

// userRef writes a v1 user reference; the specs type has_pic as a boolean
// in deals and an integer elsewhere (intPic).
func (w *world) userRef(o *obj, k string, id int64, intPic bool) {
	o.key(k)
	p := openObj(o.b)
	p.int("id", id)
	p.str("name", w.userName(id))
	p.str("email", w.userEmail(id))
	if intPic {
		p.int("has_pic", 0)
	} else {
		p.bool("has_pic", false)
	}
	p.null("pic_hash")
	p.bool("active_flag", true)
	p.int("value", id)
	o.b = p.close()
}

// productDeals lists the deals with a line of product {id}.
func (c *call) productDeals() int {
	r, ok := c.liveRec("products")
	if !ok {
		return c.fail(404, "Product not found")
	}
	w := c.w
	status := c.q.Get("status")
	if status == "" {
		status = "all_not_deleted"
	}
	nowU := c.now.Unix()
	e := w.ents["deals"]
	return c.listV1("deals", 500, v1Flat, false, false, func(d rec) bool {
		if d.archived || !e.visible(d, nowU) {
			return false
		}
		if status != "all_not_deleted" && w.dealStatus(d.id) != status {
			return false
		}
		for _, dp := range w.dealProducts(d.id) {
			if dp.productID == r.id {
				return true
			}
		}
		return false
	}, func(b []byte, d rec) []byte { return c.renderDealV1(b, d, true) })
}

// personProducts lists the product lines of the person's deals, each keyed
// by its deal id.
func (c *call) personProducts() int {
	r, ok := c.liveRec("persons")
	if !ok {
		return c.fail(404, "Person not found")
	}
	w := c.w
	var lines []dealProduct
	var deals []rec
	w.ents["deals"].scan(byID, false, cursorPos{}, 0, 0, func(d rec) bool {
		if !d.deleted && w.rel(tagDeal, d.id, 1, "persons") == r.id {
			for _, dp := range w.dealProducts(d.id) {
				lines = append(lines, dp)
				deals = append(deals, d)
			}
		}
		return true
	})
	return c.pagedV1(len(lines), 500, v1Pagination, func(b []byte, i int) []byte {
		dp := lines[i]
		pr, _ := w.ents["products"].get(dp.productID)
		o := openObj(b)
		o.key(strconv.FormatInt(dp.dealID, 10))
		e := openObj(o.b)
		e.key("deal")
		e.b = c.renderDealV1(e.b, deals[i], false)
		e.key("product")
		p := openObj(e.b)
		p.int("id", dp.productID)
		p.str("name", productName(dp.productID))
		p.str("code", "SKU-"+strconv.FormatInt(1000+dp.productID, 10))
		p.str("unit", "pcs")
		p.bool("active_flag", true)
		p.bool("selectable", true)
		p.int("owner_id", w.owner(tagProduct, dp.productID))
		p.ts("add_time", pr.at, layoutV1)
		p.ts("update_time", pr.ut, layoutV1)
		p.int("deal_id", dp.dealID)
		e.b = p.close()
		o.b = e.close()
		return o.close()
	})
}

// dealSummary totals the open deals the filters select (values in their
// currencies, converted 1:1: the simulator keeps no exchange rates).
func (c *call) dealSummary() int {
	w := c.w
	status := c.q.Get("status")
	user, ok1 := c.intParam("user_id")
	pipe, ok2 := c.intParam("pipeline_id")
	stage, ok3 := c.intParam("stage_id")
	if !ok1 || !ok2 || !ok3 {
		return c.fail(400, "Validation failed: user_id, pipeline_id, stage_id: Must be integers")
	}
	var total float64
	n := 0
	w.ents["deals"].scan(byID, false, cursorPos{}, 0, 0, func(d rec) bool {
		if d.deleted || d.archived || status != "" && w.dealStatus(d.id) != status ||
			user != 0 && w.owner(tagDeal, d.id) != user {
			return true
		}
		st, pp := w.dealStage(d.id)
		if pipe != 0 && pp != pipe || stage != 0 && st != stage {
			return true
		}
		h := newHasher(w.seed, tagDeal, d.id, d.ver)
		total += float64(h.n(2000) * 50)
		n++
		return true
	})
	f := "€" + strconv.FormatFloat(total, 'f', 0, 64)
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.key("values_total")
		v := openObj(o.b)
		v.num("value", total)
		v.int("count", int64(n))
		v.num("value_converted", total)
		v.str("value_formatted", f)
		v.str("value_converted_formatted", f)
		o.b = v.close()
		o.key("weighted_values_total")
		v = openObj(o.b)
		v.num("value", total)
		v.int("count", int64(n))
		v.str("value_formatted", f)
		o.b = v.close()
		o.int("total_count", int64(n))
		o.num("total_currency_converted_value", total)
		o.num("total_weighted_currency_converted_value", total)
		o.str("total_currency_converted_value_formatted", f)
		o.str("total_weighted_currency_converted_value_formatted", f)
		return o.close()
	})
}

// dealTimeline: the spec types data as one period, so the simulator
// answers one period spanning start_date plus amount intervals, with the
// open and won deals whose field_key date falls in it.
func (c *call) dealTimeline() int {
	start, ok := parseV1Time(c.q.Get("start_date") + " 00:00:00")
	amount, err := strconv.Atoi(c.q.Get("amount"))
	days := map[string]int{"day": 1, "week": 7, "month": 30, "quarter": 91}[c.q.Get("interval")]
	fk := c.q.Get("field_key")
	if !ok || err != nil || amount < 1 || days == 0 || fk != "add_time" && fk != "update_time" && fk != "expected_close_date" {
		return c.fail(400, "Validation failed: start_date, interval (day, week, month, quarter), amount and field_key (add_time, update_time, expected_close_date) are required")
	}
	end := start + int64(amount*days)*86400
	user, ok1 := c.intParam("user_id")
	pipe, ok2 := c.intParam("pipeline_id")
	if !ok1 || !ok2 {
		return c.fail(400, "Validation failed: user_id, pipeline_id: Must be integers")
	}
	w := c.w
	var deals []rec
	var total float64
	won := 0
	w.ents["deals"].scan(byID, false, cursorPos{}, 0, 0, func(d rec) bool {
		st := w.dealStatus(d.id)
		if d.deleted || d.archived || st != "open" && st != "won" || user != 0 && w.owner(tagDeal, d.id) != user {
			return true
		}
		if _, pp := w.dealStage(d.id); pipe != 0 && pp != pipe {
			return true
		}
		t := map[string]int64{"add_time": d.at, "update_time": d.ut, "expected_close_date": d.at + 61*86400}[fk]
		if t >= start && t < end {
			deals = append(deals, d)
			h := newHasher(w.seed, tagDeal, d.id, d.ver)
			total += float64(h.n(2000) * 50)
			if st == "won" {
				won++
			}
		}
		return true
	})
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.ts("period_start", start, layoutV1)
		o.ts("period_end", end-1, layoutV1)
		o.key("deals")
		o.b = append(o.b, '[')
		for i, d := range deals {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = c.renderDealV1(o.b, d, false)
		}
		o.b = append(o.b, ']')
		o.key("totals")
		t := openObj(o.b)
		t.int("count", int64(len(deals)))
		t.raw("values", `{"EUR":`+strconv.FormatFloat(total, 'f', -1, 64)+`}`)
		t.int("open_count", int64(len(deals)-won))
		t.int("won_count", int64(won))
		o.b = t.close()
		return o.close()
	})
}

// pipelineDeals are the pipeline's open deals added in [start, end).
func (c *call) pipelineStats(movement bool) int {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	if err != nil || id < 1 || id > 2 {
		return c.fail(404, "Pipeline not found")
	}
	from, ok1 := parseV1Time(c.q.Get("start_date") + " 00:00:00")
	to, ok2 := parseV1Time(c.q.Get("end_date") + " 23:59:59")
	if !ok1 || !ok2 {
		return c.fail(400, "Validation failed: start_date, end_date: Required dates (YYYY-MM-DD)")
	}
	w := c.w
	byStatus := map[string][]int64{}
	var sums = map[string]float64{}
	w.ents["deals"].scan(byID, false, cursorPos{}, 0, 0, func(d rec) bool {
		if d.deleted || d.at < from || d.at > to {
			return true
		}
		if _, pp := w.dealStage(d.id); pp != id {
			return true
		}
		st := w.dealStatus(d.id)
		byStatus[st] = append(byStatus[st], d.id)
		h := newHasher(w.seed, tagDeal, d.id, d.ver)
		sums[st] += float64(h.n(2000) * 50)
		return true
	})
	all := len(byStatus["open"]) + len(byStatus["won"]) + len(byStatus["lost"])
	if !movement {
		return c.ok1(func(b []byte) []byte {
			o := openObj(b)
			o.key("stage_conversions")
			o.b = append(o.b, '[')
			for s := int64(1); s < stagesPerPipe; s++ {
				if s > 1 {
					o.b = append(o.b, ',')
				}
				p := openObj(o.b)
				p.int("from_stage_id", (id-1)*stagesPerPipe+s)
				p.int("to_stage_id", (id-1)*stagesPerPipe+s+1)
				p.int("conversion_rate", int64(100-15*s))
				o.b = p.close()
			}
			o.b = append(o.b, ']')
			o.int("won_conversion", int64(pct(len(byStatus["won"]), all)))
			o.int("lost_conversion", int64(pct(len(byStatus["lost"]), all)))
			return o.close()
		})
	}
	group := func(o *obj, k string, ids []int64, sum float64) {
		o.key(k)
		p := openObj(o.b)
		p.int("count", int64(len(ids)))
		p.ints("deals_ids", ids)
		p.raw("values", `{"EUR":`+strconv.FormatFloat(sum, 'f', -1, 64)+`}`)
		p.raw("formatted_values", `{"EUR":"€`+strconv.FormatFloat(sum, 'f', 0, 64)+`"}`)
		o.b = p.close()
	}
	var added []int64
	for _, s := range []string{"open", "won", "lost"} {
		added = append(added, byStatus[s]...)
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.raw("movements_between_stages", `{"count":`+strconv.Itoa(len(added))+`}`)
		group(&o, "new_deals", added, sums["open"]+sums["won"]+sums["lost"])
		group(&o, "deals_left_open", byStatus["open"], sums["open"])
		group(&o, "won_deals", byStatus["won"], sums["won"])
		group(&o, "lost_deals", byStatus["lost"], sums["lost"])
		o.raw("average_age_in_days", `{"across_all_stages":30,"by_stages":[]}`)
		return o.close()
	})
}

func pct(a, n int) int {
	if n == 0 {
		return 0
	}
	return 100 * a / n
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

// renderProjectV1 renders a project in v1's shape.
func (w *world) renderProjectV1(b []byte, r rec) []byte {
	status, phase := w.projectStatusPhase(r)
	o := openObj(b)
	o.int("id", r.id)
	o.str("title", "Project "+strconv.FormatInt(r.id, 10))
	o.int("board_id", 1)
	o.int("phase_id", phase)
	o.str("description", "")
	o.str("status", status)
	o.int("owner_id", w.owner(tagProject, r.id))
	o.str("start_date", unix(r.at).Format(layoutDate))
	o.str("end_date", unix(r.at).AddDate(0, 3, 0).Format(layoutDate))
	o.ints("deal_ids", []int64{w.rel(tagProject, r.id, 1, "deals")})
	o.null("org_id")
	o.null("person_id")
	o.ints("labels", nil)
	o.null("health_status")
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.ut, layoutV1)
	o.ts("status_change_time", r.at, layoutV1)
	if r.archived {
		o.ts("archive_time", r.ut, layoutV1)
	} else {
		o.null("archive_time")
	}
	return o.close()
}

func (w *world) renderTaskV1(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagTask, r.id, r.ver)
	o := openObj(b)
	o.int("id", r.id)
	o.str("title", "Task "+strconv.FormatInt(r.id, 10))
	o.int("project_id", w.rel(tagTask, r.id, 1, "projects"))
	o.null("description")
	o.null("parent_task_id")
	own := w.owner(tagTask, r.id)
	o.int("assignee_id", own)
	o.ints("assignee_ids", []int64{own})
	done := h.n(2) == 0
	if done {
		o.int("done", 1)
	} else {
		o.int("done", 0)
	}
	o.null("due_date")
	o.int("creator_id", own)
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.ut, layoutV1)
	if done {
		o.ts("marked_as_done_time", r.ut, layoutV1)
	} else {
		o.null("marked_as_done_time")
	}
	return o.close()
}

// projectsV1 is v1's cursor-paged projects list (archived ones only with
// include_archived).
func (c *call) projectsV1() int {
	withArch := c.q.Get("include_archived") == "true" || c.q.Get("include_archived") == "1"
	pf, msg := c.projectFilter()
	if msg != "" {
		return c.fail(400, msg)
	}
	return c.listV2(v2Opts{entity: "projects", filter: func(c *call, r rec) bool {
		return !r.deleted && (withArch || !r.archived) && pf(r)
	}, render: c.w.renderProjectV1})
}

// projectFilter reads the status (comma list) and phase_id filters.
func (c *call) projectFilter() (func(r rec) bool, string) {
	phase, ok := c.intParam("phase_id")
	if !ok {
		return nil, "Validation failed: phase_id: Must be an integer"
	}
	var statuses map[string]bool
	if v := c.q.Get("status"); v != "" {
		statuses = map[string]bool{}
		for _, st := range strings.Split(v, ",") {
			statuses[st] = true
		}
	}
	return func(r rec) bool {
		st, ph := c.w.projectStatusPhase(r)
		return (phase == 0 || ph == phase) && (statuses == nil || statuses[st])
	}, ""
}

func (c *call) tasksV1() int {
	prep, f := simpleFilter(map[string]func(*world, int64) int64{"project_id": relOf(tagTask, 1, "projects"), "assignee_id": ownerOf(tagTask)})
	done := c.q.Get("done")
	parent := c.q.Get("parent_task_id")
	return c.listV2(v2Opts{entity: "tasks", prepare: prep, filter: func(c *call, r rec) bool {
		h := newHasher(c.w.seed, tagTask, r.id, r.ver)
		isDone := h.n(2) == 0 // as renderTaskV1
		// Tasks have no parents: parent_task_id=<id> finds none, =null all.
		return f(c, r) && (done == "" || (done == "1") == isDone) && (parent == "" || parent == "null")
	}, render: c.w.renderTaskV1})
}

func (c *call) projectTasksV1() int {
	r, ok := c.liveRec("projects")
	if !ok {
		return c.fail(404, "Project not found")
	}
	c.q.Set("project_id", strconv.FormatInt(r.id, 10))
	return c.tasksV1()
}

// projectActivities: projects have no activities in the simulator
// (activities' project_id is null), so the list is empty.
func (c *call) projectActivities() int {
	if _, ok := c.liveRec("projects"); !ok {
		return c.fail(404, "Project not found")
	}
	c.buf = append(c.buf[:0], `{"success":true,"data":[],"additional_data":{"next_cursor":null}}`...)
	return 200
}

// projectGroups: each project has one group, which holds its tasks.
func (c *call) projectGroups() int {
	r, ok := c.liveRec("projects")
	if !ok {
		return c.fail(404, "Project not found")
	}
	c.buf = append(c.buf[:0], `{"success":true,"data":[{"id":`...)
	c.buf = strconv.AppendInt(c.buf, r.id, 10)
	c.buf = append(c.buf, `,"name":"Tasks","order_nr":1}]}`...)
	return 200
}

// projectPlan places each task of the project in the project's phase and
// group.
func (c *call) projectPlan() int {
	r, ok := c.liveRec("projects")
	if !ok {
		return c.fail(404, "Project not found")
	}
	w := c.w
	_, phase := w.projectStatusPhase(r)
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	n := 0
	w.ents["tasks"].scan(byID, false, cursorPos{}, 0, 0, func(t rec) bool {
		if t.deleted || w.rel(tagTask, t.id, 1, "projects") != r.id {
			return true
		}
		if n > 0 {
			c.buf = append(c.buf, ',')
		}
		o := openObj(c.buf)
		o.int("item_id", t.id)
		o.str("item_type", "task")
		o.int("phase_id", phase)
		o.int("group_id", r.id)
		c.buf = o.close()
		n++
		return true
	})
	c.buf = append(c.buf, "]}"...)
	return 200
}

func (c *call) webhooks() int {
	c.buf = append(c.buf[:0], `{"success":true,"status":"ok","data":[`...)
	o := openObj(c.buf)
	o.int("id", 1)
	o.int("company_id", 1000+c.w.seed%1000)
	o.int("owner_id", 1)
	o.int("user_id", 1)
	o.str("event_action", "*")
	o.str("event_object", "deal")
	o.str("subscription_url", "https://example.com/pipedrive-hook")
	o.str("version", "2.0")
	o.int("is_active", 1)
	o.time("add_time", c.w.start, layoutV1)
	o.null("remove_time")
	o.str("type", "general")
	o.null("http_auth_user")
	o.null("http_auth_password")
	o.null("remove_reason")
	o.null("last_delivery_time")
	o.null("last_http_status")
	o.int("admin_id", 1)
	o.str("name", "Deal changes")
	c.buf = append(o.close(), "]}"...)
	return 200
}

func (c *call) userSettings() int {
	c.buf = append(c.buf[:0], `{"success":true,"data":{"marketplace_team":false,"list_limit":500,"beta_app":false,"prevent_salesphone_callto_override":false,"file_upload_destination":"s3","callto_link_syntax":"callto:[number]","autofill_deal_expected_close_date":false,"person_duplicate_condition":"email"}}`...)
	return 200
}

// userConnections: the token owner has connected no Google account.
func (c *call) userConnections() int {
	c.buf = append(c.buf[:0], `{"success":true,"data":{"google":null}}`...)
	return 200
}

// addons: the simulated company has bought LeadBooster.
func (c *call) addons() int {
	c.buf = append(c.buf[:0], `{"success":true,"data":[{"code":"leadbooster_v2"}]}`...)
	return 200
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
