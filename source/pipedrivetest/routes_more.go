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
	{2, "/deals/{id}", 1, func(c *call) int { return c.oneV2("deals", "Deal not found", c.dealRenderer()) }},
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
	// v1 fields
	{1, "/activityFields", 20, func(c *call) int { return c.fieldsV1("activityFields") }},
	{1, "/dealFields", 20, func(c *call) int { return c.fieldsV1("dealFields") }},
	{1, "/organizationFields", 20, func(c *call) int { return c.fieldsV1("organizationFields") }},
	{1, "/personFields", 20, func(c *call) int { return c.fieldsV1("personFields") }},
	{1, "/productFields", 20, func(c *call) int { return c.fieldsV1("productFields") }},
	{1, "/dealFields/{id}", 2, func(c *call) int { return c.fieldV1("dealFields") }},
	{1, "/organizationFields/{id}", 2, func(c *call) int { return c.fieldV1("organizationFields") }},
	{1, "/personFields/{id}", 2, func(c *call) int { return c.fieldV1("personFields") }},
	{1, "/productFields/{id}", 2, func(c *call) int { return c.fieldV1("productFields") }},
	// v1 single reads
	{1, "/callLogs/{id}", 2, (*call).callLogOne},
	{1, "/files/{id}", 2, func(c *call) int {
		return c.oneV1("files", "File not found", func(b []byte, r rec) []byte { return c.renderFile(b, r, true) })
	}},
	{1, "/files/{id}/download", 20, (*call).fileDownload},
	{1, "/filters/{id}", 2, (*call).filterOne},
	{1, "/filters/helpers", 20, (*call).filterHelpers},
	{1, "/goals/{id}/results", 20, (*call).goalResults},
	{1, "/leads/{id}", 2, (*call).leadOne},
	{1, "/leads/{id}/permittedUsers", 10, func(c *call) int { return c.permittedUsersV1("leads") }},
	{1, "/leads/search", 40, func(c *call) int { return c.searchLeads(1) }},
	{1, "/mailbox/mailMessages/{id}", 2, (*call).mailMessageOne},
	{1, "/mailbox/mailThreads/{id}", 20, (*call).mailThreadOne},
	{1, "/notes/{id}", 2, func(c *call) int { return c.oneV1("notes", "Note not found", c.w.renderNote) }},
	{1, "/notes/{id}/comments", 20, (*call).noteCommentsList},
	{1, "/notes/{id}/comments/{commentId}", 2, (*call).noteCommentOne},
	{1, "/permissionSets/{id}", 2, (*call).permissionSetOne},
	{1, "/organizationRelationships", 20, (*call).orgRelationships},
	{1, "/organizationRelationships/{id}", 2, (*call).orgRelationshipOne},
	// v1 per-record lists
	{1, "/deals/{id}/files", 20, func(c *call) int { return c.entityFiles("deals") }},
	{1, "/persons/{id}/files", 20, func(c *call) int { return c.entityFiles("persons") }},
	{1, "/organizations/{id}/files", 20, func(c *call) int { return c.entityFiles("organizations") }},
	{1, "/products/{id}/files", 20, func(c *call) int { return c.entityFiles("products") }},
	{1, "/deals/{id}/mailMessages", 20, func(c *call) int { return c.entityMail("deals") }},
	{1, "/persons/{id}/mailMessages", 20, func(c *call) int { return c.entityMail("persons") }},
	{1, "/organizations/{id}/mailMessages", 20, func(c *call) int { return c.entityMail("organizations") }},
	{1, "/deals/{id}/followers", 20, func(c *call) int { return c.followersV1("deals", tagDeal) }},
	{1, "/persons/{id}/followers", 20, func(c *call) int { return c.followersV1("persons", tagPerson) }},
	{1, "/organizations/{id}/followers", 20, func(c *call) int { return c.followersV1("organizations", tagOrg) }},
	{1, "/products/{id}/followers", 20, func(c *call) int { return c.followersV1("products", tagProduct) }},
	{1, "/users/{id}/followers", 20, (*call).userFollowersV1},
	{1, "/deals/{id}/permittedUsers", 10, func(c *call) int { return c.permittedUsersV1("deals") }},
	{1, "/persons/{id}/permittedUsers", 10, func(c *call) int { return c.permittedUsersV1("persons") }},
	{1, "/organizations/{id}/permittedUsers", 10, func(c *call) int { return c.permittedUsersV1("organizations") }},
	{1, "/products/{id}/permittedUsers", 10, func(c *call) int { return c.permittedUsersV1("products") }},
	{1, "/deals/{id}/participants", 10, (*call).dealParticipants},
	{1, "/deals/{id}/participantsChangelog", 10, (*call).participantsChangelog},
	{1, "/persons/{id}/flow", 40, func(c *call) int { return c.flowV1("persons") }},
	{1, "/organizations/{id}/flow", 40, func(c *call) int { return c.flowV1("organizations") }},
	{1, "/persons/{id}/products", 20, (*call).personProducts},
	{1, "/products/{id}/deals", 20, (*call).productDeals},
	// v1 deals and pipelines statistics
	{1, "/deals/summary", 40, (*call).dealSummary},
	{1, "/deals/timeline", 20, (*call).dealTimeline},
	{1, "/pipelines/{id}/conversion_statistics", 40, func(c *call) int { return c.pipelineStats(false) }},
	{1, "/pipelines/{id}/movement_statistics", 40, func(c *call) int { return c.pipelineStats(true) }},
	{1, "/recents", 20, (*call).recents},
	// v1 projects
	{1, "/projects", 20, (*call).projectsV1},
	{1, "/projects/{id}", 2, func(c *call) int { return c.oneV1("projects", "Project not found", c.w.renderProjectV1) }},
	{1, "/projects/{id}/plan", 20, (*call).projectPlan},
	{1, "/projects/{id}/groups", 20, (*call).projectGroups},
	{1, "/projects/{id}/tasks", 20, (*call).projectTasksV1},
	{1, "/projects/{id}/activities", 20, (*call).projectActivities},
	{1, "/projects/boards", 20, func(c *call) int { return c.staticV2(len(boards), c.renderBoard) }},
	{1, "/projects/boards/{id}", 2, func(c *call) int { return c.oneStatic(len(boards), "Board not found", c.renderBoard) }},
	{1, "/projects/phases", 20, (*call).phasesList},
	{1, "/projects/phases/{id}", 2, func(c *call) int { return c.oneStatic(len(phases), "Phase not found", c.renderPhase) }},
	{1, "/projectTemplates", 20, func(c *call) int { return c.smallV2(len(projectTemplates), c.renderTemplateV2) }},
	{1, "/projectTemplates/{id}", 2, func(c *call) int {
		return c.oneStatic(len(projectTemplates), "Project template not found", c.renderTemplateV2)
	}},
	{1, "/tasks", 20, (*call).tasksV1},
	{1, "/tasks/{id}", 2, func(c *call) int { return c.oneV1("tasks", "Task not found", c.w.renderTaskV1) }},
	// v1 users, roles, settings
	{1, "/users/find", 40, (*call).usersFind},
	{1, "/users/{id}", 2, (*call).userOne},
	{1, "/users/{id}/permissions", 10, (*call).userPermissions},
	{1, "/users/{id}/roleAssignments", 10, (*call).userRoleAssignments},
	{1, "/users/{id}/roleSettings", 10, (*call).userRoleSettings},
	{1, "/roles/{id}", 2, (*call).roleOne},
	{1, "/roles/{id}/assignments", 10, (*call).roleAssignments},
	{1, "/roles/{id}/settings", 20, (*call).roleSettingsOne},
	{1, "/roles/{id}/pipelines", 20, (*call).rolePipelines},
	{1, "/userConnections", 20, (*call).userConnections},
	{1, "/userSettings", 2, (*call).userSettings},
	{1, "/webhooks", 10, (*call).webhooks},
	{1, "/billing/subscriptions/addons", 20, (*call).addons},
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
