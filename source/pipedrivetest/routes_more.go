package pipedrivetest

import (
	"sort"
	"strconv"
	"strings"
)

// moreRoutes are the rest of the specs' non-deprecated GET operations: single
// reads, per-record lists (followers, participants, files, mail, flow), the
// v1 fields lists, searches, projects' boards and phases, settings. Costs are
// the operations' x-token-cost (a test checks them).
var moreRoutes = []route{
	// v2 single reads
	{2, "/deals/{id}", 1, func(c *call) int { return c.oneV2("deals", "Deal not found", c.w.renderDeal) }},
	{2, "/persons/{id}", 1, func(c *call) int { return c.oneV2("persons", "Person not found", c.w.renderPerson) }},
	{2, "/organizations/{id}", 1, func(c *call) int { return c.oneV2("organizations", "Organization not found", c.w.renderOrg) }},
	{2, "/activities/{id}", 1, func(c *call) int { return c.oneV2("activities", "Activity not found", c.w.renderActivity) }},
	{2, "/products/{id}", 1, func(c *call) int { return c.oneV2("products", "Product not found", c.w.renderProduct) }},
	{2, "/pipelines/{id}", 1, func(c *call) int { return c.oneV2("pipelines", "Pipeline not found", c.w.renderPipeline) }},
	{2, "/stages/{id}", 1, func(c *call) int { return c.oneV2("stages", "Stage not found", c.w.renderStage) }},
	{2, "/projects/{id}", 1, func(c *call) int { return c.oneV2("projects", "Project not found", c.w.renderProject) }},
	{2, "/tasks/{id}", 1, func(c *call) int { return c.oneV2("tasks", "Task not found", c.w.renderTask) }},
	{2, "/dealFields/{field_code}", 1, func(c *call) int { return c.fieldV2("deal") }},
	{2, "/personFields/{field_code}", 1, func(c *call) int { return c.fieldV2("person") }},
	{2, "/organizationFields/{field_code}", 1, func(c *call) int { return c.fieldV2("organization") }},
	{2, "/productFields/{field_code}", 1, func(c *call) int { return c.fieldV2("product") }},
	{2, "/activityFields/{field_code}", 1, func(c *call) int { return c.fieldV2("activity") }},
	{2, "/projectFields", 10, (*call).projectFieldsList},
	{2, "/projectFields/{field_code}", 1, func(c *call) int { return c.fieldV2("project") }},
	// v2 per-record lists
	{2, "/deals/{id}/products", 10, (*call).dealProductsOf},
	{2, "/deals/{id}/discounts", 10, (*call).dealDiscounts},
	{2, "/deals/{id}/followers", 10, func(c *call) int { return c.followersV2("deals", tagDeal) }},
	{2, "/persons/{id}/followers", 10, func(c *call) int { return c.followersV2("persons", tagPerson) }},
	{2, "/organizations/{id}/followers", 10, func(c *call) int { return c.followersV2("organizations", tagOrg) }},
	{2, "/products/{id}/followers", 10, func(c *call) int { return c.followersV2("products", tagProduct) }},
	{2, "/deals/{id}/followers/changelog", 10, func(c *call) int { return c.followersChangelog("deals", tagDeal) }},
	{2, "/persons/{id}/followers/changelog", 10, func(c *call) int { return c.followersChangelog("persons", tagPerson) }},
	{2, "/organizations/{id}/followers/changelog", 10, func(c *call) int { return c.followersChangelog("organizations", tagOrg) }},
	{2, "/products/{id}/followers/changelog", 10, func(c *call) int { return c.followersChangelog("products", tagProduct) }},
	{2, "/users/{id}/followers", 10, (*call).userFollowersV2},
	{2, "/deals/{id}/convert/status/{conversion_id}", 1, (*call).dealConversion},
	{2, "/leads/{id}/convert/status/{conversion_id}", 1, (*call).leadConversion},
	{2, "/persons/{id}/picture", 1, (*call).personPicture},
	{2, "/products/{id}/variations", 10, (*call).productVariations},
	{2, "/products/{id}/images", 10, (*call).productImage},
	{2, "/projects/archived", 10, (*call).projectsArchived},
	{2, "/projects/{id}/permittedUsers", 5, func(c *call) int { return c.permittedUsers("projects") }},
	{2, "/projects/{id}/changelog", 10, (*call).projectChangelog},
	{2, "/projectTemplates", 10, func(c *call) int { return c.smallV2(len(projectTemplates), c.renderTemplateV2) }},
	{2, "/projectTemplates/{id}", 1, func(c *call) int {
		return c.oneStatic(len(projectTemplates), "Project template not found", c.renderTemplateV2)
	}},
	{2, "/boards", 10, func(c *call) int { return c.staticV2(len(boards), c.renderBoard) }},
	{2, "/boards/{id}", 10, func(c *call) int { return c.oneStatic(len(boards), "Board not found", c.renderBoard) }},
	{2, "/phases", 10, (*call).phasesList},
	{2, "/phases/{id}", 10, func(c *call) int { return c.oneStatic(len(phases), "Phase not found", c.renderPhase) }},
	// v2 search
	{2, "/deals/search", 20, (*call).searchDeals},
	{2, "/persons/search", 20, (*call).searchPersons},
	{2, "/organizations/search", 20, (*call).searchOrgs},
	{2, "/products/search", 20, (*call).searchProducts},
	{2, "/leads/search", 20, func(c *call) int { return c.searchLeads(2) }},
	{2, "/projects/search", 20, (*call).searchProjects},
	{2, "/itemSearch", 20, (*call).itemSearch},
	{2, "/itemSearch/field", 20, (*call).itemSearchField},
}

