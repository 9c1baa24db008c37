package streams

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/client"
)

var snake = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// TestTableIsConsistent: the rules every row keeps whatever it reads. What
// a row reads is checked against the published spec (spec_test.go) and
// what users are told against the README (readme_test.go), not against a
// copy of the table.
func TestTableIsConsistent(t *testing.T) {
	all := All()
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }) {
		t.Error("table is not sorted by name")
	}
	groups := map[Group]int{}
	for _, s := range all {
		if !snake.MatchString(s.Name) || s.Description == "" {
			t.Errorf("%s: name/description incomplete", s.Name)
		}
		switch s.Group {
		case Core, Fields, Settings:
			groups[s.Group]++
		default:
			t.Errorf("%s: group %q is not one the TUI shows", s.Name, s.Group)
		}
		if (s.Group == Fields) != strings.HasSuffix(s.Name, "_fields") {
			t.Errorf("%s: group %s", s.Name, s.Group)
		}
		if len(s.PrimaryKey) == 0 {
			t.Errorf("%s: no primary key", s.Name)
		}
		if s.Strategy != FullRefreshOnly && s.Strategy != TailWatermark && s.Cursor == "" {
			t.Errorf("%s: strategy %s without a cursor", s.Name, s.Strategy)
		}
		if s.Strategy == ServerUpdatedSince && len(s.SortParams) == 0 {
			t.Errorf("%s: server-side incremental needs ascending sort by the cursor", s.Name)
		}
		if s.Paging != None && s.PageLimit <= 0 {
			t.Errorf("%s: paged without a page limit", s.Name)
		}
		// deals/archived costs 20 per request in the spec (40 per 1000 at the
		// 500 maximum): nothing a client can do; child pages follow the
		// parent batches. Every other v2 list must stay within 20.5.
		if s.Paging != None && s.Version == client.V2 && float64(s.TokenCost)*1000/float64(s.PageLimit) > 20.5 && s.Parent == nil && s.Name != "deals_archived" {
			t.Errorf("%s: %d tokens per 1000 records at full pages", s.Name, s.TokenCost*1000/s.PageLimit)
		}
		if s.Path == "/recents" {
			t.Errorf("%s reads /recents", s.Name)
		}
		if got, ok := Lookup(s.Name); !ok || got.Path != s.Path {
			t.Errorf("Lookup(%q) = %v, %v", s.Name, got.Path, ok)
		}
		if s.Parent != nil {
			for _, problem := range relationProblems(s) {
				t.Errorf("%s: %s", s.Name, problem)
			}
		}
	}
	// Deleted deals (kept 30 days) are the only deletes Pipedrive lists.
	if d, _ := Lookup("deals"); d.Params.Get("status") != "open,won,lost,deleted" {
		t.Errorf("deals status = %q", d.Params.Get("status"))
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown stream succeeded")
	}
	for _, g := range []Group{Core, Fields, Settings} {
		if groups[g] == 0 {
			t.Errorf("group %s is empty", g)
		}
	}
	if n := len(Names()); n != len(all) {
		t.Errorf("Names() has %d, All() %d", n, len(all))
	}
}

