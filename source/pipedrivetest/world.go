package pipedrivetest

import (
	"time"
)

// Entity tags: the hash namespace of each collection.
const (
	tagDeal uint64 = iota + 1
	tagPerson
	tagOrg
	tagActivity
	tagProduct
	tagNote
	tagLead
	tagFile
	tagProject
	tagTask
	tagCallLog
	tagMailThread
	tagPipeline
	tagStage
	tagDealProduct
	tagInstallment
	tagLeadLabel
	tagConversion
	tagDiscount
	tagComment
)

const (
	maxDealProducts = 8 // deal product ids are (deal_id-1)*8 + j + 1
	stagesPerPipe   = 5
	dealPurge       = 30 * 24 * time.Hour
)

// world is the simulated company's data: counts, field definitions and the
// mutation overlays. All access goes through Server.mu.
type world struct {
	seed     int64
	start    time.Time // a reference date for generated dates (two years before Now)
	startSec int64
	users    int
	ents     map[string]*entity
	fields   map[string]fieldSet // "deal","person","organization","product","activity","project"
	// deal products: per-deal count override and per-product overlay
	dpCount map[int64]int
	dpState map[int64]*state
	leadIdx map[string]int64 // lead uuid -> index, built lazily
	// base sizes of the hottest reference targets
	nPersons, nOrgs int64
	dealFields      fieldSet
}

func scaled(n int, div int, min int) int64 {
	v := n / div
	if v < min {
		v = min
	}
	return int64(v)
}

func newWorld(o Options) *world {
	d := o.Scale
	w := &world{seed: o.Seed, start: o.Now.AddDate(-2, 0, 0), dpCount: map[int64]int{}, dpState: map[int64]*state{}}
	w.startSec = w.start.Unix()
	w.users = 3 + d/1000
	if w.users > 100 {
		w.users = 100
	}
	now := o.Now
	mk := func(name string, tag uint64, n int64) *entity {
		e := newEntity(name, tag, o.Seed, n, now)
		return e
	}
	w.ents = map[string]*entity{
		"deals":         mk("deals", tagDeal, int64(d)),
		"persons":       mk("persons", tagPerson, scaled(d, 2, 1)),
		"organizations": mk("organizations", tagOrg, scaled(d, 5, 1)),
		"activities":    mk("activities", tagActivity, int64(2*d)),
		"products":      mk("products", tagProduct, scaled(d, 50, 0)+5),
		"notes":         mk("notes", tagNote, int64(d)),
		"leads":         mk("leads", tagLead, scaled(d, 4, 1)),
		"files":         mk("files", tagFile, scaled(d, 10, 1)),
		"projects":      mk("projects", tagProject, scaled(d, 20, 1)),
		"tasks":         mk("tasks", tagTask, scaled(d, 10, 1)),
		"callLogs":      mk("callLogs", tagCallLog, scaled(d, 10, 1)),
		"mailThreads":   mk("mailThreads", tagMailThread, scaled(d, 20, 1)),
		"pipelines":     mk("pipelines", tagPipeline, 2),
		"stages":        mk("stages", tagStage, 2*stagesPerPipe),
	}
	deals := w.ents["deals"]
	deals.purgeAt = dealPurge
	// About 2% of base deals were deleted (their update_time is the
	// deletion time; only the recent ones are still listed), about 5% archived.
	deals.isDel = func(id int64) bool { h := newHasher(o.Seed, tagDeal, id, -3); return h.n(50) == 0 }
	deals.isArch = func(id int64) bool { h := newHasher(o.Seed, tagDeal, id, -3); h.next(); return h.n(20) == 0 }
	w.ents["leads"].isArch = func(id int64) bool { h := newHasher(o.Seed, tagLead, id, -3); return h.n(10) == 0 }
	// About 10% of base projects are archived. Deleted projects are listed
	// under status=...,deleted; for how long Pipedrive keeps them is not
	// documented: the simulator keeps them as deals, 30 days.
	w.ents["projects"].isArch = func(id int64) bool { h := newHasher(o.Seed, tagProject, id, -3); return h.n(10) == 0 }
	w.ents["projects"].purgeAt = dealPurge
	w.fields = map[string]fieldSet{}
	for _, e := range []string{"deal", "person", "organization", "product", "activity", "project"} {
		w.fields[e] = newFieldSet(o.Seed, e, o.CustomFields)
	}
	w.dealFields = w.fields["deal"]
	w.nPersons, w.nOrgs = w.ents["persons"].base, w.ents["organizations"].base
	return w
}

// rel draws a stable reference from record id to another collection; it
// depends only on (seed, tag, id, salt), not on the version, so updates never
// re-point relations.
func (w *world) rel(tag uint64, id int64, salt int, target string) int64 {
	n := w.baseCount(target)
	if n <= 0 {
		return 0
	}
	h := newHasher(w.seed, tag, id, -100-salt)
	v := 1 + int64(h.n(int(n)))
	if target == "deals" {
		// Not a base deal that was deleted (and, after 30 days, purged):
		// notes, activities and files would point at a deal no list shows.
		// 2% are deleted, so a few redraws (deterministic) always suffice.
		isDel := w.ents["deals"].isDel
		for try := 0; try < 16 && isDel(v); try++ {
			v = 1 + int64(h.n(int(n)))
		}
	}
	return v
}

// baseCount is the base size of a reference target (hot path: no map).
func (w *world) baseCount(target string) int64 {
	switch target {
	case "persons":
		return w.nPersons
	case "organizations":
		return w.nOrgs
	case "stages":
		return 2 * stagesPerPipe
	}
	return w.ents[target].base
}

func (w *world) owner(tag uint64, id int64) int64 {
	h := newHasher(w.seed, tag, id, -99)
	return 1 + int64(h.n(w.users))
}

// dealStage returns the deal's stage id and that stage's pipeline id.
func (w *world) dealStage(id int64) (stage, pipeline int64) {
	stage = w.rel(tagDeal, id, 3, "stages")
	return stage, (stage-1)/stagesPerPipe + 1
}

func (w *world) dealProductCount(dealID int64) int {
	if n, ok := w.dpCount[dealID]; ok {
		return n
	}
	h := newHasher(w.seed, tagDealProduct, dealID, -1)
	return h.n(4)
}

func (w *world) installmentCount(dealID int64) int {
	h := newHasher(w.seed, tagInstallment, dealID, -1)
	if h.n(8) == 0 {
		return 2
	}
	return 0
}

func (w *world) leadIndex(id string) (int64, bool) {
	if w.leadIdx == nil {
		w.leadIdx = map[string]int64{}
	}
	if i, ok := w.leadIdx[id]; ok {
		return i, true
	}
	e := w.ents["leads"]
	for i := int64(1); i < e.nextID; i++ {
		u := uuidFor(w.seed, tagLead, i)
		w.leadIdx[u] = i
		if u == id {
			return i, true
		}
	}
	return 0, false
}
