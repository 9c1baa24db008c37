package pipedrivetest

import (
	"strconv"
	"strings"
)

func (w *world) userName(id int64) string {
	h := newHasher(w.seed, 0x05E5, id, 0)
	f, l := h.personName()
	return f + " " + l
}

func (w *world) userEmail(id int64) string {
	return "user" + strconv.FormatInt(id, 10) + "@example.com"
}

func (c *call) notes() int {
	w := c.w
	// The record filters of the spec that the simulator can answer.
	want := map[string]int64{}
	attr := map[string]func(id int64) int64{
		"deal_id":   func(id int64) int64 { return w.rel(tagNote, id, 1, "deals") },
		"person_id": func(id int64) int64 { return w.rel(tagNote, id, 2, "persons") },
		"org_id":    func(id int64) int64 { return w.rel(tagNote, id, 3, "organizations") },
		"user_id":   func(id int64) int64 { return w.owner(tagNote, id) },
	}
	for name := range attr {
		v, ok := c.intParam(name)
		if !ok {
			return c.fail(400, "Validation failed: "+name+": Must be an integer")
		}
		if v != 0 {
			want[name] = v
		}
	}
	var filter func(r rec) bool
	if len(want) > 0 {
		filter = func(r rec) bool {
			for name, v := range want {
				if attr[name](r.id) != v {
					return false
				}
			}
			return true
		}
	}
	return c.listV1("notes", 500, v1Pagination, true, true, filter, w.renderNote)
}

// renderNote renders a v1 note (the notes list and notes/{id}).
func (w *world) renderNote(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagNote, r.id, r.ver)
	o := openObj(b)
	o.int("id", r.id)
	o.bool("active_flag", true)
	o.ts("add_time", r.at, layoutV1)
	o.str("content", h.pick(noteTexts))
	deal := w.rel(tagNote, r.id, 1, "deals")
	person := w.rel(tagNote, r.id, 2, "persons")
	org := w.rel(tagNote, r.id, 3, "organizations")
	o.key("deal")
	d := openObj(o.b)
	d.str("title", w.dealTitle(deal))
	o.b = d.close()
	o.null("lead_id")
	o.int("deal_id", deal)
	own := w.owner(tagNote, r.id)
	o.int("last_update_user_id", own)
	o.int("org_id", org)
	o.key("organization")
	n := openObj(o.b)
	n.str("name", w.orgName(org))
	o.b = n.close()
	o.key("person")
	n = openObj(o.b)
	n.str("name", w.personName(person))
	o.b = n.close()
	o.int("person_id", person)
	o.null("project_id")
	o.null("project")
	o.null("task_id")
	o.null("task")
	o.bool("pinned_to_deal_flag", h.n(5) == 0)
	o.bool("pinned_to_organization_flag", false)
	o.bool("pinned_to_person_flag", false)
	o.bool("pinned_to_project_flag", false)
	o.bool("pinned_to_task_flag", false)
	o.ts("update_time", r.ut, layoutV1)
	o.key("user")
	n = openObj(o.b)
	n.str("email", w.userEmail(own))
	n.null("icon_url")
	n.bool("is_you", own == 1)
	n.str("name", w.userName(own))
	o.b = n.close()
	o.int("user_id", own)
	return o.close()
}

func (c *call) files() int {
	return c.listV1("files", 100, v1Pagination, true, true, nil, func(b []byte, r rec) []byte { return c.renderFile(b, r, true) })
}

// renderFile renders a v1 file (files, files/{id}, {entity}/{id}/files;
// the per-entity lists' schema has no project fields).
func (c *call) renderFile(b []byte, r rec, project bool) []byte {
	w := c.w
	h := newHasher(w.seed, tagFile, r.id, r.ver)
	deal := w.rel(tagFile, r.id, 1, "deals")
	o := openObj(b)
	o.int("id", r.id)
	o.int("user_id", w.owner(tagFile, r.id))
	o.int("deal_id", deal)
	o.null("person_id")
	o.null("org_id")
	o.null("product_id")
	o.null("activity_id")
	o.null("lead_id")
	if project {
		o.null("project_id")
	}
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.ut, layoutV1)
	name := "document-" + strconv.FormatInt(r.id, 10) + []string{".pdf", ".docx", ".png"}[h.n(3)]
	o.str("file_name", name)
	o.int("file_size", int64(1000+h.n(5000000)))
	o.bool("active_flag", true)
	o.bool("inline_flag", false)
	o.str("remote_location", "s3")
	o.str("remote_id", "files/"+name)
	o.null("cid")
	o.str("s3_bucket", "pipedrive-files")
	o.null("mail_message_id")
	o.null("mail_template_id")
	o.str("deal_name", w.dealTitle(deal))
	o.null("person_name")
	o.null("org_name")
	o.null("product_name")
	o.null("lead_name")
	if project {
		o.null("project_name")
	}
	o.str("url", c.s.url+"/v1/files/"+strconv.FormatInt(r.id, 10)+"/download")
	o.str("name", name)
	o.null("description")
	return o.close()
}

