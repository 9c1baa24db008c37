package pipedrivetest

import (
	"strconv"
)

// v1 deals in their legacy shape: per-product and per-person deal
// lists, the deals summary and timeline, pipeline statistics.

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

// pipelineStats answers the conversion (movement false) or movement
// statistics of the pipeline's deals added between start_date and end_date.
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