// relationProblems lists what is wrong with a child stream's relation
// (nothing for a sound one).
func relationProblems(s Stream) []string {
	rel := s.Parent
	var out []string
	if len(rel.Parents) == 0 {
		return []string{"no parent listing"}
	}
	if rel.FixedOnly() {
		// A fixed fan-out: the stream's own list once per set of params.
		if rel.Changed != EveryParent || rel.IDParam != "" {
			out = append(out, fmt.Sprintf("a fixed fan-out with parent ids %q or changes %s", rel.IDParam, rel.Changed))
		}
		return out
	}
	seen := map[string]bool{}
	for _, src := range rel.Parents {
		p, ok := Lookup(src.Stream)
		switch {
		case src.Fixed():
			return []string{"fixed sources mixed with parent listings"}
		case !ok:
			return []string{fmt.Sprintf("parent %q is not a stream", src.Stream)}
		case seen[src.Key()]:
			out = append(out, fmt.Sprintf("parent %q listed twice (one cursor per listing)", src.Key()))
		case p.Parent != nil && !p.Parent.FixedOnly():
			out = append(out, fmt.Sprintf("parent %q is itself a child", src.Stream))
		case len(p.PrimaryKey) != 1:
			out = append(out, fmt.Sprintf("parent %q has no single id to pass", src.Stream))
		}
		seen[src.Key()] = true
		if rel.Changed == ParentCursorHere && p.Cursor == "" {
			out = append(out, fmt.Sprintf("changed parents found by their cursor, but %q has none", src.Stream))
		}
		// Listing the parents by updated_since in ascending order is what
		// makes the child's state a resume point; v1 offset pages would skip
		// parents updated mid-read. (The parent's own strategy may differ:
		// deals_archived scans for archive_time, see the table.)
		if rel.Changed == ParentUpdatedSince && (p.Paging != V2Cursor || p.Cursor != "update_time" || p.SortParams.Get("sort_direction") != "asc") {
			out = append(out, fmt.Sprintf("changed parents found by updated_since, but %q is %s paged by %s sorted %v", src.Stream, p.Strategy, p.Paging, p.SortParams))
		}
	}
	if s.Strategy != FullRefreshOnly {
		out = append(out, fmt.Sprintf("strategy %s: a child reads incrementally by its relation's Changed", s.Strategy))
	}
	if rel.IDParam == "" || rel.Batch < 1 {
		out = append(out, fmt.Sprintf("id parameter %q, batch %d", rel.IDParam, rel.Batch))
	}
	if rel.IDIn == IDInPath && (rel.Batch != 1 || !strings.Contains(s.Path, "{"+rel.IDParam+"}")) {
		out = append(out, fmt.Sprintf("path parameter %q: batch %d, path %s", rel.IDParam, rel.Batch, s.Path))
	}
	if rel.IDIn != IDInPath && strings.Contains(s.Path, "{") {
		out = append(out, fmt.Sprintf("path %s has a placeholder but the ids go in the query", s.Path))
	}
	switch rel.Changed {
	case ParentUpdatedSince, ParentCursorHere:
		if s.Cursor == "" || !s.SupportsIncremental() {
			out = append(out, "changed parents are found, but the stream has no cursor to key its state")
		}
	case EveryParent:
		if s.Cursor != "" {
			out = append(out, fmt.Sprintf("cursor %q, but no way to find changed parents (full refresh only)", s.Cursor))
		}
	default:
		out = append(out, fmt.Sprintf("unknown Changed %d", rel.Changed))
	}
	return out
}

