package pipedrivetest

import (
	"sort"
	"strconv"
	"strings"
)

// recentKinds are the item types /v1/recents reports, in the order of
// ties, with their collection (users, filters and activity types have
// none: users change at their "modified" time, the others never).
var recentKinds = []struct{ item, entity string }{
	{"deal", "deals"}, {"person", "persons"}, {"organization", "organizations"}, {"activity", "activities"},
	{"note", "notes"}, {"file", "files"}, {"product", "products"}, {"pipeline", "pipelines"}, {"stage", "stages"},
	{"user", ""}, {"filter", ""}, {"activityType", ""},
}

type recent struct {
	kind int
	r    rec
}

// recents lists the records of the item types asked (default all of
// recentKinds) changed at or after since_timestamp, oldest first, paged
// with start/limit.
func (c *call) recents() int {
	since, ok := parseV1Time(c.q.Get("since_timestamp"))
	if !ok {
		return c.fail(400, "Validation failed: since_timestamp: Required, YYYY-MM-DD HH:MM:SS")
	}
	want := map[string]bool{}
	for _, it := range strings.Split(c.q.Get("items"), ",") {
		if it = strings.TrimSpace(it); it != "" {
			want[it] = true
		}
	}
	p, ok, msg := c.v1PageParams(500)
	if !ok {
		return c.fail(400, msg)
	}
	w := c.w
	var all []recent
	for k, rk := range recentKinds {
		if len(want) > 0 && !want[rk.item] {
			continue
		}
		switch rk.item {
		case "user":
			for id := int64(1); id <= int64(w.users); id++ {
				if m := w.userModified(id); m >= since {
					all = append(all, recent{k, rec{id: id, ut: m}})
				}
			}
			continue
		case "filter", "activityType":
			// Fixed lists, created with the account and never changed.
			n := map[string]int{"filter": len(filterTypes), "activityType": len(activityTypeKeys)}[rk.item]
			for id := int64(1); id <= int64(n) && w.startSec >= since; id++ {
				all = append(all, recent{k, rec{id: id, ut: w.startSec, at: w.startSec}})
			}
			continue
		}
		e := w.ents[rk.entity]
		nowU := c.now.Unix()
		e.scan(byUpdate, false, cursorPos{}, since, 0, func(r rec) bool {
			if !r.deleted || rk.entity == "deals" && e.visible(r, nowU) {
				all = append(all, recent{k, r})
			}
			return true
		})
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.r.ut != b.r.ut {
			return a.r.ut < b.r.ut
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.r.id < b.r.id
	})
	end := min(p.start+p.limit, len(all))
	c.buf = append(c.buf[:0], `{"success":true,"data":[`...)
	last := since
	for i := p.start; i < end; i++ {
		if i > p.start {
			c.buf = append(c.buf, ',')
		}
		it := all[i]
		o := openObj(c.buf)
		o.str("item", recentKinds[it.kind].item)
		o.int("id", it.r.id)
		o.key("data")
		o.b = c.renderRecent(o.b, it)
		c.buf = o.close()
		last = it.r.ut
	}
	c.buf = append(c.buf, `],"additional_data":`...)
	o := openObj(c.buf)
	o.ts("since_timestamp", since, layoutV1)
	o.ts("last_timestamp_on_page", last, layoutV1)
	o.key("pagination")
	pg := openObj(o.b)
	pg.int("start", int64(p.start))
	pg.int("limit", int64(p.limit))
	pg.bool("more_items_in_collection", end < len(all))
	o.b = pg.close()
	c.buf = append(o.close(), '}')
	return 200
}

func (w *world) userModified(id int64) int64 {
	return w.start.AddDate(1, int(id%10), int(id%28)).Unix() // as renderUser's modified
}

