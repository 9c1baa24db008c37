package pipedrivetest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// listPaths maps the entity names of Count/Records/Insert/... to the list
// endpoint that serves them.
var listPaths = map[string]struct {
	ver   int
	path  string
	query string
}{
	// Deals with the include_fields pdx requests (products_count is the one
	// the simulator renders), so records compare as pdx reads them.
	"deals": {2, "/deals", "include_fields=products_count"},
	// Archived deals with the deleted ones (as the deals_archived stream
	// reads them); Records("deals") lists deals without the deleted.
	"deals_archived": {2, "/deals/archived", "status=open,won,lost,deleted&include_fields=products_count"},
	"persons":        {2, "/persons", ""},
	"organizations":  {2, "/organizations", ""},
	"activities":     {2, "/activities", ""},
	"products":       {2, "/products", ""},
	"pipelines":      {2, "/pipelines", ""},
	"stages":         {2, "/stages", ""},
	"projects":       {2, "/projects", ""},
	"tasks":          {2, "/tasks", ""},
	"notes":          {1, "/notes", ""},
	"files":          {1, "/files", ""},
	"leads":          {1, "/leads", ""},
	"leads_archived": {1, "/leads/archived", ""},
	// Projects without the deleted ones, as for deals.
	"projects_archived": {2, "/projects/archived", ""},
	"callLogs":          {1, "/callLogs", ""},
	"mailThreads":       {1, "/mailbox/mailThreads", "folder=inbox"},
	// Count and Records also take pdx's stream names where they differ
	// (callers map a stream to its listing by name).
	"call_logs":   {1, "/callLogs", ""},
	"lead_fields": {1, "/leadFields", ""},
	"note_fields": {1, "/noteFields", ""},
}

// eachListed pages through entity's list endpoint in-process, exactly as a
// client would, and calls fn with every raw record (s.data held).
func (s *Server) eachListed(entity string, fn func([]byte)) {
	now := s.Now()
	if entity == "deal_products" {
		s.eachDealProduct(fn)
		return
	}
	lp, ok := listPaths[entity]
	if !ok {
		panic("pipedrivetest: unknown entity " + entity)
	}
	rt, params := match(lp.ver, lp.path)
	q, _ := url.ParseQuery(lp.query)
	q.Set("limit", "500")
	switch lp.path {
	case "/files":
		q.Set("limit", "100")
	case "/callLogs":
		q.Set("limit", strconv.Itoa(callLogsMax))
	}
	for {
		c := &call{s: s, w: s.w, q: q, params: params, path: canonicalPath(lp.ver, lp.path), now: now}
		if st := rt.h(c); st != 200 {
			panic(fmt.Sprintf("pipedrivetest: listing %s: status %d: %s", entity, st, c.buf))
		}
		var page struct {
			Data           []json.RawMessage `json:"data"`
			AdditionalData *struct {
				NextCursor *string `json:"next_cursor"`
				Pagination *struct {
					More      bool `json:"more_items_in_collection"`
					NextStart *int `json:"next_start"`
					Start     int  `json:"start"`
				} `json:"pagination"`
				More  bool `json:"more_items_in_collection"`
				Start int  `json:"start"`
			} `json:"additional_data"`
		}
		if err := json.Unmarshal(c.buf, &page); err != nil {
			panic("pipedrivetest: decoding own page: " + err.Error())
		}
		for _, r := range page.Data {
			fn(r)
		}
		ad := page.AdditionalData
		switch {
		case ad == nil:
			return
		case lp.ver == 2:
			if ad.NextCursor == nil {
				return
			}
			q.Set("cursor", *ad.NextCursor)
		case ad.Pagination != nil:
			if !ad.Pagination.More {
				return
			}
			next := ad.Pagination.Start + len(page.Data) // no next_start where the spec has none
			if ad.Pagination.NextStart != nil {
				next = *ad.Pagination.NextStart
			}
			mustAdvance(entity, ad.Pagination.Start, next)
			q.Set("start", strconv.Itoa(next))
		default:
			if !ad.More {
				return
			}
			mustAdvance(entity, ad.Start, ad.Start+len(page.Data))
			q.Set("start", strconv.Itoa(ad.Start+len(page.Data)))
		}
	}
}