func init() {
	routes = append(routes, moreRoutes...)
	// A literal segment wins over {id} (/users/me before /users/{id},
	// /deals/summary before /deals/{id}/...): fewer parameters first.
	sort.SliceStable(routes, func(i, j int) bool {
		return strings.Count(routes[i].pattern, "{") < strings.Count(routes[j].pattern, "{")
	})
}

// ok1 wraps one rendered object in {"success":true,"data":...}.
func (c *call) ok1(render func(b []byte) []byte) int {
	c.buf = append(c.buf[:0], `{"success":true,"data":`...)
	c.buf = render(c.buf)
	c.buf = append(c.buf, '}')
	return 200
}

// oneV2 answers a single read of entity's {id} (404 for unknown, deleted or
// purged records).
func (c *call) oneV2(entity, notFound string, render func(b []byte, r rec) []byte) int {
	r, ok := c.pathID(entity)
	if !ok || r.deleted && entity != "deals" {
		return c.fail(404, notFound)
	}
	return c.ok1(func(b []byte) []byte { return render(b, r) })
}

// oneStatic answers {id} (1-based) of a small fixed list.
func (c *call) oneStatic(n int, notFound string, render func(b []byte, i int) []byte) int {
	id, err := strconv.Atoi(c.params[0])
	if err != nil || id < 1 || id > n {
		return c.fail(404, notFound)
	}
	return c.ok1(func(b []byte) []byte { return render(b, id-1) })
}

// staticV2 answers an unpaginated v2 list.
func (c *call) staticV2(n int, render func(b []byte, i int) []byte) int {
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	for i := 0; i < n; i++ {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = render(c.buf, i)
	}
	c.buf = append(c.buf, "]}"...)
	return 200
}

// ConversionID is the id of the (completed) conversion of a deal (kind
// "deals", numeric id) or lead ("leads", its UUID) that
// /api/v2/{kind}/{id}/convert/status/{conversion_id} reports; "" if the
// record does not exist. The sandbox converts nothing itself, so each record
// has this one conversion on record.
func (s *Server) ConversionID(kind, id string) string {
	s.data.RLock()
	defer s.data.RUnlock()
	i, err := s.parseID(kind, id)
	if err != nil {
		return ""
	}
	if _, ok := s.w.ents[kind].get(i); !ok {
		return ""
	}
	return s.w.conversionID(kind, i)
}

func (w *world) conversionID(kind string, i int64) string {
	salt := int64(0)
	if kind == "leads" {
		salt = 1 << 40
	}
	return uuidFor(w.seed, tagConversion, salt+i)
}
