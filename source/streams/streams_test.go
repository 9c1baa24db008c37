package streams

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/sharedref"
)

// The issue's table: name -> version, path, primary key, strategy.
var issueTable = map[string]struct {
	v        client.Version
	path     string
	pk       string
	strategy Strategy
}{
	"activities":          {client.V2, "/activities", "id", ServerUpdatedSince},
	"activity_fields":     {client.V2, "/activityFields", "field_code", FullRefreshOnly},
	"activity_types":      {client.V1, "/activityTypes", "id", ClientSideCursor},
	"currencies":          {client.V1, "/currencies", "id", FullRefreshOnly},
	"deal_fields":         {client.V2, "/dealFields", "field_code", FullRefreshOnly},
	"deal_products":       {client.V2, "/deals/products", "id", FollowsParent},
	"deals":               {client.V2, "/deals", "id", ServerUpdatedSince},
	"deals_archived":      {client.V2, "/deals/archived", "id", ServerUpdatedSince},
	"files":               {client.V1, "/files", "id", ClientSideCursor},
	"filters":             {client.V1, "/filters", "id", ClientSideCursor},
	"lead_labels":         {client.V1, "/leadLabels", "id", ClientSideCursor},
	"leads":               {client.V1, "/leads", "id", ServerUpdatedSince},
	"leads_archived":      {client.V1, "/leads/archived", "id", ClientSideCursor},
	"lead_sources":        {client.V1, "/leadSources", "name", FullRefreshOnly},
	"notes":               {client.V1, "/notes", "id", ServerUpdatedSince},
	"organization_fields": {client.V2, "/organizationFields", "field_code", FullRefreshOnly},
	"organizations":       {client.V2, "/organizations", "id", ServerUpdatedSince},
	"permission_sets":     {client.V1, "/permissionSets", "id", FullRefreshOnly},
	"person_fields":       {client.V2, "/personFields", "field_code", FullRefreshOnly},
	"persons":             {client.V2, "/persons", "id", ServerUpdatedSince},
	"pipelines":           {client.V2, "/pipelines", "id", ClientSideCursor},
	"product_fields":      {client.V2, "/productFields", "field_code", FullRefreshOnly},
	"products":            {client.V2, "/products", "id", ServerUpdatedSince},
	"roles":               {client.V1, "/roles", "id", FullRefreshOnly},
	"stages":              {client.V2, "/stages", "id", ClientSideCursor},
	"users":               {client.V1, "/users", "id", ClientSideCursor},
}

// moreTable: the "and more" rows beyond the issue's list (parentless lists
// that users of Airbyte's 3.x connector expect).
var moreTable = map[string]struct {
	v        client.Version
	path     string
	pk       string
	strategy Strategy
}{
	"call_logs":   {client.V1, "/callLogs", "id", FullRefreshOnly},
	"lead_fields": {client.V1, "/leadFields", "key", FullRefreshOnly},
	"note_fields": {client.V1, "/noteFields", "key", FullRefreshOnly},
	"projects":    {client.V2, "/projects", "id", ClientSideCursor},
	"tasks":       {client.V2, "/tasks", "id", ClientSideCursor},
}

var snake = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