func (w *world) leadLabelID(i int) string { return uuidFor(w.seed, tagLeadLabel, int64(i+1)) }

var leadLabelNames = []string{"Hot", "Warm", "Cold", "Partner"}

func (w *world) renderLead(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagLead, r.id, r.ver)
	o := openObj(b)
	o.str("id", uuidFor(w.seed, tagLead, r.id))
	o.str("title", leadTitle(r))
	own := w.owner(tagLead, r.id)
	o.int("owner_id", own)
	o.int("creator_id", own)
	o.key("label_ids")
	o.b = append(o.b, '[')
	o.b = appendStr(o.b, w.leadLabelID(h.n(len(leadLabelNames))))
	o.b = append(o.b, ']')
	person := w.rel(tagLead, r.id, 1, "persons")
	if h.n(3) == 0 {
		o.null("person_id")
	} else {
		o.int("person_id", person)
	}
	o.intOrNull("organization_id", w.rel(tagLead, r.id, 2, "organizations"))
	o.str("source_name", "API")
	o.str("origin", "API")
	o.null("origin_id")
	o.null("channel")
	o.null("channel_id")
	o.null("source_deal_id")
	o.bool("is_archived", r.archived)
	o.bool("was_seen", h.n(2) == 0)
	if h.n(4) == 0 {
		o.null("value")
	} else {
		o.key("value")
		v := openObj(o.b)
		v.num("amount", float64(100*(1+h.n(100))))
		v.str("currency", "EUR")
		o.b = v.close()
	}
	o.null("expected_close_date")
	o.null("next_activity_id")
	o.ts("add_time", r.at, layoutLead)
	o.ts("update_time", r.ut, layoutLead)
	o.str("visible_to", "3")
	o.str("cc_email", "company+lead"+strconv.FormatInt(r.id, 10)+"@pipedrivemail.com")
	w.appendCFv1(&o, w.fields["deal"], h)
	return o.close()
}

func (c *call) leads(archived bool) int {
	if archived {
		// /leads/archived takes sort but not updated_since (not in its
		// spec): ignored, as an unknown parameter would be.
		c.q.Del("updated_since")
	}
	return c.listV1("leads", 500, v1Flat, false, true, func(r rec) bool { return r.archived == archived }, c.w.renderLead)
}

// static renders an unpaginated v1 list of n items.
func (c *call) static(n int, style v1Style, render func(b []byte, i int) []byte) int {
	items := make([]byte, 0, 512)
	for i := 0; i < n; i++ {
		if i > 0 {
			items = append(items, ',')
		}
		items = render(items, i)
	}
	return c.writeV1(items, n, v1Page{limit: n}, false, style, false)
}

func (c *call) leadLabels() int {
	w := c.w
	return c.static(len(leadLabelNames), v1None, func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("id", w.leadLabelID(i))
		o.str("name", leadLabelNames[i])
		o.str("color", []string{"red", "orange", "blue", "green"}[i])
		o.time("add_time", w.start, layoutLead)
		o.time("update_time", w.start, layoutLead)
		return o.close()
	})
}

func (c *call) leadSources() int {
	names := []string{"API", "Web forms", "Prospector", "Import", "Manually created"}
	return c.static(len(names), v1None, func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("name", names[i])
		return o.close()
	})
}