// mustAdvance stops a listing whose page says "more" without moving on: a
// bug in the simulator would otherwise spin Records/Count forever (it once
// hung a test for ten minutes).
func mustAdvance(entity string, start, next int) {
	if next <= start {
		panic(fmt.Sprintf("pipedrivetest: listing %s: page at start %d says more items but the next start is %d", entity, start, next))
	}
}

// eachDealProduct lists the products of every deal a listing shows: open,
// won and lost, archived or not, and the deleted ones still listed (status
// deleted, 30 days); those of purged deals are gone with them.
func (s *Server) eachDealProduct(fn func([]byte)) {
	e := s.w.ents["deals"]
	now := s.Now().Unix()
	e.scan(byID, false, cursorPos{}, 0, 0, func(r rec) bool {
		if !e.visible(r, now) {
			return true
		}
		for _, dp := range s.w.dealProducts(r.id) {
			fn(s.w.renderDealProduct(nil, dp))
		}
		return true
	})
}

// entityFor maps a public entity name to its collection.
func (s *Server) entityFor(entity string) (*entity, error) {
	name := strings.TrimSuffix(entity, "_archived")
	e, ok := s.w.ents[name]
	if !ok {
		return nil, fmt.Errorf("pipedrivetest: unknown entity %q", entity)
	}
	return e, nil
}

// parseID maps an API id (a number, or a lead UUID) to the record index.
func (s *Server) parseID(entity, id string) (int64, error) {
	if entity == "leads" {
		if i, ok := s.w.leadIndex(id); ok {
			return i, nil
		}
		return 0, fmt.Errorf("%w: lead %s", ErrNotFound, id)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q", ErrNotFound, entity, id)
	}
	return n, nil
}

// Insert creates a record stamped add_time = update_time = Now and returns
// its id as the API shows it (a UUID for leads).
func (s *Server) Insert(entity string) string {
	s.data.Lock()
	defer s.data.Unlock()
	e, err := s.entityFor(entity)
	if err != nil {
		panic(err)
	}
	id := e.insert(s.Now().Unix())
	if strings.HasSuffix(entity, "_archived") {
		e.ov[id].archived = true
	}
	if entity == "leads" || entity == "leads_archived" {
		u := uuidFor(s.w.seed, tagLead, id)
		if s.w.leadIdx != nil {
			s.w.leadIdx[u] = id
		}
		return u
	}
	return strconv.FormatInt(id, 10)
}

// Update changes a record (new content version) and stamps update_time =
// Now. Update("deal_products", id) changes one deal product and, by the
// simulator's model, also its deal (see doc.go).
func (s *Server) Update(entity, id string) error {
	s.data.Lock()
	defer s.data.Unlock()
	if entity == "deal_products" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("%w: deal product %q", ErrNotFound, id)
		}
		deal := (n-1)/maxDealProducts + 1
		j := int((n - 1) % maxDealProducts)
		if j >= s.w.dealProductCount(deal) {
			return fmt.Errorf("%w: deal product %s", ErrNotFound, id)
		}
		dps := s.w.dealProducts(deal)
		st := s.w.dpState[n]
		if st == nil {
			st = &state{at: dps[j].at}
			s.w.dpState[n] = st
		}
		st.ver++
		st.ut = s.Now().Unix()
		return s.touchDeal(deal)
	}
	e, i, err := s.liveRecord(entity, id)
	if err != nil {
		return err
	}
	e.touch(i, s.Now().Unix())
	return nil
}

// liveRecord finds a record that exists and is not deleted: its entity and
// numeric id, or ErrNotFound.
func (s *Server) liveRecord(entity, id string) (*entity, int64, error) {
	return s.findRecord(entity, id, func(r rec) bool { return !r.deleted })
}

// findRecord finds a record that exists and that live accepts.
func (s *Server) findRecord(entity, id string, live func(rec) bool) (*entity, int64, error) {
	e, err := s.entityFor(entity)
	if err != nil {
		return nil, 0, err
	}
	i, err := s.parseID(entity, id)
	if err != nil {
		return nil, 0, err
	}
	if r, ok := e.get(i); !ok || !live(r) {
		return nil, 0, fmt.Errorf("%w: %s %s", ErrNotFound, entity, id)
	}
	return e, i, nil
}

