package pipedrivetest

import (
	"strconv"
)

// The v2 operations beyond the streams pdx reads: single reads' helpers,
// per-record lists, projects' boards, phases and templates, and search.

func (w *world) fieldDefs(entity string) []fieldDef { return w.fields[entity].all() }

// fieldV2 answers /{entity}Fields/{field_code}.
func (c *call) fieldV2(entity string) int {
	for _, f := range c.w.fieldDefs(entity) {
		if f.code == c.params[0] {
			return c.ok1(func(b []byte) []byte { return renderFieldV2(b, f, entity == "deal") })
		}
	}
	return c.fail(404, "Field not found")
}

// dealProductsOf answers /deals/{id}/products: the same lines as
// /deals/products?deal_ids={id}.
func (c *call) dealProductsOf() int {
	r, ok := c.pathID("deals")
	if !ok {
		return c.fail(404, "Deal not found")
	}
	all := c.w.dealProducts(r.id)
	if msg := c.sortDealProducts(all); msg != "" {
		return c.fail(400, msg)
	}
	return c.smallV2(len(all), func(b []byte, i int) []byte { return c.w.renderDealProduct(b, all[i]) })
}

// dealDiscounts: every fifth deal has a 5% additional discount.
func (c *call) dealDiscounts() int {
	r, ok := c.pathID("deals")
	if !ok {
		return c.fail(404, "Deal not found")
	}
	return c.staticV2(everyNth(r.id, 5, 1), func(b []byte, _ int) []byte {
		o := openObj(b)
		o.str("id", uuidFor(c.w.seed, tagDiscount, r.id))
		o.str("type", "percentage")
		o.num("amount", 5)
		o.str("description", "Loyalty discount")
		o.int("deal_id", r.id)
		o.ts("created_at", r.at, layoutV2)
		own := c.w.owner(tagDeal, r.id)
		o.int("created_by", own)
		o.ts("updated_at", r.at, layoutV2)
		o.int("updated_by", own)
		return o.close()
	})
}

// followers are the users following record id: its owner, and on every
// third record the next user too. They started following when the record
// was added.
func (w *world) followers(tag uint64, id int64) []int64 {
	own := w.owner(tag, id)
	if id%3 == 0 && w.users > 1 {
		return []int64{own, own%int64(w.users) + 1}
	}
	return []int64{own}
}

// liveRec is the record {id} of entity, deleted ones excluded.
func (c *call) liveRec(entity string) (rec, bool) {
	r, ok := c.pathID(entity)
	return r, ok && !r.deleted
}

// followersOf is the record {id} of entity (deleted ones excluded) and its
// followers.
func (c *call) followersOf(entity string, tag uint64) (rec, []int64, bool) {
	r, ok := c.liveRec(entity)
	if !ok {
		return rec{}, nil, false
	}
	return r, c.w.followers(tag, r.id), true
}

func (c *call) followersV2(entity string, tag uint64) int {
	r, fs, ok := c.followersOf(entity, tag)
	if !ok {
		return c.fail(404, "Item not found")
	}
	return c.smallV2(len(fs), func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("user_id", fs[i])
		o.ts("add_time", r.at, layoutV2)
		return o.close()
	})
}

func (c *call) followersChangelog(entity string, tag uint64) int {
	r, fs, ok := c.followersOf(entity, tag)
	if !ok {
		return c.fail(404, "Item not found")
	}
	return c.smallV2(len(fs), func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("action", "added")
		o.int("actor_user_id", c.w.owner(tag, r.id))
		o.int("follower_user_id", fs[i])
		o.ts("time", r.at, layoutV2)
		return o.close()
	})
}

// userFollowers: user 1 (the admin) follows every other user.
func (c *call) userFollowers() ([]int64, bool) {
	id, err := strconv.ParseInt(c.params[0], 10, 64)
	if err != nil || id < 1 || id > int64(c.w.users) {
		return nil, false
	}
	if id == 1 {
		return nil, true
	}
	return []int64{1}, true
}

func (c *call) userFollowersV2() int {
	fs, ok := c.userFollowers()
	if !ok {
		return c.fail(404, "User not found")
	}
	return c.smallV2(len(fs), func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("user_id", fs[i])
		o.time("add_time", c.w.start, layoutV2)
		return o.close()
	})
}

func (c *call) dealConversion() int {
	r, ok := c.liveRec("deals")
	if !ok || c.params[1] != c.w.conversionID("deals", r.id) {
		return c.fail(404, "Conversion not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.str("lead_id", uuidFor(c.w.seed, tagLead, c.w.rel(tagDeal, r.id, 6, "leads")))
		o.int("deal_id", r.id)
		o.str("conversion_id", c.params[1])
		o.str("status", "completed")
		return o.close()
	})
}

// findLead maps a lead UUID to its index without caching (handlers run
// under the read lock; Server.parseID caches under the write lock).
func (w *world) findLead(id string) (rec, bool) {
	e := w.ents["leads"]
	for i := int64(1); i < e.nextID; i++ {
		if uuidFor(w.seed, tagLead, i) == id {
			r, ok := e.get(i)
			return r, ok && !r.deleted
		}
	}
	return rec{}, false
}

func (c *call) leadConversion() int {
	r, ok := c.w.findLead(c.params[0])
	if !ok || c.params[1] != c.w.conversionID("leads", r.id) {
		return c.fail(404, "Conversion not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.str("lead_id", c.params[0])
		o.int("deal_id", c.w.rel(tagLead, r.id, 6, "deals"))
		o.str("conversion_id", c.params[1])
		o.str("status", "completed")
		return o.close()
	})
}

// hasPicture: every fourth person has a picture (its id is the person's).
func hasPicture(id int64) bool { return id%4 == 0 }