// renderFieldV1 renders a v1 field; flags false leaves out the visibility
// flags and is_subfield, which productFields' schema does not declare.
func renderFieldV1(b []byte, f fieldDef, i int, start string, flags bool) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("key", f.code)
	o.str("name", f.name)
	o.int("order_nr", int64(i))
	o.str("field_type", f.typ)
	o.str("add_time", start)
	o.str("update_time", start)
	o.null("last_updated_by_user_id")
	o.null("created_by_user_id")
	o.bool("active_flag", true)
	o.bool("edit_flag", f.custom)
	if flags {
		o.bool("index_visible_flag", true)
		o.bool("details_visible_flag", true)
	}
	o.bool("add_visible_flag", true)
	o.bool("important_flag", false)
	o.bool("bulk_edit_allowed", true)
	o.bool("searchable_flag", false)
	o.bool("filtering_allowed", true)
	o.bool("sortable_flag", true)
	o.bool("mandatory_flag", false)
	if flags {
		o.bool("is_subfield", false)
	}
	if f.options != nil {
		o.key("options")
		o.b = append(o.b, '[')
		for j, op := range f.options {
			if j > 0 {
				o.b = append(o.b, ',')
			}
			p := openObj(o.b)
			p.int("id", op.id)
			p.str("label", op.label)
			o.b = p.close()
		}
		o.b = append(o.b, ']')
	}
	return o.close()
}

func (c *call) leadFields() int {
	p, ok, msg := c.v1PageParams(500)
	if !ok {
		return c.fail(400, msg)
	}
	// Leads use the deal fields: the standard lead ones plus every custom deal field.
	fs := append([]fieldDef{{code: "title", name: "Title", typ: "varchar"}, {code: "owner_id", name: "Owner", typ: "user"},
		{code: "value", name: "Value", typ: "monetary"}, {code: "person_id", name: "Person", typ: "people"},
		{code: "organization_id", name: "Organization", typ: "org"}, {code: "expected_close_date", name: "Expected close date", typ: "date"}},
		c.w.fields["deal"].custom...)
	start := c.w.start.Format(layoutV1)
	items := make([]byte, 0, 4096)
	n := 0
	for i := p.start; i < len(fs) && n < p.limit; i++ {
		if n > 0 {
			items = append(items, ',')
		}
		items = renderFieldV1(items, fs[i], i, start, true)
		n++
	}
	return c.writeV1(items, n, p, p.start+n < len(fs), v1Flat, false)
}

func (c *call) noteFields() int {
	// Only the field types the noteFields schema allows.
	fs := []fieldDef{{code: "id", name: "ID", typ: "double"}, {code: "content", name: "Content", typ: "text"},
		{code: "deal_id", name: "Deal", typ: "double"}, {code: "person_id", name: "Person", typ: "people"},
		{code: "org_id", name: "Organization", typ: "org"}, {code: "user_id", name: "User", typ: "user"},
		{code: "add_time", name: "Add time", typ: "date"}, {code: "update_time", name: "Update time", typ: "date"}}
	return c.static(len(fs), v1Flat, func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("id", int64(i+1))
		o.str("key", fs[i].code)
		o.str("name", fs[i].name)
		o.str("field_type", fs[i].typ)
		o.bool("active_flag", true)
		o.bool("edit_flag", false)
		o.bool("bulk_edit_allowed", false)
		o.bool("mandatory_flag", false)
		return o.close()
	})
}

func (w *world) renderUser(b []byte, id int64, me bool) []byte {
	o := openObj(b)
	o.int("id", id)
	o.str("name", w.userName(id))
	o.str("default_currency", "EUR")
	o.str("locale", "en_US")
	o.int("lang", 1)
	o.str("email", w.userEmail(id))
	o.null("phone")
	o.bool("activated", true)
	o.time("last_login", w.start.AddDate(1, 11, 0), layoutV1)
	o.time("created", w.start, layoutV1)
	// modified is the users stream's cursor (client-side incremental), so it
	// is always set, as in the spec's examples.
	o.ts("modified", w.userModified(id), layoutV1)
	o.bool("has_created_company", id == 1)
	o.key("access")
	a := openObj(append(o.b, '['))
	a.str("app", "sales")
	a.bool("admin", id == 1)
	a.str("permission_set_id", uuidFor(w.seed, 0x9E5, 1))
	o.b = append(a.close(), ']')
	o.bool("active_flag", true)
	o.str("timezone_name", "Europe/Tallinn")
	o.str("timezone_offset", "+02:00")
	o.int("role_id", 1)
	o.null("icon_url")
	o.bool("is_you", id == 1)
	o.bool("is_deleted", false)
	if me {
		o.int("company_id", 1000+w.seed%1000)
		o.str("company_name", "Simulated Company "+strconv.FormatInt(w.seed, 10))
		o.str("company_domain", "simulated-"+strconv.FormatInt(w.seed, 10))
		o.str("company_country", "EE")
		o.str("company_industry", "Software")
		o.key("language")
		l := openObj(o.b)
		l.str("language_code", "en")
		l.str("country_code", "US")
		o.b = l.close()
	}
	return o.close()
}