// renderRecent renders a recents item's data in v1's shape.
func (c *call) renderRecent(b []byte, it recent) []byte {
	w, r := c.w, it.r
	switch recentKinds[it.kind].item {
	case "deal":
		return c.renderDealV1(b, r, false)
	case "note":
		return w.renderNote(b, r)
	case "file":
		return c.renderFile(b, r, false)
	case "user":
		return w.renderUser(b, r.id, false)
	case "filter":
		return c.renderFilter(b, int(r.id-1))
	case "activityType":
		return c.renderActivityType(b, int(r.id-1))
	case "pipeline":
		o := openObj(b)
		o.int("id", r.id)
		o.str("name", []string{"Sales", "Partners"}[(r.id-1)%2])
		o.str("url_title", []string{"sales", "partners"}[(r.id-1)%2])
		o.int("order_nr", r.id)
		o.bool("active", true)
		o.bool("deal_probability", false)
		o.ts("add_time", r.at, layoutV1)
		o.ts("update_time", r.ut, layoutV1)
		return o.close()
	case "stage":
		nr := (r.id-1)%stagesPerPipe + 1
		o := openObj(b)
		o.int("id", r.id)
		o.int("order_nr", nr)
		o.str("name", stageNames[nr-1])
		o.bool("active_flag", true)
		o.int("deal_probability", 100)
		o.int("pipeline_id", (r.id-1)/stagesPerPipe+1)
		o.bool("rotten_flag", false)
		o.null("rotten_days")
		o.ts("add_time", r.at, layoutV1)
		o.ts("update_time", r.ut, layoutV1)
		return o.close()
	case "person":
		hs := newHasher(w.seed, tagPerson, r.id, -5)
		first, last := hs.personName()
		o := openObj(b)
		o.int("id", r.id)
		o.int("company_id", 1000+w.seed%1000)
		o.bool("active_flag", !r.deleted)
		appendContacts(&o, "email", "person"+strconv.FormatInt(r.id, 10)+"@example.com")
		o.str("first_char", strings.ToLower(first[:1]))
		o.ts("add_time", r.at, layoutV1)
		o.ts("update_time", r.ut, layoutV1)
		o.str("visible_to", "3")
		o.int("owner_id", w.owner(tagPerson, r.id))
		o.intOrNull("org_id", w.rel(tagPerson, r.id, 1, "organizations"))
		o.str("name", first+" "+last)
		o.str("first_name", first)
		o.str("last_name", last)
		return o.close()
	case "organization":
		name := w.orgName(r.id)
		o := openObj(b)
		o.int("id", r.id)
		o.int("company_id", 1000+w.seed%1000)
		w.userRef(&o, "owner_id", w.owner(tagOrg, r.id), true)
		o.str("name", name)
		o.str("first_char", strings.ToLower(name[:1]))
		o.bool("active_flag", !r.deleted)
		o.ts("add_time", r.at, layoutV1)
		o.ts("update_time", r.ut, layoutV1)
		o.str("visible_to", "3")
		return o.close()
	case "activity":
		h := newHasher(w.seed, tagActivity, r.id, r.ver)
		o := openObj(b)
		o.int("id", r.id)
		o.int("company_id", 1000+w.seed%1000)
		o.int("user_id", w.owner(tagActivity, r.id))
		o.str("subject", h.pick(subjects))
		o.str("type", []string{"call", "meeting", "task", "deadline", "email", "lunch"}[h.n(6)])
		o.intOrNull("deal_id", w.rel(tagActivity, r.id, 1, "deals"))
		o.intOrNull("person_id", w.rel(tagActivity, r.id, 2, "persons"))
		o.intOrNull("org_id", w.rel(tagActivity, r.id, 3, "organizations"))
		o.ts("due_date", r.at+int64(h.n(30))*86400, layoutDate)
		o.bool("active_flag", !r.deleted)
		o.ts("add_time", r.at, layoutV1)
		o.ts("update_time", r.ut, layoutV1)
		return o.close()
	}
	// product
	h := newHasher(w.seed, tagProduct, r.id, r.ver)
	name := productName(r.id)
	o := openObj(b)
	o.int("id", r.id)
	o.str("name", name)
	o.str("code", "SKU-"+strconv.FormatInt(1000+r.id, 10))
	o.str("unit", "pcs")
	o.num("tax", float64(h.n(3)*10))
	o.bool("active_flag", !r.deleted)
	o.bool("selectable", true)
	o.str("first_char", strings.ToLower(name[:1]))
	o.int("visible_to", 3)
	o.int("owner_id", w.owner(tagProduct, r.id))
	o.ts("add_time", r.at, layoutV1)
	o.ts("update_time", r.ut, layoutV1)
	return o.close()
}