func (s *Server) touchDeal(deal int64) error {
	if r, ok := s.w.ents["deals"].get(deal); !ok || r.deleted {
		return fmt.Errorf("%w: deal %d", ErrNotFound, deal)
	}
	if _, ok := s.w.ents["deals"].touch(deal, s.Now().Unix()); !ok {
		return fmt.Errorf("%w: deal %d", ErrNotFound, deal)
	}
	return nil
}

// Delete deletes a record at Now. Deals are soft-deleted: listed with
// is_deleted:true under status=...,deleted for 30 days, then purged. Other
// records vanish at once.
func (s *Server) Delete(entity, id string) error {
	s.data.Lock()
	defer s.data.Unlock()
	st, err := s.touchLive(entity, id, func(r rec) bool { return !r.deleted })
	if err != nil {
		return err
	}
	st.deleted = true
	return nil
}

// touchLive stamps record id of entity at Now, if it exists and live says
// it may change (s.data held).
func (s *Server) touchLive(entity, id string, live func(rec) bool) (*state, error) {
	e, i, err := s.findRecord(entity, id, live)
	if err != nil {
		return nil, err
	}
	st, _ := e.touch(i, s.Now().Unix())
	return st, nil
}

// Archive archives a deal (it moves to /deals/archived), a lead (to
// /leads/archived) or a project (to /projects/archived) at Now: update_time
// = Now, unless Options.ArchiveKeepsUpdateTime (then only archive_time,
// where the API shows one, says when).
func (s *Server) Archive(entity, id string) error {
	if entity != "deals" && entity != "leads" && entity != "projects" {
		return fmt.Errorf("pipedrivetest: only deals, leads and projects can be archived, not %q", entity)
	}
	s.data.Lock()
	defer s.data.Unlock()
	e := s.w.ents[entity]
	i, err := s.parseID(entity, id)
	if err != nil {
		return err
	}
	r, ok := e.get(i)
	if !ok || r.deleted {
		return fmt.Errorf("%w: %s %s", ErrNotFound, entity, id)
	}
	now := s.Now().Unix()
	var st *state
	if s.opts.ArchiveKeepsUpdateTime {
		st = e.ov[i]
		if st == nil {
			st = &state{ut: r.ut, at: r.at, ver: r.ver, deleted: r.deleted}
			e.ov[i] = st
		}
	} else {
		st, _ = e.touch(i, now)
	}
	st.archived, st.arch = true, now
	return nil
}

// SetDealProducts gives deal dealID n product lines (0..8), each stamped
// update_time = Now, and bumps the deal's update_time (the simulator's model
// of Pipedrive, see doc.go; not with Options.DealProductsKeepUpdateTime).
// Fewer lines than before removes the last ones; more brings them back
// with their old ids.
func (s *Server) SetDealProducts(dealID string, n int) error {
	if n < 0 || n > maxDealProducts {
		return fmt.Errorf("pipedrivetest: a deal can have 0..%d products in the simulator, not %d", maxDealProducts, n)
	}
	s.data.Lock()
	defer s.data.Unlock()
	d, err := strconv.ParseInt(dealID, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: deal %q", ErrNotFound, dealID)
	}
	if s.opts.DealProductsKeepUpdateTime {
		if r, ok := s.w.ents["deals"].get(d); !ok || r.deleted {
			return fmt.Errorf("%w: deal %d", ErrNotFound, d)
		}
	} else if err := s.touchDeal(d); err != nil {
		return err
	}
	s.w.dpCount[d] = n
	now := s.Now().Unix()
	for j := 0; j < n; j++ {
		id := (d-1)*maxDealProducts + int64(j) + 1
		st := s.w.dpState[id]
		if st == nil {
			st = &state{at: now}
			s.w.dpState[id] = st
		}
		st.ver++
		st.ut = now
	}
	return nil
}

// Purge makes a record vanish from every list and lookup at once, as
// Pipedrive's purge does 30 days after a soft delete (deals, persons,
// organizations, activities, products, files; leads and notes too): after
// it only an id comparison can tell the record is gone. A record deleted
// before may be purged; purging twice is ErrNotFound.
func (s *Server) Purge(entity, id string) error {
	s.data.Lock()
	defer s.data.Unlock()
	st, err := s.touchLive(entity, id, func(r rec) bool { return !r.purged })
	if err != nil {
		return err
	}
	st.deleted, st.purged = true, true
	return nil
}