func TestTableMatchesIssue(t *testing.T) {
	all := All()
	if len(all) != len(issueTable)+len(moreTable) {
		t.Errorf("%d streams, the issue lists %d and %d more are expected", len(all), len(issueTable), len(moreTable))
	}
	for name := range issueTable {
		if _, ok := Lookup(name); !ok {
			t.Errorf("the issue's stream %q is missing", name)
		}
	}
	groups := map[Group]int{}
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }) {
		t.Error("table is not sorted by name")
	}
	for _, s := range all {
		want, ok := issueTable[s.Name]
		if !ok {
			want, ok = moreTable[s.Name]
		}
		if !ok {
			t.Errorf("stream %q is in neither the issue's table nor the expected additions", s.Name)
			continue
		}
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
		if s.Strategy == FollowsParent {
			if p, ok := Lookup(s.Parent); !ok || p.Strategy != ServerUpdatedSince {
				t.Errorf("%s: parent %q is not a server-side stream", s.Name, s.Parent)
			}
		} else if s.Parent != "" {
			t.Errorf("%s: a parent without FollowsParent", s.Name)
		}
		if s.Version != want.v || s.Path != want.path || fmt.Sprint(s.PrimaryKey) != "["+want.pk+"]" || s.Strategy != want.strategy {
			t.Errorf("%s: got %v %s %v %v, want %v %s %s %v", s.Name, s.Version, s.Path, s.PrimaryKey, s.Strategy, want.v, want.path, want.pk, want.strategy)
		}
		if s.SupportsIncremental() != (want.strategy != FullRefreshOnly) {
			t.Errorf("%s: SupportsIncremental = %v", s.Name, s.SupportsIncremental())
		}
		if s.Strategy == ServerUpdatedSince && len(s.SortParams) == 0 {
			t.Errorf("%s: server-side incremental needs ascending sort by the cursor", s.Name)
		}
		wantLimit := 500
		switch s.Name {
		case "files":
			wantLimit = 100
		case "call_logs":
			wantLimit = 50
		}
		if s.Paging != None && s.PageLimit != wantLimit {
			t.Errorf("%s: page limit %d, want %d", s.Name, s.PageLimit, wantLimit)
		}
		// deals/archived costs 20 per request in the spec (40 per 1000 at the
		// 500 maximum): nothing a client can do; deal_products pages follow
		// the deal batches. Every other v2 list must stay within 20.5.
		if s.Paging != None && s.Version == client.V2 && float64(s.TokenCost)*1000/float64(s.PageLimit) > 20.5 && s.Name != "deal_products" && s.Name != "deals_archived" {
			t.Errorf("%s: %d tokens per 1000 records at full pages", s.Name, s.TokenCost*1000/s.PageLimit)
		}
		if s.Path == "/recents" {
			t.Errorf("%s reads /recents", s.Name)
		}
		if got, ok := Lookup(s.Name); !ok || got.Path != s.Path {
			t.Errorf("Lookup(%q) = %v, %v", s.Name, got.Path, ok)
		}
	}
	if d, _ := Lookup("deals"); d.Params.Get("status") != "open,won,lost,deleted" {
		t.Errorf("deals status = %q", d.Params.Get("status"))
	}
	if u, _ := Lookup("users"); u.Cursor != "modified" {
		t.Errorf("users cursor = %q", u.Cursor)
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

// TestTableAgainstSpec: every endpoint exists in today's spec, is not
// deprecated, costs what the table says, and takes the params the engine
// sends (fixed, sort, updated_since for server-side streams, paging).
func TestTableAgainstSpec(t *testing.T) {
	specs := map[client.Version]*openapi3.T{}
	for v, rel := range map[client.Version]string{client.V1: "reference/pipedrive-openapi/v1.yaml", client.V2: "reference/pipedrive-openapi/v2.yaml"} {
		p := sharedref.Require(t, rel)
		doc, err := openapi3.NewLoader().LoadFromFile(p)
		if err != nil {
			t.Fatalf("load %s: %v", rel, err)
		}
		specs[v] = doc
	}
	for _, s := range All() {
		item := specs[s.Version].Paths.Value(s.Path)
		if item == nil || item.Get == nil {
			t.Errorf("%s: GET %s %s is not in the spec", s.Name, s.Version, s.Path)
			continue
		}
		op := item.Get
		if op.Deprecated {
			t.Errorf("%s: %s is deprecated", s.Name, s.Path)
		}
		cost, err := costOf(op)
		if err != nil || cost != s.TokenCost {
			t.Errorf("%s: x-token-cost %d (%v), table says %d", s.Name, cost, err, s.TokenCost)
		}
		params := map[string]bool{}
		for _, p := range op.Parameters {
			if p.Value != nil && p.Value.In == "query" {
				params[p.Value.Name] = true
			}
		}
		var need []string
		for k := range s.Params {
			need = append(need, k)
		}
		for k := range s.SortParams {
			need = append(need, k)
		}
		switch s.Paging {
		case V2Cursor:
			need = append(need, "limit", "cursor")
		case V1Offset:
			need = append(need, "limit", "start")
		}
		if s.Strategy == ServerUpdatedSince {
			need = append(need, "updated_since")
		}
		if s.Strategy == FollowsParent {
			need = append(need, "deal_ids")
		}
		if s.Paging != None {
			// Page at the maximum the spec states (fewer requests, fewer
			// tokens); v1 lists that state none take 500.
			if max := limitMax(op); max != s.PageLimit && (max != 0 || s.PageLimit != 500) {
				t.Errorf("%s: page limit %d, the spec's maximum is %d", s.Name, s.PageLimit, max)
			}
		} else if params["limit"] || params["start"] || params["cursor"] {
			t.Errorf("%s: read unpaged, but the spec pages %s", s.Name, s.Path)
		}
		if !params["updated_since"] && s.Strategy == ServerUpdatedSince {
			t.Errorf("%s: server-side cursor without updated_since", s.Name)
		}
		if params["updated_since"] && s.Strategy != ServerUpdatedSince && s.Strategy != FollowsParent && s.Cursor != "" {
			t.Errorf("%s: filters client-side although %s takes updated_since", s.Name, s.Path)
		}
		for _, k := range need {
			if !params[k] {
				t.Errorf("%s: query param %q is not in the spec of %s", s.Name, k, s.Path)
			}
		}
	}
}

var statedMax = regexp.MustCompile(`(?i)(?:maximum value of|upper limit is)\s+(\d+)`)

// limitMax is the largest limit the operation states, in its schema or its
// description (0: none stated).
func limitMax(op *openapi3.Operation) int {
	for _, p := range op.Parameters {
		if p.Value == nil || p.Value.In != "query" || p.Value.Name != "limit" {
			continue
		}
		if sc := p.Value.Schema; sc != nil && sc.Value != nil && sc.Value.Max != nil {
			return int(*sc.Value.Max)
		}
		if m := statedMax.FindStringSubmatch(p.Value.Description); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

func costOf(op *openapi3.Operation) (int, error) {
	v, ok := op.Extensions["x-token-cost"]
	if !ok {
		return 0, fmt.Errorf("no x-token-cost")
	}
	switch n := v.(type) {
	case float64:
		return int(n), nil
	case int:
		return n, nil
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	}
	return 0, fmt.Errorf("x-token-cost of type %T", v)
}
