package pipedrivetest

import (
	"sort"
	"time"
)

// entity is one collection of lazily generated records. Base records have
// ids 1..base; their add_time and update_time are non-decreasing in id (ids
// are handed out in creation order, and the base data set is generated so
// that older records were also last touched earlier), which lets a listing
// ordered by (update_time, id) binary-search the base range. Mutated and
// inserted records live in a small overlay with explicit timestamps.
type entity struct {
	name    string
	tag     uint64
	base    int64
	t0      int64 // unix seconds of add_time of id 1
	step    int64 // seconds between consecutive base add_times
	ov      map[int64]*state
	nextID  int64
	isDel   func(id int64) bool // base soft-deleted (deals only)
	isArch  func(id int64) bool // base archived
	seed    int64
	purgeAt time.Duration // soft-deleted records vanish this long after deletion (0: immediately)
}

// state is the overlay entry of a mutated or inserted record.
type state struct {
	ut, at   int64
	ver      int
	deleted  bool
	archived bool
	arch     int64 // archive time (0: at update_time, for base archived records)
	purged   bool  // gone from every list, as after Pipedrive's 30-day window
}

// rec is a record as listed: id plus its current timestamps and flags.
type rec struct {
	id       int64
	ut, at   int64
	ver      int
	deleted  bool
	archived bool
	arch     int64 // archive time when archived
	purged   bool
}

const span = int64(2 * 365 * 24 * 3600)

func newEntity(name string, tag uint64, seed int64, base int64, now time.Time) *entity {
	if base < 0 {
		base = 0
	}
	step := int64(1)
	if base > 0 && span/base > 1 {
		step = span / base
	}
	return &entity{name: name, tag: tag, seed: seed, base: base, t0: now.Unix() - span - 3600, step: step,
		ov: map[int64]*state{}, nextID: base + 1}
}

func (e *entity) baseAt(id int64) int64 { return e.t0 + (id-1)*e.step }

func (e *entity) baseUt(id int64) int64 {
	if e.step <= 1 {
		return e.baseAt(id)
	}
	h := newHasher(e.seed, e.tag, id, -2)
	return e.baseAt(id) + int64(h.n(int(e.step)))
}

// get returns record id's current state; ok is false if it does not exist.
func (e *entity) get(id int64) (rec, bool) {
	if st, ok := e.ov[id]; ok {
		r := rec{id: id, ut: st.ut, at: st.at, ver: st.ver, deleted: st.deleted, archived: st.archived, arch: st.arch, purged: st.purged}
		if r.archived && r.arch == 0 {
			r.arch = r.ut
		}
		return r, true
	}
	if id < 1 || id > e.base {
		return rec{}, false
	}
	r := rec{id: id, ut: e.baseUt(id), at: e.baseAt(id)}
	if e.isDel != nil && e.isDel(id) {
		r.deleted = true
	}
	if e.isArch != nil && e.isArch(id) {
		r.archived, r.arch = true, r.ut // archived at its last update
	}
	return r, true
}

// visible reports whether a deleted record still shows (soft delete window).
func (e *entity) visible(r rec, now int64) bool {
	if r.purged {
		return false
	}
	if !r.deleted {
		return true
	}
	return e.purgeAt > 0 && now-r.ut < int64(e.purgeAt/time.Second)
}

type sortKey int

const (
	byID sortKey = iota
	byUpdate
)

type cursorPos struct {
	ut, id int64
	set    bool
}

func less(aut, aid, but, bid int64) bool {
	if aut != but {
		return aut < but
	}
	return aid < bid
}