// TestChildRequest: the ids of a batch go where the relation says, and a
// batch the relation cannot take is refused rather than sent.
func TestChildRequest(t *testing.T) {
	base := Stream{Name: "kids", Version: client.V2, Path: "/deals/products", Params: v("a", "1"), SortParams: v("sort_by", "id"),
		Paging: V2Cursor, PageLimit: 500, TokenCost: 10}
	with := func(path string, in IDIn, batch int) Stream {
		s := base
		s.Path = path
		s.Parent = &Relation{Parents: []ParentSource{{Stream: "deals"}}, IDParam: "deal_ids", IDIn: in, Batch: batch}
		if in == IDInPath {
			s.Parent.IDParam = "id"
		}
		return s
	}
	tests := []struct {
		name      string
		s         Stream
		ids       []string
		path, qry string // want; qry is the encoded query
		err       bool
	}{
		{"comma list", with("/deals/products", IDList, 100), []string{"1", "2", "3"}, "/deals/products", "a=1&deal_ids=1%2C2%2C3&sort_by=id", false},
		{"repeated", with("/deals/installments", IDRepeated, 100), []string{"1", "2"}, "/deals/installments", "a=1&deal_ids=1&deal_ids=2&sort_by=id", false},
		{"path", with("/deals/{id}/participants", IDInPath, 1), []string{"17"}, "/deals/17/participants", "a=1&sort_by=id", false},
		{"path escapes", with("/mailbox/mailThreads/{id}/mailMessages", IDInPath, 1), []string{"a/b"}, "/mailbox/mailThreads/a%2Fb/mailMessages", "a=1&sort_by=id", false},
		{"more than a batch", with("/deals/products", IDList, 2), []string{"1", "2", "3"}, "", "", true},
		{"no ids", with("/deals/products", IDList, 100), nil, "", "", true},
		{"two ids in a path", with("/deals/{id}/participants", IDInPath, 2), []string{"1", "2"}, "", "", true},
		{"path without its placeholder", with("/deals/participants", IDInPath, 1), []string{"1"}, "", "", true},
		{"not a child", base, []string{"1"}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.s.ChildRequest(tt.ids)
			if tt.err {
				if err == nil {
					t.Fatalf("ChildRequest(%v) = %s?%s, want an error", tt.ids, req.Path, req.Params.Encode())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Path != tt.path || req.Params.Encode() != tt.qry {
				t.Errorf("ChildRequest(%v) = %s?%s, want %s?%s", tt.ids, req.Path, req.Params.Encode(), tt.path, tt.qry)
			}
			if req.Version != tt.s.Version || req.Paging != tt.s.Paging || req.Limit != tt.s.PageLimit || req.Cost != tt.s.TokenCost {
				t.Errorf("request %+v does not carry the stream's version, paging, limit and cost", req)
			}
		})
	}
	// The row's own params stay as declared.
	if got := base.Params.Encode(); got != "a=1" {
		t.Errorf("the stream's params became %s", got)
	}
}

// TestRequest: a stream's request has its fixed params and sort, and extra
// params replace those of the same name without changing the table.
func TestRequest(t *testing.T) {
	d, _ := Lookup("deals")
	req := d.Request(v("status", "open", "updated_since", "2024-01-01T00:00:00Z"))
	if req.Version != d.Version || req.Path != d.Path || req.Paging != d.Paging || req.Limit != d.PageLimit || req.Cost != d.TokenCost {
		t.Errorf("request %+v is not the stream's", req)
	}
	want := "include_fields=" + url.QueryEscape(dealExtras) + "&sort_by=update_time&sort_direction=asc&status=open&updated_since=2024-01-01T00%3A00%3A00Z"
	if got := req.Params.Encode(); got != want {
		t.Errorf("params %s, want %s", got, want)
	}
	req.Params.Set("sort_by", "id")
	if again, _ := Lookup("deals"); again.Params.Get("status") != "open,won,lost,deleted" || again.SortParams.Get("sort_by") != "update_time" {
		t.Errorf("the table changed through a request: %v %v", again.Params, again.SortParams)
	}
}

// TestDefaultOff: the per-parent streams that cost a request per deal,
// person, organization or product (changelogs, flows, participants,
// followers) are left out of the default selection, nothing else is, and
// each stays a stream one can name.
func TestDefaultOff(t *testing.T) {
	off := map[string]bool{}
	for _, n := range []string{"deal_changelog", "deal_flow", "deal_participants", "deal_followers", "person_changelog",
		"person_followers", "organization_changelog", "organization_followers", "product_followers"} {
		off[n] = true
	}
	defaults := map[string]bool{}
	for _, n := range Defaults() {
		defaults[n] = true
	}
	for _, s := range All() {
		if s.DefaultOff != off[s.Name] {
			t.Errorf("%s: DefaultOff %v, want %v", s.Name, s.DefaultOff, off[s.Name])
		}
		if defaults[s.Name] == off[s.Name] {
			t.Errorf("%s: in the defaults %v, off by default %v", s.Name, defaults[s.Name], off[s.Name])
		}
		if _, ok := Lookup(s.Name); !ok {
			t.Errorf("%s: not found by name", s.Name)
		}
		if s.Parent != nil && s.Parent.ParentKey != "" && s.Parent.Batch != 1 {
			t.Errorf("%s: ParentKey %q with batches of %d (the key needs one parent per request)", s.Name, s.Parent.ParentKey, s.Parent.Batch)
		}
	}
}