func (c *call) personPicture() int {
	r, ok := c.liveRec("persons")
	if !ok || !hasPicture(r.id) {
		return c.fail(404, "Picture not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.int("id", r.id)
		o.str("item_type", "person")
		o.int("item_id", r.id)
		o.int("added_by_user_id", c.w.owner(tagPerson, r.id))
		o.bool("active_flag", true)
		o.int("file_size", 20480)
		o.key("pictures")
		p := openObj(o.b)
		base := c.s.url + "/pictures/person-" + strconv.FormatInt(r.id, 10)
		p.str("128", base+"-128.png")
		p.str("512", base+"-512.png")
		o.b = p.close()
		return o.close()
	})
}

// productVariations: every fourth product comes in sizes S and L.
func (c *call) productVariations() int {
	r, ok := c.liveRec("products")
	if !ok {
		return c.fail(404, "Product not found")
	}
	return c.smallV2(everyNth(r.id, 4, 2), func(b []byte, i int) []byte {
		o := openObj(b)
		o.int("id", r.id*10+int64(i)+1)
		o.str("name", []string{"Size S", "Size L"}[i])
		o.int("product_id", r.id)
		o.key("prices")
		p := openObj(append(o.b, '['))
		p.num("price", c.w.productPrice(r.id)+float64(i*10))
		p.str("currency", "EUR")
		p.num("cost", 0)
		p.str("notes", "")
		o.b = append(p.close(), ']')
		return o.close()
	})
}

// productImage: every third product has an image.
func (c *call) productImage() int {
	r, ok := c.liveRec("products")
	if !ok || r.id%3 != 0 {
		return c.fail(404, "Product image not found")
	}
	return c.ok1(func(b []byte) []byte {
		o := openObj(b)
		o.int("id", r.id)
		o.int("product_id", r.id)
		o.str("company_id", strconv.FormatInt(1000+c.w.seed%1000, 10))
		o.str("public_url", c.s.url+"/images/product-"+strconv.FormatInt(r.id, 10)+".png")
		o.ts("add_time", r.at, layoutV2)
		o.str("mime_type", "image/png")
		o.str("name", "product-"+strconv.FormatInt(r.id, 10)+".png")
		return o.close()
	})
}

// permittedUsers: every user may see every record (visible_to 3).
func (c *call) permittedUsers(entity string) int {
	if _, ok := c.liveRec(entity); !ok {
		return c.fail(404, "Item not found")
	}
	return c.allUsers()
}

// projectChangelog: one entry per version of the project (its title).
func (c *call) projectChangelog() int {
	r, ok := c.liveRec("projects")
	if !ok {
		return c.fail(404, "Project not found")
	}
	n := 1 + r.ver
	return c.smallV2(n, func(b []byte, i int) []byte {
		o := openObj(b)
		o.str("change_source", "app")
		o.null("change_source_user_agent")
		o.ts("time", r.at+(r.ut-r.at)*int64(i)/int64(n), layoutV2)
		o.raw("new_values", `{"title":"Project `+strconv.FormatInt(r.id, 10)+`"}`)
		if i == 0 {
			o.raw("old_values", "{}")
		} else {
			o.raw("old_values", `{"title":"Project `+strconv.FormatInt(r.id, 10)+`"}`)
		}
		o.int("actor_user_id", c.w.owner(tagProject, r.id))
		return o.close()
	})
}

var projectTemplates = []string{"Onboarding", "Implementation"}

func (c *call) renderTemplateV2(b []byte, i int) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("title", projectTemplates[i])
	o.str("description", "")
	o.int("projects_board_id", 1)
	o.int("owner_id", 1)
	o.time("add_time", c.w.start, layoutV2)
	o.time("update_time", c.w.start, layoutV2)
	return o.close()
}

// boards and phases: projects sit on board 1 in phases 1-3 (renderProject).
var boards = []string{"Delivery", "Internal"}

var phases = []struct {
	name  string
	board int64
}{{"Planning", 1}, {"In progress", 1}, {"Done", 1}, {"Backlog", 2}, {"Done", 2}}

func (c *call) renderBoard(b []byte, i int) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("name", boards[i])
	o.int("order_nr", int64(i+1))
	o.time("add_time", c.w.start, layoutV2)
	o.time("update_time", c.w.start, layoutV2)
	return o.close()
}

func (c *call) renderPhase(b []byte, i int) []byte {
	o := openObj(b)
	o.int("id", int64(i+1))
	o.str("name", phases[i].name)
	o.int("board_id", phases[i].board)
	nr := int64(1)
	for j := 0; j < i; j++ {
		if phases[j].board == phases[i].board {
			nr++
		}
	}
	o.int("order_nr", nr)
	o.time("add_time", c.w.start, layoutV2)
	o.time("update_time", c.w.start, layoutV2)
	return o.close()
}

// phasesOf lists the phase indexes of board_id (required).
func (c *call) phasesOf() ([]int, string) {
	board, ok := c.intParam("board_id")
	if !ok || board == 0 {
		return nil, "Validation failed: board_id: Required integer"
	}
	var out []int
	for i, p := range phases {
		if p.board == board {
			out = append(out, i)
		}
	}
	return out, ""
}

func (c *call) phasesList() int {
	ids, msg := c.phasesOf()
	if msg != "" {
		return c.fail(400, msg)
	}
	return c.staticV2(len(ids), func(b []byte, i int) []byte { return c.renderPhase(b, ids[i]) })
}

// everyNth is how many of a per-record list the record with id has: n for
// every kth record, none for the others.
func everyNth(id int64, k, n int) int {
	if id%int64(k) == 0 {
		return n
	}
	return 0
}