func (c *call) users() int {
	return c.static(c.w.users, v1None, func(b []byte, i int) []byte { return c.w.renderUser(b, int64(i+1), false) })
}

func (c *call) usersMe() int {
	c.buf = append(c.buf[:0], `{"success":true,"data":`...)
	c.buf = c.w.renderUser(c.buf, 1, true)
	c.buf = append(c.buf, '}')
	return 200
}

func (c *call) roles() int {
	p, ok, msg := c.v1PageParams(500)
	if !ok {
		return c.fail(400, msg)
	}
	names := []string{"Sales", "Support", "Management"}
	items := []byte{}
	n := 0
	for i := p.start; i < len(names) && n < p.limit; i++ {
		if n > 0 {
			items = append(items, ',')
		}
		o := openObj(items)
		if i == 0 {
			o.null("parent_role_id")
		} else {
			o.int("parent_role_id", 1)
		}
		o.str("name", names[i])
		o.int("id", int64(i+1))
		o.bool("active_flag", true)
		o.str("assignment_count", "1")
		o.str("sub_role_count", "0")
		o.int("level", int64(min(i, 1)+1))
		items = o.close()
		n++
	}
	return c.writeV1(items, n, p, p.start+n < len(names), v1PaginationNoNext, false)
}

var permSets = []struct{ name, app, typ string }{{"Global admin", "global", "admin"}, {"Sales regular user", "sales", "regular"}, {"Sales manager", "sales", "manager"}}

func (c *call) permissionSets() int {
	return c.static(len(permSets), v1None, func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("id", uuidFor(c.w.seed, 0x9E5, int64(i+1)))
		o.str("name", permSets[i].name)
		o.str("description", "")
		o.str("app", permSets[i].app)
		o.str("type", permSets[i].typ)
		o.int("assignment_count", 1)
		return o.close()
	})
}

func (c *call) permissionSetAssignments() int {
	idx := -1
	for i := range permSets {
		if uuidFor(c.w.seed, 0x9E5, int64(i+1)) == c.params[0] {
			idx = i
		}
	}
	if idx < 0 {
		return c.fail(404, "Permission set not found")
	}
	p, ok, msg := c.v1PageParams(500)
	if !ok {
		return c.fail(400, msg)
	}
	items := []byte{}
	n := 0
	if p.start == 0 {
		o := openObj(items)
		o.int("user_id", int64(idx%c.w.users)+1)
		o.str("permission_set_id", c.params[0])
		o.str("name", permSets[idx].name)
		items = o.close()
		n = 1
	}
	return c.writeV1(items, n, p, false, v1None, false)
}

var filterTypes = []string{"deals", "leads", "org", "people", "products", "activity"}

func (c *call) filters() int { return c.static(len(filterTypes), v1None, c.renderFilter) }

// renderFilter renders filter i+1 (filters, filters/{id}).
func (c *call) renderFilter(b []byte, i int) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("name", "All "+filterTypes[i])
	o.null("filter_code")
	o.bool("is_editable", true)
	o.bool("active_flag", true)
	o.str("type", filterTypes[i])
	o.null("temporary_flag")
	o.int("user_id", 1)
	o.time("add_time", c.w.start, layoutV1)
	o.time("update_time", c.w.start, layoutV1)
	o.str("visible_to", "7")
	o.null("last_used_time")
	o.null("custom_view_id")
	return o.close()
}

var currencyDefs = []struct{ code, name, sym string }{{"EUR", "Euro", "€"}, {"USD", "US Dollar", "$"}, {"GBP", "Pound Sterling", "£"}, {"SEK", "Swedish Krona", "kr"}}

func (c *call) currenciesList() int {
	return c.static(len(currencyDefs), v1None, func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("id", int64(i+1))
		o.str("code", currencyDefs[i].code)
		o.str("name", currencyDefs[i].name)
		o.int("decimal_points", 2)
		o.str("symbol", currencyDefs[i].sym)
		o.bool("active_flag", true)
		o.bool("is_custom_flag", false)
		return o.close()
	})
}

