package pipedrivetest

import (
	"sort"
	"strconv"
	"strings"
)

// route is one served operation; cost is its x-token-cost in the spec.
type route struct {
	ver     int
	pattern string // "/deals/{id}/flow"
	cost    int
	h       func(c *call) int
}

// routes lists every operation the simulator serves. Costs are the
// x-token-cost of the operation in v1.yaml / v2.yaml (a test checks them).
var routes = []route{
	{2, "/deals", 10, func(c *call) int { return c.deals(false) }},
	{2, "/deals/archived", 20, func(c *call) int { return c.deals(true) }},
	{2, "/deals/products", 10, (*call).dealProductsList},
	{2, "/deals/installments", 10, (*call).installmentsList},
	{2, "/persons", 10, (*call).persons},
	{2, "/organizations", 10, (*call).organizations},
	{2, "/activities", 10, (*call).activities},
	{2, "/products", 10, (*call).products},
	{2, "/pipelines", 5, (*call).pipelines},
	{2, "/stages", 5, (*call).stages},
	{2, "/projects", 10, func(c *call) int { return c.projects(false) }},
	{2, "/projects/archived", 10, func(c *call) int { return c.projects(true) }},
	{2, "/projectFields", 10, func(c *call) int { return c.fieldsV2("project") }},
	{2, "/tasks", 10, (*call).tasks},
	{2, "/dealFields", 10, func(c *call) int { return c.fieldsV2("deal") }},
	{2, "/personFields", 10, func(c *call) int { return c.fieldsV2("person") }},
	{2, "/organizationFields", 10, func(c *call) int { return c.fieldsV2("organization") }},
	{2, "/productFields", 10, func(c *call) int { return c.fieldsV2("product") }},
	{2, "/activityFields", 10, func(c *call) int { return c.fieldsV2("activity") }},
	{1, "/notes", 20, (*call).notes},
	{1, "/files", 20, (*call).files},
	{1, "/leads", 20, func(c *call) int { return c.leads(false) }},
	{1, "/leads/archived", 40, func(c *call) int { return c.leads(true) }},
	{1, "/leadLabels", 10, (*call).leadLabels},
	{1, "/leadSources", 2, (*call).leadSources},
	{1, "/leadFields", 20, (*call).leadFields},
	{1, "/noteFields", 20, (*call).noteFields},
	{1, "/users", 20, (*call).users},
	{1, "/users/me", 2, (*call).usersMe},
	{1, "/roles", 20, (*call).roles},
	{1, "/permissionSets", 20, (*call).permissionSets},
	{1, "/permissionSets/{id}/assignments", 20, (*call).permissionSetAssignments},
	{1, "/filters", 20, (*call).filters},
	{1, "/currencies", 20, (*call).currenciesList},
	{1, "/activityTypes", 20, (*call).activityTypes},
	{1, "/callLogs", 20, (*call).callLogs},
	{1, "/goals/find", 20, (*call).goals},
	{1, "/mailbox/mailThreads", 20, (*call).mailThreads},
	{1, "/mailbox/mailThreads/{id}/mailMessages", 20, (*call).mailMessages},
	{1, "/deals/{id}/flow", 40, (*call).dealFlow},
	{1, "/deals/{id}/changelog", 20, func(c *call) int { return c.changelog("deals") }},
	{1, "/persons/{id}/changelog", 20, func(c *call) int { return c.changelog("persons") }},
	{1, "/organizations/{id}/changelog", 20, func(c *call) int { return c.changelog("organizations") }},
}

// Routes returns the served operations as "v1 GET /path" / "v2 GET /path"
// with their token cost, for contract tests.
func Routes() map[string]int {
	m := map[string]int{}
	for _, r := range routes {
		m["v"+strconv.Itoa(r.ver)+" "+r.pattern] = r.cost
	}
	return m
}

