package pipedrivetest

import (
	"strconv"
	"strings"
)

// v1 projects and tasks (cursor-paged like v2, in v1 shapes).

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
