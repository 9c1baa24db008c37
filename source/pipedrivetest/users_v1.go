package pipedrivetest

import (
	"strconv"
	"strings"
)

// v1 users, roles and account settings beyond users and users/me.

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