func match(ver int, path string) (*route, []string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range routes {
		rt := &routes[i]
		if rt.ver != ver {
			continue
		}
		ps := strings.Split(strings.Trim(rt.pattern, "/"), "/")
		if len(ps) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for j, p := range ps {
			if strings.HasPrefix(p, "{") {
				params = append(params, segs[j])
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}

var allSorts = []string{"id", "update_time", "add_time"}

// statuses is the status filter of deals and projects: a comma list of
// allowed values (nil: none given).
type statuses map[string]bool

func (c *call) statusParam(allowed ...string) (statuses, string) {
	v := c.q.Get("status")
	if v == "" {
		return nil, ""
	}
	out := statuses{}
	for _, s := range strings.Split(v, ",") {
		if !contains(allowed, s) {
			return nil, "Validation failed: status: Must be one or more of " + strings.Join(allowed, ", ")
		}
		out[s] = true
	}
	return out, ""
}

// lists reports whether a record of e is listed: in the archived list or
// not as asked, not purged, the deleted ones only when status includes
// deleted, the others when their status is asked for (or none is).
func (ss statuses) lists(e *entity, r rec, now int64, archived bool, status func() string) bool {
	if r.archived != archived || !e.visible(r, now) {
		return false
	}
	if r.deleted {
		return ss["deleted"]
	}
	return ss == nil || ss[status()]
}

func (c *call) deals(archived bool) int {
	var ss statuses
	var owner, person, org, pipe, stage int64
	prep := func(c *call) (bool, string) {
		var msg string
		if ss, msg = c.statusParam("open", "won", "lost", "deleted"); msg != "" {
			return false, msg
		}
		for name, dst := range map[string]*int64{"owner_id": &owner, "person_id": &person, "org_id": &org, "pipeline_id": &pipe, "stage_id": &stage} {
			v, ok := c.intParam(name)
			if !ok {
				return false, "Validation failed: " + name + ": Must be an integer"
			}
			*dst = v
		}
		return true, ""
	}
	nowU := c.now.Unix()
	e := c.w.ents["deals"]
	filter := func(c *call, r rec) bool {
		if !ss.lists(e, r, nowU, archived, func() string { return c.w.dealStatus(r.id) }) {
			return false
		}
		if owner != 0 && c.w.owner(tagDeal, r.id) != owner ||
			person != 0 && c.w.rel(tagDeal, r.id, 1, "persons") != person ||
			org != 0 && c.w.rel(tagDeal, r.id, 2, "organizations") != org {
			return false
		}
		if stage != 0 || pipe != 0 {
			st, pp := c.w.dealStage(r.id)
			if stage != 0 && st != stage || pipe != 0 && pp != pipe {
				return false
			}
		}
		return true
	}
	render := c.dealRenderer()
	return c.listV2(v2Opts{entity: "deals", sorts: allSorts, since: true, until: true, prepare: prep, filter: filter, render: render})
}

func (w *world) dealStatus(id int64) string {
	hs := newHasher(w.seed, tagDeal, id, -5)
	hs.orgName()
	hs.pick(dealWords)
	hs.pick(currencies)
	return []string{"open", "open", "won", "lost"}[hs.n(4)]
}

// simpleFilter builds a prepare+filter pair for integer attribute filters.
func simpleFilter(attrs map[string]func(w *world, id int64) int64) (func(*call) (bool, string), func(*call, rec) bool) {
	want := map[string]int64{}
	prep := func(c *call) (bool, string) {
		for name := range attrs {
			v, ok := c.intParam(name)
			if !ok {
				return false, "Validation failed: " + name + ": Must be an integer"
			}
			if v != 0 {
				want[name] = v
			}
		}
		return true, ""
	}
	filter := func(c *call, r rec) bool {
		if r.deleted {
			return false
		}
		for name, v := range want {
			if attrs[name](c.w, r.id) != v {
				return false
			}
		}
		return true
	}
	return prep, filter
}

func ownerOf(tag uint64) func(w *world, id int64) int64 {
	return func(w *world, id int64) int64 { return w.owner(tag, id) }
}

func relOf(tag uint64, salt int, target string) func(w *world, id int64) int64 {
	return func(w *world, id int64) int64 { return w.rel(tag, id, salt, target) }
}

func (c *call) persons() int {
	prep, f := simpleFilter(map[string]func(*world, int64) int64{"owner_id": ownerOf(tagPerson), "org_id": relOf(tagPerson, 1, "organizations")})
	return c.listV2(v2Opts{entity: "persons", sorts: allSorts, since: true, until: true, prepare: prep, filter: f, render: c.w.renderPerson})
}

func (c *call) organizations() int {
	prep, f := simpleFilter(map[string]func(*world, int64) int64{"owner_id": ownerOf(tagOrg)})
	return c.listV2(v2Opts{entity: "organizations", sorts: allSorts, since: true, until: true, prepare: prep, filter: f, render: c.w.renderOrg})
}

func (c *call) activities() int {
	prep, f := simpleFilter(map[string]func(*world, int64) int64{"owner_id": ownerOf(tagActivity),
		"deal_id": relOf(tagActivity, 1, "deals"), "person_id": relOf(tagActivity, 2, "persons"), "org_id": relOf(tagActivity, 3, "organizations")})
	return c.listV2(v2Opts{entity: "activities", sorts: []string{"id", "update_time", "add_time", "due_date"}, since: true, until: true, prepare: prep, filter: f, render: c.w.renderActivity})
}

func (c *call) products() int {
	prep, f := simpleFilter(map[string]func(*world, int64) int64{"owner_id": ownerOf(tagProduct)})
	return c.listV2(v2Opts{entity: "products", sorts: []string{"id", "name", "add_time", "update_time"}, since: true, prepare: prep, filter: f, render: c.w.renderProduct})
}

func (c *call) pipelines() int {
	return c.listV2(v2Opts{entity: "pipelines", sorts: allSorts, render: c.w.renderPipeline})
}

func (c *call) stages() int {
	prep, f := simpleFilter(map[string]func(*world, int64) int64{"pipeline_id": func(w *world, id int64) int64 { return (id-1)/stagesPerPipe + 1 }})
	return c.listV2(v2Opts{entity: "stages", sorts: []string{"id", "update_time", "add_time", "order_nr"}, prepare: prep, filter: f, render: c.w.renderStage})
}

// projects lists the projects (archived: /projects/archived); deleted ones
// only when status includes deleted ("By default deleted projects are not
// returned").
func (c *call) projects(archived bool) int {
	var ss statuses
	prep := func(c *call) (bool, string) {
		var msg string
		ss, msg = c.statusParam("open", "completed", "canceled", "deleted")
		return msg == "", msg
	}
	nowU := c.now.Unix()
	e := c.w.ents["projects"]
	filter := func(c *call, r rec) bool {
		return ss.lists(e, r, nowU, archived, func() string { return c.w.projectStatus(r) })
	}
	return c.listV2(v2Opts{entity: "projects", prepare: prep, filter: filter, render: c.w.renderProject})
}

func (c *call) tasks() int {
	prep, f := simpleFilter(map[string]func(*world, int64) int64{"project_id": relOf(tagTask, 1, "projects")})
	return c.listV2(v2Opts{entity: "tasks", prepare: prep, filter: f, render: c.w.renderTask})
}

// smallV2 paginates a small, fully materialised v2 list with an offset cursor.
func (c *call) smallV2(n int, render func(b []byte, i int) []byte) int {
	return c.smallV2x(n, false, render)
}

// smallV2x is smallV2; bareLast leaves additional_data out of the last page
// (for operations whose spec documents none, yet take a cursor).
func (c *call) smallV2x(n int, bareLast bool, render func(b []byte, i int) []byte) int {
	limit, ok := c.limitParam(100, 500)
	if !ok {
		return c.fail(400, "Validation failed: limit: Must be an integer between 1 and 500")
	}
	if _, present := c.q["updated_since"]; present {
		return c.fail(400, "Validation failed: updated_since: Parameter is not allowed for this endpoint")
	}
	start := 0
	if v := c.q.Get("cursor"); v != "" {
		pos, ok := c.decodeCursor(v)
		if !ok {
			return c.fail(400, "Validation failed: cursor: Invalid cursor")
		}
		start = int(pos.id)
	}
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	end := start + limit
	if end > n {
		end = n
	}
	for i := start; i < end; i++ {
		if i > start {
			c.buf = append(c.buf, ',')
		}
		c.buf = render(c.buf, i)
	}
	if bareLast && end >= n {
		c.buf = append(c.buf, "]}"...)
		return 200
	}
	c.buf = append(c.buf, `],"additional_data":{"next_cursor":`...)
	if end < n {
		c.buf = appendStr(c.buf, c.encodeCursor(0, int64(end)))
	} else {
		c.buf = append(c.buf, "null"...)
	}
	c.buf = append(c.buf, "}}"...)
	return 200
}

// dealIDsParam parses deal_ids (required, at most 100).
func (c *call) dealIDsParam() ([]int64, string) {
	// deals/products documents deal_ids=1,2 (explode: false) and
	// deals/installments deal_ids=1&deal_ids=2 (explode default): accept both.
	v := strings.Join(c.q["deal_ids"], ",")
	if v == "" {
		return nil, "Validation failed: deal_ids: Required"
	}
	var ids []int64
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n < 1 {
			return nil, "Validation failed: deal_ids: Must be a comma-separated list of integers"
		}
		ids = append(ids, n)
	}
	if len(ids) > 100 {
		return nil, "Validation failed: deal_ids: At most 100 deal ids are allowed"
	}
	return ids, ""
}

func (c *call) dealProductsList() int {
	ids, msg := c.dealIDsParam()
	if msg != "" {
		return c.fail(400, msg)
	}
	var all []dealProduct
	for _, id := range ids {
		all = append(all, c.w.dealProducts(id)...)
	}
	if msg := c.sortDealProducts(all); msg != "" {
		return c.fail(400, msg)
	}
	return c.smallV2(len(all), func(b []byte, i int) []byte { return c.w.renderDealProduct(b, all[i]) })
}

func (c *call) installmentsList() int {
	ids, msg := c.dealIDsParam()
	if msg != "" {
		return c.fail(400, msg)
	}
	type inst struct {
		deal int64
		j    int
	}
	var all []inst
	for _, id := range ids {
		if _, ok := c.w.ents["deals"].get(id); !ok {
			continue
		}
		for j := 0; j < c.w.installmentCount(id); j++ {
			all = append(all, inst{id, j})
		}
	}
	return c.smallV2x(len(all), true, func(b []byte, i int) []byte { return c.w.renderInstallment(b, all[i].deal, all[i].j) })
}

func (c *call) fieldsV2(entity string) int {
	fs := c.w.fields[entity].all()
	// Of the v2 Fields schemas only DealField declares description.
	desc := entity == "deal"
	return c.smallV2(len(fs), func(b []byte, i int) []byte { return renderFieldV2(b, fs[i], desc) })
}

func renderFieldV2(b []byte, f fieldDef, description bool) []byte {
	o := openObj(b)
	o.str("field_name", f.name)
	o.str("field_code", f.code)
	if description {
		o.null("description")
	}
	o.str("field_type", f.typ)
	o.key("options")
	if f.options == nil {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, '[')
		for i, op := range f.options {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			p := openObj(o.b)
			p.int("id", op.id)
			p.str("label", op.label)
			p.null("color")
			o.b = p.close()
		}
		o.b = append(o.b, ']')
	}
	o.key("subfields")
	var subs [][2]string
	switch f.typ {
	case "monetary":
		subs = [][2]string{{"_currency", "varchar"}}
	case "daterange":
		subs = [][2]string{{"_until", "date"}}
	case "timerange":
		subs = [][2]string{{"_until", "time"}}
	case "address":
		for _, p := range addressParts {
			subs = append(subs, [2]string{"_" + p, "varchar"})
		}
		subs = append(subs, [2]string{"_formatted_address", "varchar"})
	}
	if subs == nil || !f.custom {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, '[')
		for i, s := range subs {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			p := openObj(o.b)
			p.str("field_code", f.code+s[0])
			p.str("field_name", f.name+" "+strings.TrimPrefix(s[0], "_"))
			p.str("field_type", s[1])
			o.b = p.close()
		}
		o.b = append(o.b, ']')
	}
	o.bool("is_custom_field", f.custom)
	o.bool("is_optional_response_field", false)
	return o.close()
}