var activityTypeKeys = []string{"call", "meeting", "task", "deadline", "email", "lunch"}

func (c *call) activityTypes() int {
	return c.static(len(activityTypeKeys), v1None, c.renderActivityType)
}

// renderActivityType renders activity type i+1 (activityTypes, recents).
func (c *call) renderActivityType(b []byte, i int) []byte {
	keys := activityTypeKeys
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("name", keys[i])
	o.str("icon_key", keys[i])
	o.str("color", "FFFFFF")
	o.int("order_nr", int64(i+1))
	o.str("key_string", keys[i])
	o.bool("active_flag", true)
	o.bool("is_custom_flag", false)
	o.time("add_time", c.w.start, layoutV1)
	o.time("update_time", c.w.start, layoutV1)
	return o.close()
}

const callLogsMax = 50

func (c *call) callLogs() int {
	w := c.w
	// The spec: "The upper limit is 50."
	return c.listV1("callLogs", callLogsMax, v1PaginationNoNext, true, false, nil, w.renderCallLog)
}

// renderCallLog renders a v1 call log (callLogs, callLogs/{id}).
func (w *world) renderCallLog(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagCallLog, r.id, r.ver)
	o := openObj(b)
	o.int("user_id", w.owner(tagCallLog, r.id))
	o.int("activity_id", w.rel(tagCallLog, r.id, 1, "activities"))
	o.str("subject", "Call")
	o.str("duration", strconv.Itoa(30+h.n(900)))
	o.str("outcome", []string{"connected", "no_answer", "left_message", "busy"}[h.n(4)])
	o.str("from_phone_number", "+3725550000")
	o.str("to_phone_number", "+3725551111")
	o.ts("start_time", r.at, layoutV1)
	o.ts("end_time", r.at+60, layoutV1)
	o.int("person_id", w.rel(tagCallLog, r.id, 2, "persons"))
	o.int("org_id", w.rel(tagCallLog, r.id, 3, "organizations"))
	o.int("deal_id", w.rel(tagCallLog, r.id, 4, "deals"))
	o.null("lead_id")
	o.str("note", "")
	o.str("id", "call-"+strconv.FormatInt(r.id, 10))
	o.bool("has_recording", false)
	o.int("company_id", 1000+w.seed%1000)
	return o.close()
}

// simGoals are the company's goals: assigned to the company, to a
// person and to a team, one of them inactive with an end date, so the
// filters of /goals/find (is_active, assignee.type) each select some.
var simGoals = []struct {
	title, typ, assignee string
	active               bool
	end                  string // "" for none
}{
	{"Deals won", `{"name":"deals_won","params":{"pipeline_id":[1]}}`, `{"id":1,"type":"company"}`, true, ""},
	{"Calls made", `{"name":"activities_completed","params":{"activity_type_id":[1]}}`, `{"id":1,"type":"company"}`, true, ""},
	{"Deals started", `{"name":"deals_started","params":{"pipeline_id":[1]}}`, `{"id":2,"type":"person"}`, true, ""},
	{"Revenue forecast", `{"name":"revenue_forecast","params":{"pipeline_id":[1]}}`, `{"id":1,"type":"team"}`, false, "2025-06-30"},
}

// goals answers /goals/find: is_active (default true) and, when given,
// assignee.type filter (the spec: without assignee.* only the caller's
// goals; every simulated goal counts as the caller's then).
func (c *call) goals() int {
	active := c.q.Get("is_active") != "false"
	typ := c.q.Get("assignee.type")
	c.buf = append(c.buf[:0], `{"success":true,"data":{"goals":[`...)
	n := 0
	for i, g := range simGoals {
		if g.active != active || typ != "" && !strings.Contains(g.assignee, `"type":"`+typ+`"`) {
			continue
		}
		if n > 0 {
			c.buf = append(c.buf, ',')
		}
		n++
		c.buf = c.renderGoal(c.buf, i)
	}
	c.buf = append(c.buf, "]}}"...)
	return 200
}