// scan calls fn for every existing record (including soft-deleted and
// archived ones: callers filter) in the given order, starting strictly after
// pos, with since <= update_time < until when those are non-zero (only for
// byUpdate; for byID the filter is applied but not used to seek). fn returns
// false to stop.
func (e *entity) scan(order sortKey, desc bool, pos cursorPos, since, until int64, fn func(rec) bool) {
	inRange := func(ut int64) bool {
		return (since == 0 || ut >= since) && (until == 0 || ut < until)
	}
	if order == byID {
		if !desc {
			id := int64(1)
			if pos.set {
				id = pos.id + 1
			}
			for ; id < e.nextID; id++ {
				r, ok := e.get(id)
				if ok && inRange(r.ut) && !fn(r) {
					return
				}
			}
			return
		}
		id := e.nextID - 1
		if pos.set && pos.id-1 < id {
			id = pos.id - 1
		}
		for ; id >= 1; id-- {
			r, ok := e.get(id)
			if ok && inRange(r.ut) && !fn(r) {
				return
			}
		}
		return
	}
	// byUpdate: merge the implicit base stream with the sorted overlay.
	ovs := make([]rec, 0, len(e.ov))
	for id := range e.ov {
		r, _ := e.get(id)
		if inRange(r.ut) {
			ovs = append(ovs, r)
		}
	}
	sort.Slice(ovs, func(i, j int) bool { return less(ovs[i].ut, ovs[i].id, ovs[j].ut, ovs[j].id) })
	if !desc {
		// first base id strictly after pos and >= since
		lo := sort.Search(int(e.base), func(k int) bool {
			id := int64(k + 1)
			ut := e.baseUt(id)
			if since != 0 && ut < since {
				return false
			}
			return !pos.set || less(pos.ut, pos.id, ut, id)
		})
		bi := int64(lo + 1)
		oi := sort.Search(len(ovs), func(k int) bool { return !pos.set || less(pos.ut, pos.id, ovs[k].ut, ovs[k].id) })
		for {
			for bi <= e.base {
				if _, mutated := e.ov[bi]; !mutated {
					break
				}
				bi++
			}
			haveB := bi <= e.base && (until == 0 || e.baseUt(bi) < until)
			haveO := oi < len(ovs)
			if !haveB && !haveO {
				return
			}
			var r rec
			if haveB && (!haveO || less(e.baseUt(bi), bi, ovs[oi].ut, ovs[oi].id)) {
				r, _ = e.get(bi)
				bi++
			} else {
				r = ovs[oi]
				oi++
			}
			if !fn(r) {
				return
			}
		}
	}
	// descending: last base id strictly before pos and < until
	hi := sort.Search(int(e.base), func(k int) bool {
		id := int64(k + 1)
		ut := e.baseUt(id)
		if until != 0 && ut >= until {
			return true
		}
		return pos.set && !less(ut, id, pos.ut, pos.id)
	})
	bi := int64(hi) // ids 1..hi qualify on the upper side
	oi := sort.Search(len(ovs), func(k int) bool { return pos.set && !less(ovs[k].ut, ovs[k].id, pos.ut, pos.id) }) - 1
	for {
		for bi >= 1 {
			if _, mutated := e.ov[bi]; !mutated {
				break
			}
			bi--
		}
		haveB := bi >= 1 && (since == 0 || e.baseUt(bi) >= since)
		haveO := oi >= 0
		if !haveB && !haveO {
			return
		}
		var r rec
		if haveB && (!haveO || less(ovs[oi].ut, ovs[oi].id, e.baseUt(bi), bi)) {
			r, _ = e.get(bi)
			bi--
		} else {
			r = ovs[oi]
			oi--
		}
		if !fn(r) {
			return
		}
	}
}

// touch records a mutation of id at now.
func (e *entity) touch(id, now int64) (*state, bool) {
	r, ok := e.get(id)
	if !ok {
		return nil, false
	}
	st, ok := e.ov[id]
	if !ok {
		st = &state{ut: r.ut, at: r.at, deleted: r.deleted, archived: r.archived, arch: r.arch}
		e.ov[id] = st
	}
	st.ver++
	st.ut = now
	return st, true
}

func (e *entity) insert(now int64) int64 {
	id := e.nextID
	e.nextID++
	e.ov[id] = &state{ut: now, at: now}
	return id
}

// idAtOffset returns the id just before the k-th (0-based) non-deleted
// record in id order, so a scan after it starts at that record. Only the
// overlay can delete records of collections without base deletions.
func (e *entity) idAtOffset(k int64) int64 {
	var dels []int64
	for id, st := range e.ov {
		if st.deleted {
			dels = append(dels, id)
		}
	}
	sort.Slice(dels, func(i, j int) bool { return dels[i] < dels[j] })
	id := k + 1 // candidate id of the k-th record
	for _, d := range dels {
		if d <= id {
			id++
		} else {
			break
		}
	}
	return id - 1
}