// sortDealProducts orders deal products by sort_by and sort_direction; it
// returns a validation message for values it does not know.
func (c *call) sortDealProducts(all []dealProduct) string {
	sb := c.q.Get("sort_by")
	key := func(d dealProduct) int64 { return d.id }
	switch sb {
	case "", "id", "order_nr":
	case "deal_id":
		key = func(d dealProduct) int64 { return d.dealID }
	case "add_time":
		key = func(d dealProduct) int64 { return d.at }
	case "update_time":
		key = func(d dealProduct) int64 { return d.ut }
	default:
		return "Validation failed: sort_by: Must be one of id, deal_id, add_time, update_time, order_nr"
	}
	desc := c.q.Get("sort_direction") == "desc"
	sort.SliceStable(all, func(i, j int) bool {
		a, b := key(all[i]), key(all[j])
		if a == b {
			a, b = all[i].id, all[j].id
		}
		if desc {
			return a > b
		}
		return a < b
	})
	return ""
}

// dealRenderer renders deals with the include_fields the simulator knows.
func (c *call) dealRenderer() func(b []byte, r rec) []byte {
	if !strings.Contains(c.q.Get("include_fields"), "products_count") {
		return c.w.renderDeal
	}
	// Of the optional include_fields, only products_count is simulated
	// (it lets a client skip deals without products); others are ignored.
	return func(b []byte, r rec) []byte {
		b = c.w.renderDeal(b, r)
		b = append(b[:len(b)-1], `,"products_count":`...)
		b = strconv.AppendInt(b, int64(c.w.dealProductCount(r.id)), 10)
		return append(b, '}')
	}
}