// renderGoal renders goal i (goals/find, goals/{id}/results).
func (c *call) renderGoal(b []byte, i int) []byte {
	g := simGoals[i]
	o := openObj(b)
	o.str("id", uuidFor(c.w.seed, 0x60A1, int64(i+1)))
	o.int("owner_id", 1)
	o.str("title", g.title)
	o.raw("type", g.typ)
	o.raw("assignee", g.assignee)
	o.str("interval", "monthly")
	end := "null"
	if g.end != "" {
		end = `"` + g.end + `"`
	}
	o.raw("duration", `{"start":"`+c.w.start.Format(layoutDate)+`","end":`+end+`}`)
	o.raw("expected_outcome", `{"target":10,"tracking_metric":"quantity"}`)
	o.bool("is_active", g.active)
	o.raw("report_ids", "[]")
	return o.close()
}

// appendParty writes mail party id as a one-element list; short leaves out
// what messages outside a thread's list do not carry.
func (w *world) appendParty(o *obj, k string, id int64, short bool) {
	o.key(k)
	p := openObj(append(o.b, '['))
	p.int("id", id)
	p.str("name", w.personName(id))
	if !short {
		p.bool("latest_sent", false)
	}
	p.str("email_address", "person"+strconv.FormatInt(id, 10)+"@example.com")
	if !short {
		p.int("message_time", 0)
	}
	p.int("linked_person_id", id)
	p.str("linked_person_name", w.personName(id))
	p.int("mail_message_party_id", id)
	if !short {
		p.null("linked_organization_id")
	}
	o.b = append(p.close(), ']')
}

func (c *call) mailThreads() int {
	switch c.q.Get("folder") {
	case "inbox", "drafts", "sent", "archive":
	default:
		return c.fail(400, "Validation failed: folder: Must be one of inbox, drafts, sent, archive")
	}
	w := c.w
	folder := c.q.Get("folder")
	return c.listV1("mailThreads", 500, v1WhenMore, true, false, func(r rec) bool {
		return folder == "inbox" || folder == "sent" && r.id%2 == 0
	}, w.renderMailThread)
}

// renderMailThread renders a v1 mail thread (mailThreads, mailThreads/{id}).
func (w *world) renderMailThread(b []byte, r rec) []byte {
	person := w.rel(tagMailThread, r.id, 1, "persons")
	o := openObj(b)
	o.int("id", r.id)
	w.appendMailHead(&o, r)
	o.key("parties")
	pp := openObj(o.b)
	w.appendParty(&pp, "to", person, false)
	w.appendParty(&pp, "from", person, false)
	o.b = pp.close()
	o.raw("drafts_parties", "[]")
	o.raw("folders", `["inbox"]`)
	o.int("version", 1)
	o.null("snippet_draft")
	o.str("snippet_sent", "")
	o.int("message_count", int64(mailCount(r.id)))
	for _, k := range []string{"has_draft_flag", "has_sent_flag", "archived_flag", "shared_flag", "external_deleted_flag", "first_message_to_me_flag"} {
		o.int(k, 0)
	}
	o.ts("last_message_timestamp", r.ut, layoutV1)
	o.ts("first_message_timestamp", r.at, layoutV1)
	o.null("last_message_sent_timestamp")
	o.ts("last_message_received_timestamp", r.ut, layoutV1)
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.ut, layoutV1)
	o.intOrNull("deal_id", w.rel(tagMailThread, r.id, 2, "deals"))
	o.null("deal_status")
	o.null("lead_id")
	o.int("all_messages_sent_flag", 0)
	return o.close()
}

// appendMailHead writes what a thread and its messages share.
func (w *world) appendMailHead(o *obj, r rec) {
	o.str("account_id", "acc-1")
	o.int("user_id", w.owner(tagMailThread, r.id))
	o.str("subject", "Re: proposal "+strconv.FormatInt(r.id, 10))
	o.str("snippet", "Thanks, looks good.")
	for _, k := range []string{"read_flag", "has_attachments_flag", "has_inline_attachments_flag", "has_real_attachments_flag", "deleted_flag", "synced_flag", "smart_bcc_flag", "mail_link_tracking_enabled_flag"} {
		o.int(k, 0)
	}
	o.null("mail_tracking_status")
}

func mailCount(id int64) int { return 1 + int(id%3) }

func (c *call) mailMessages() int {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	r, ok := c.w.ents["mailThreads"].get(id)
	if err != nil || !ok || r.deleted {
		return c.fail(404, "Mail thread not found")
	}
	return c.static(mailCount(id), v1None, func(b []byte, i int) []byte { return c.renderMailMessage(b, r, i, false, false) })
}

