package pipedrivetest

import (
	"strconv"
	"time"
)

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// appendTSq appends a quoted timestamp.
func appendTSq(b []byte, sec int64, layout string) []byte {
	return append(appendTS(append(b, '"'), sec, layout), '"')
}

// renderDeal is the hot path of every benchmark, so it appends literal
// key fragments directly instead of going through obj.
func (w *world) renderDeal(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagDeal, r.id, r.ver)
	hs := newHasher(w.seed, tagDeal, r.id, -5) // stable per deal
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.id, 10)
	b = append(b, `,"title":"`...)
	b = appendDealTitle(b, &hs, r.ver)
	b = append(b, `","owner_id":`...)
	b = strconv.AppendInt(b, w.owner(tagDeal, r.id), 10)
	b = append(b, `,"person_id":`...)
	b = appendIntOrNull(b, w.rel(tagDeal, r.id, 1, "persons"))
	b = append(b, `,"org_id":`...)
	b = appendIntOrNull(b, w.rel(tagDeal, r.id, 2, "organizations"))
	stage, pipe := w.dealStage(r.id)
	b = append(b, `,"pipeline_id":`...)
	b = strconv.AppendInt(b, pipe, 10)
	b = append(b, `,"stage_id":`...)
	b = strconv.AppendInt(b, stage, 10)
	b = append(b, `,"value":`...)
	b = strconv.AppendInt(b, int64(h.n(2000))*50, 10)
	b = append(b, `,"currency":"`...)
	b = append(b, hs.pick(currencies)...)
	b = append(b, `","add_time":`...)
	b = appendTSq(b, r.at, layoutV2)
	b = append(b, `,"update_time":`...)
	b = appendTSq(b, r.ut, layoutV2)
	b = append(b, `,"stage_change_time":`...)
	b = appendTSq(b, r.at+(r.ut-r.at)/2, layoutV2)
	b = append(b, `,"is_deleted":`...)
	b = strconv.AppendBool(b, r.deleted)
	b = append(b, `,"is_archived":`...)
	b = strconv.AppendBool(b, r.archived)
	if r.archived {
		// Not in the response schema, but in the examples of GET /deals and
		// /deals/archived (and the request bodies): doc.go.
		b = append(b, `,"archive_time":`...)
		b = appendTSq(b, r.arch, layoutV2)
	}
	status := []string{"open", "open", "won", "lost"}[hs.n(4)] // same draws as dealStatus
	if r.deleted {
		status = "deleted"
	}
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","probability":null,"lost_reason":`...)
	if status == "lost" {
		b = append(b, `"Price too high"`...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"visible_to":3`...)
	closed := r.at + (r.ut-r.at)*3/4
	switch status {
	case "won":
		b = append(b, `,"close_time":`...)
		b = appendTSq(b, closed, layoutV2)
		b = append(b, `,"won_time":`...)
		b = appendTSq(b, closed, layoutV2)
		b = append(b, `,"lost_time":null`...)
	case "lost":
		b = append(b, `,"close_time":`...)
		b = appendTSq(b, closed, layoutV2)
		b = append(b, `,"won_time":null,"lost_time":`...)
		b = appendTSq(b, closed, layoutV2)
	default:
		b = append(b, `,"close_time":null,"won_time":null,"lost_time":null`...)
	}
	b = append(b, `,"expected_close_date":`...)
	b = appendTSq(b, r.at+61*86400, layoutDate)
	b = append(b, `,"label_ids":[],"origin":"API","origin_id":null,"channel":null,"channel_id":null,"source_lead_id":null,"arr":null,"mrr":null,"acv":null`...)
	o := obj{b: b}
	w.appendCFv2(&o, w.dealFields, h)
	return o.close()
}

// appendDealTitle appends a deal's title, drawing from its stable hasher
// (hs advances, so the deal's later draws stay the same).
func appendDealTitle(b []byte, hs *hasher, ver int) []byte {
	b = append(b, hs.pick(orgWords1)...)
	b = append(b, ' ')
	b = append(b, hs.pick(orgWords2)...)
	b = append(b, ' ')
	b = append(b, hs.pick(dealWords)...)
	if ver > 0 {
		b = append(b, " v"...)
		b = strconv.AppendInt(b, int64(ver+1), 10)
	}
	return b
}

// Names of referenced records as their own endpoints show them now: v1
// records embed them (a note's deal.title, a file's deal_name, mail
// parties), and a client joining on them must find the same text.

func (w *world) dealTitle(id int64) string {
	r, _ := w.ents["deals"].get(id)
	hs := newHasher(w.seed, tagDeal, id, -5)
	return string(appendDealTitle(nil, &hs, r.ver))
}

func (w *world) personName(id int64) string {
	hs := newHasher(w.seed, tagPerson, id, -5)
	first, last := hs.personName()
	return first + " " + last
}

func (w *world) orgName(id int64) string {
	hs := newHasher(w.seed, tagOrg, id, -5)
	return hs.orgName()
}

func appendIntOrNull(b []byte, v int64) []byte {
	if v == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, v, 10)
}

func appendContacts(o *obj, k string, vals ...string) {
	o.key(k)
	o.b = append(o.b, '[')
	for i, v := range vals {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		c := openObj(o.b)
		c.str("value", v)
		c.bool("primary", i == 0)
		c.str("label", []string{"work", "home", "other"}[i%3])
		o.b = c.close()
	}
	o.b = append(o.b, ']')
}

func (w *world) renderPerson(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagPerson, r.id, r.ver)
	hs := newHasher(w.seed, tagPerson, r.id, -5)
	first, last := hs.personName()
	o := openObj(b)
	o.int("id", r.id)
	o.str("name", first+" "+last)
	o.str("first_name", first)
	o.str("last_name", last)
	o.int("owner_id", w.owner(tagPerson, r.id))
	o.intOrNull("org_id", w.rel(tagPerson, r.id, 1, "organizations"))
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	appendContacts(&o, "emails", "person"+strconv.FormatInt(r.id, 10)+"@example.com")
	appendContacts(&o, "phones", "+372 5"+strconv.Itoa(100000+h.n(899999)))
	o.bool("is_deleted", r.deleted)
	o.int("visible_to", 3)
	o.ints("label_ids", nil)
	if hasPicture(r.id) {
		o.int("picture_id", r.id) // persons/{id}/picture serves it
	} else {
		o.null("picture_id")
	}
	o.null("postal_address")
	o.null("notes")
	o.key("im")
	o.b = append(o.b, "[]"...)
	o.null("birthday")
	o.strOrNull("job_title", []string{"", "CEO", "CTO", "Buyer", "Office manager"}[h.n(5)])
	w.appendCFv2(&o, w.fields["person"], h)
	return o.close()
}

func (w *world) renderOrg(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagOrg, r.id, r.ver)
	hs := newHasher(w.seed, tagOrg, r.id, -5)
	o := openObj(b)
	o.int("id", r.id)
	o.str("name", hs.orgName())
	o.int("owner_id", w.owner(tagOrg, r.id))
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	o.bool("is_deleted", r.deleted)
	o.int("visible_to", 3)
	o.key("address")
	a := openObj(o.b)
	appendAddress(&a, cfValue{city: hs.n(len(cities)), id: 1})
	o.b = a.close()
	o.ints("label_ids", nil)
	o.strOrNull("website", []string{"", "https://example.com"}[h.n(2)])
	o.null("linkedin")
	o.null("industry")
	o.null("annual_revenue")
	o.intOrNull("employee_count", int64(h.n(500)))
	w.appendCFv2(&o, w.fields["organization"], h)
	return o.close()
}

func (w *world) renderActivity(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagActivity, r.id, r.ver)
	o := openObj(b)
	o.int("id", r.id)
	o.str("subject", h.pick(subjects))
	o.str("type", []string{"call", "meeting", "task", "deadline", "email", "lunch"}[h.n(6)])
	own := w.owner(tagActivity, r.id)
	o.int("owner_id", own)
	o.int("creator_user_id", own)
	o.bool("is_deleted", r.deleted)
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	deal := w.rel(tagActivity, r.id, 1, "deals")
	o.intOrNull("deal_id", deal)
	o.null("lead_id")
	person := w.rel(tagActivity, r.id, 2, "persons")
	o.intOrNull("person_id", person)
	o.intOrNull("org_id", w.rel(tagActivity, r.id, 3, "organizations"))
	o.null("project_id")
	o.ts("due_date", r.at+int64(h.n(30))*86400, layoutDate)
	o.str("due_time", []string{"", "09:00", "14:30"}[h.n(3)])
	o.str("duration", []string{"", "00:30", "01:00"}[h.n(3)])
	o.bool("busy", h.n(2) == 0)
	done := h.n(3) != 0
	o.bool("done", done)
	if done {
		o.ts("marked_as_done_time", r.ut, layoutV2)
	} else {
		o.null("marked_as_done_time")
	}
	o.null("location")
	o.key("participants")
	if person != 0 {
		p := openObj(append(o.b, '['))
		p.int("person_id", person)
		p.bool("primary", true)
		o.b = append(p.close(), ']')
	} else {
		o.b = append(o.b, "[]"...)
	}
	o.null("conference_meeting_client")
	o.null("conference_meeting_url")
	o.null("conference_meeting_id")
	o.null("public_description")
	o.null("priority")
	o.strOrNull("note", []string{"", "Bring the contract"}[h.n(2)])
	return o.close()
}

func (w *world) renderProduct(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagProduct, r.id, r.ver)
	o := openObj(b)
	o.int("id", r.id)
	o.str("name", productName(r.id))
	o.str("code", "SKU-"+strconv.FormatInt(1000+r.id, 10))
	o.str("unit", "pcs")
	o.num("tax", float64(h.n(3)*10))
	o.bool("is_deleted", r.deleted)
	o.bool("is_linkable", true)
	o.int("visible_to", 3)
	o.int("owner_id", w.owner(tagProduct, r.id))
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	o.null("description")
	o.null("category")
	w.appendCFv2(&o, w.fields["product"], h)
	o.str("billing_frequency", "one-time")
	o.null("billing_frequency_cycles")
	o.key("prices")
	p := openObj(append(o.b, '['))
	p.int("product_id", r.id)
	p.num("price", w.productPrice(r.id))
	p.str("currency", "EUR")
	p.num("cost", 0)
	p.null("direct_cost")
	p.str("notes", "")
	o.b = append(p.close(), ']')
	return o.close()
}

func (w *world) productPrice(id int64) float64 {
	h := newHasher(w.seed, tagProduct, id, -5)
	return float64(10 + h.n(990))
}

func (w *world) renderPipeline(b []byte, r rec) []byte {
	o := openObj(b)
	o.int("id", r.id)
	o.str("name", []string{"Sales", "Partners"}[(r.id-1)%2])
	o.int("order_nr", r.id)
	o.bool("is_deleted", r.deleted)
	o.bool("is_deal_probability_enabled", false)
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	return o.close()
}

var stageNames = []string{"Lead in", "Contact made", "Demo scheduled", "Proposal made", "Negotiations started"}

func (w *world) renderStage(b []byte, r rec) []byte {
	o := openObj(b)
	o.int("id", r.id)
	nr := (r.id-1)%stagesPerPipe + 1
	o.int("order_nr", nr)
	o.str("name", stageNames[nr-1])
	o.bool("is_deleted", r.deleted)
	o.int("deal_probability", 100)
	o.int("pipeline_id", (r.id-1)/stagesPerPipe+1)
	o.bool("is_deal_rot_enabled", false)
	o.null("days_to_rotten")
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	return o.close()
}

// projectStatus is a project's status as listed (deleted ones say so).
func (w *world) projectStatus(r rec) string {
	if r.deleted {
		return "deleted"
	}
	h := newHasher(w.seed, tagProject, r.id, r.ver)
	return []string{"open", "completed"}[h.n(2)]
}

func (w *world) renderProject(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagProject, r.id, r.ver)
	h.n(2) // the status draw (projectStatus)
	o := openObj(b)
	o.int("id", r.id)
	o.str("title", "Project "+strconv.FormatInt(r.id, 10))
	o.str("description", "")
	o.str("status", w.projectStatus(r))
	o.int("board_id", 1)
	o.int("phase_id", 1+int64(h.n(3)))
	o.int("owner_id", w.owner(tagProject, r.id))
	o.str("start_date", unix(r.at).Format(layoutDate))
	o.str("end_date", unix(r.at).AddDate(0, 3, 0).Format(layoutDate))
	o.ints("deal_ids", []int64{w.rel(tagProject, r.id, 1, "deals")})
	o.ints("person_ids", nil)
	o.ints("org_ids", nil)
	o.ints("label_ids", nil)
	o.null("health_status")
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	o.ts("status_change_time", r.at, layoutV2)
	if r.archived {
		o.ts("archive_time", r.arch, layoutV2)
	} else {
		o.null("archive_time")
	}
	w.appendCFv2(&o, w.fields["project"], h)
	return o.close()
}

// projectStatusPhase is a project's status and phase (on board 1).
func (w *world) projectStatusPhase(r rec) (string, int64) {
	h := newHasher(w.seed, tagProject, r.id, r.ver)
	h.n(2) // the status draw (projectStatus)
	return w.projectStatus(r), 1 + int64(h.n(3))
}

func (w *world) renderTask(b []byte, r rec) []byte {
	h := newHasher(w.seed, tagTask, r.id, r.ver)
	o := openObj(b)
	o.int("id", r.id)
	o.str("title", "Task "+strconv.FormatInt(r.id, 10))
	o.int("creator_id", w.owner(tagTask, r.id))
	o.null("description")
	o.int("project_id", w.rel(tagTask, r.id, 1, "projects"))
	done := h.n(2) == 0
	o.bool("is_done", done)
	o.bool("is_milestone", false)
	o.null("due_date")
	o.null("start_date")
	o.null("parent_task_id")
	o.ints("assignee_ids", []int64{w.owner(tagTask, r.id)})
	o.null("priority")
	o.ts("add_time", r.at, layoutV2)
	o.ts("update_time", r.ut, layoutV2)
	if done {
		o.ts("marked_as_done_time", r.ut, layoutV2)
	} else {
		o.null("marked_as_done_time")
	}
	return o.close()
}

// dealProduct is one product line of a deal.
type dealProduct struct {
	id, dealID, productID int64
	order                 int
	ut, at                int64
	ver                   int
}

func (w *world) dealProducts(dealID int64) []dealProduct {
	deal, ok := w.ents["deals"].get(dealID)
	if !ok {
		return nil
	}
	n := w.dealProductCount(dealID)
	out := make([]dealProduct, 0, n)
	for j := 0; j < n; j++ {
		id := (dealID-1)*maxDealProducts + int64(j) + 1
		dp := dealProduct{id: id, dealID: dealID, order: j + 1, at: deal.at, ut: w.ents["deals"].baseUt(dealID)}
		if dealID > w.ents["deals"].base {
			dp.ut = deal.at
		}
		if st, ok := w.dpState[id]; ok {
			dp.ut, dp.at, dp.ver = st.ut, st.at, st.ver
		}
		dp.productID = w.rel(tagDealProduct, id, 1, "products")
		out = append(out, dp)
	}
	return out
}

func (w *world) renderDealProduct(b []byte, dp dealProduct) []byte {
	h := newHasher(w.seed, tagDealProduct, dp.id, dp.ver)
	qty := float64(1 + h.n(10))
	price := w.productPrice(dp.productID)
	o := openObj(b)
	o.int("id", dp.id)
	o.num("sum", qty*price)
	o.num("tax", 0)
	o.int("deal_id", dp.dealID)
	o.str("name", productNms[int(dp.productID-1)%len(productNms)])
	o.int("product_id", dp.productID)
	o.null("product_variation_id")
	o.int("order_nr", int64(dp.order))
	o.ts("add_time", dp.at, layoutV2)
	o.ts("update_time", dp.ut, layoutV2)
	o.str("comments", "")
	o.str("currency", "EUR")
	o.num("discount", 0)
	o.str("discount_type", "percentage")
	o.num("quantity", qty)
	o.num("item_price", price)
	o.str("tax_method", "exclusive")
	o.bool("is_enabled", true)
	o.str("billing_frequency", "one-time")
	o.null("billing_frequency_cycles")
	o.null("billing_start_date")
	return o.close()
}

func (w *world) renderInstallment(b []byte, dealID int64, j int) []byte {
	deal, _ := w.ents["deals"].get(dealID)
	o := openObj(b)
	o.int("id", (dealID-1)*2+int64(j)+1)
	o.num("amount", 500)
	o.str("billing_date", unix(deal.at).AddDate(0, j+1, 0).Format(layoutDate))
	o.str("description", "Installment "+strconv.Itoa(j+1))
	o.int("deal_id", dealID)
	return o.close()
}