// renderMailMessage renders message i of mail thread r. short is the
// shape of mailMessages/{id} and {entity}/{id}/mailMessages (parties
// without latest_sent, message_time and linked_organization_id; the body
// on include_body=1).
func (c *call) renderMailMessage(b []byte, r rec, i int, short, body bool) []byte {
	w := c.w
	id := r.id
	person := w.rel(tagMailThread, r.id, 1, "persons")
	o := openObj(b)
	o.int("id", id*10+int64(i))
	w.appendMailHead(&o, r)
	w.appendParty(&o, "from", person, short)
	w.appendParty(&o, "to", person, short)
	o.raw("cc", "[]")
	o.raw("bcc", "[]")
	o.str("body_url", c.s.url+"/mail/body/"+strconv.FormatInt(id*10+int64(i), 10))
	if short && body {
		o.str("body", "<p>Thanks, looks good.</p>")
	}
	o.int("mail_thread_id", id)
	o.null("draft")
	o.int("has_body_flag", 1)
	o.int("sent_flag", int64(i%2))
	o.int("sent_from_pipedrive_flag", 0)
	t := unix(r.at + int64(i)*3600)
	o.time("message_time", t, layoutV1)
	o.time("add_time", t, layoutV1)
	o.time("update_time", t, layoutV1)
	return o.close()
}

// pathID parses the {id} of a per-record endpoint of entity.
func (c *call) pathID(entity string) (rec, bool) {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	if err != nil {
		return rec{}, false
	}
	r, ok := c.w.ents[entity].get(id)
	if !ok || r.deleted && !c.w.ents[entity].visible(r, c.now.Unix()) {
		return rec{}, false
	}
	return r, true
}

func (c *call) dealFlow() int {
	r, ok := c.pathID("deals")
	if !ok {
		return c.fail(404, "Deal not found")
	}
	p, ok2, msg := c.v1PageParams(500)
	if !ok2 {
		return c.fail(400, msg)
	}
	total := 2 + r.ver
	items := []byte{}
	n := 0
	for i := p.start; i < total && n < p.limit; i++ {
		if n > 0 {
			items = append(items, ',')
		}
		ts := r.at
		if i > 0 {
			ts = r.at + (r.ut-r.at)*int64(i)/int64(total-1)
		}
		items = appendChange(items, "dealChange", r, i, ts, c.w.owner(tagDeal, r.id), []string{"add_time", "stage_id", "value"})
		n++
	}
	more := p.start+n < total
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	c.buf = append(c.buf, items...)
	c.buf = append(c.buf, `],"additional_data":`...)
	o := openObj(c.buf)
	o.int("start", int64(p.start))
	o.int("limit", int64(p.limit))
	o.bool("more_items_in_collection", more)
	c.buf = append(o.close(), `,"related_objects":{}}`...)
	return 200
}

// appendChange writes flow item i of record r: a change of one of keys
// (cycling) by user at ts.
func appendChange(b []byte, object string, r rec, i int, ts, user int64, keys []string) []byte {
	o := openObj(b)
	o.str("object", object)
	o.ts("timestamp", ts, layoutV1)
	o.key("data")
	d := openObj(o.b)
	d.int("id", r.id*100+int64(i))
	d.int("item_id", r.id)
	d.int("user_id", user)
	d.str("field_key", keys[i%len(keys)])
	d.null("old_value")
	d.str("new_value", strconv.Itoa(i))
	d.ts("log_time", ts, layoutV1)
	o.b = d.close()
	return o.close()
}

func (c *call) changelog(entity string) int {
	r, ok := c.pathID(entity)
	if !ok {
		return c.fail(404, "Item not found")
	}
	total := 1 + r.ver
	return c.smallV2(total, func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("field_key", []string{"name", "owner_id", "value"}[i%3])
		if i == 0 {
			o.null("old_value")
		} else {
			o.str("old_value", "v"+strconv.Itoa(i))
		}
		o.str("new_value", "v"+strconv.Itoa(i+1))
		o.int("actor_user_id", 1)
		o.ts("time", r.at+(r.ut-r.at)*int64(i)/int64(total), layoutV1)
		o.str("change_source", "app")
		o.null("change_source_user_agent")
		o.bool("is_bulk_update_flag", false)
		return o.close()
	})
}
