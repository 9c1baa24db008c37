package spectest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/pipedrivetest/spectest"
)

// TestSingleReadsMatchLists: GET /{entity}/{id} answers exactly the record
// its list shows, for every record (base, updated, inserted), and the
// per-deal products are the batched endpoint's lines.
func TestSingleReadsMatchLists(t *testing.T) {
	spec := spectest.Load(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 5, Scale: 60, BurstLimit: 1 << 20,
		Wrap: func(h http.Handler) http.Handler { return spec.Middleware(t, h) }})
	defer s.Close()
	s.Update("deals", "4")
	s.Update("persons", "2")
	s.Insert("products")
	s.SetDealProducts("4", 3)
	for _, tc := range []struct{ entity, single string }{
		{"deals", "/api/v2/deals/"}, {"persons", "/api/v2/persons/"}, {"organizations", "/api/v2/organizations/"},
		{"activities", "/api/v2/activities/"}, {"products", "/api/v2/products/"}, {"pipelines", "/api/v2/pipelines/"},
		{"stages", "/api/v2/stages/"}, {"projects", "/api/v2/projects/"}, {"tasks", "/api/v2/tasks/"},
		{"notes", "/v1/notes/"}, {"files", "/v1/files/"}, {"leads", "/v1/leads/"}, {"callLogs", "/v1/callLogs/"},
	} {
		recs := s.Records(tc.entity)
		if len(recs) == 0 {
			t.Fatalf("%s: no records", tc.entity)
		}
		for _, r := range recs {
			var id struct {
				ID any `json:"id"`
			}
			json.Unmarshal(r, &id)
			key, _ := json.Marshal(id.ID)
			var one struct {
				Data json.RawMessage `json:"data"`
			}
			p := tc.single + strings.Trim(string(key), `"`)
			if tc.entity == "deals" {
				p += "?include_fields=products_count" // as Records lists deals (pdx asks for it)
			}
			if err := get(s, p, &one); err != nil {
				t.Fatalf("GET %s: %v", p, err)
			}
			if !bytes.Equal(compact(one.Data), compact(r)) {
				t.Errorf("GET %s:\n got %s\nlist %s", p, one.Data, r)
				break
			}
		}
	}
	var batched, single struct {
		Data []json.RawMessage `json:"data"`
	}
	get(s, "/api/v2/deals/products?deal_ids=4", &batched)
	get(s, "/api/v2/deals/4/products", &single)
	if len(single.Data) != 3 || len(batched.Data) != 3 {
		t.Fatalf("deal 4 products: %d one deal, %d batched, want 3", len(single.Data), len(batched.Data))
	}
	for i := range single.Data {
		if !bytes.Equal(compact(single.Data[i]), compact(batched.Data[i])) {
			t.Errorf("deal 4 product %d: %s vs %s", i, single.Data[i], batched.Data[i])
		}
	}
}

func compact(b []byte) []byte {
	var out bytes.Buffer
	json.Compact(&out, b)
	return out.Bytes()
}

// TestUnknownIDs404: every route with an id answers an unknown id with 404
// and Pipedrive's error envelope (validated against the spec where it
// declares 404), charging the operation's cost like Pipedrive.
func TestUnknownIDs404(t *testing.T) {
	spec := spectest.Load(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 3, Scale: 20, BurstLimit: 1 << 20,
		Wrap: func(h http.Handler) http.Handler { return spec.Middleware(t, h) }})
	defer s.Close()
	n := 0
	for op := range pipedrivetest.Routes() {
		if !strings.Contains(op, "{") {
			continue
		}
		ver, tmpl, _ := strings.Cut(op, " ")
		p := strings.NewReplacer("{id}", "987654", "{field_code}", "no_such_field", "{commentId}", "00000000-0000-4000-8000-000000000000",
			"{conversion_id}", "00000000-0000-4000-8000-000000000000").Replace(tmpl)
		if strings.HasPrefix(tmpl, "/leads/{id}") || strings.HasPrefix(tmpl, "/permissionSets/") || strings.HasPrefix(tmpl, "/goals/") {
			p = strings.Replace(tmpl, "{id}", "00000000-0000-4000-8000-000000000000", 1)
			p = strings.Replace(p, "{conversion_id}", "00000000-0000-4000-8000-000000000000", 1)
		}
		prefix := "/v1"
		if ver == "v2" {
			prefix = "/api/v2"
		}
		if q := routeQuery[op]; q != "" {
			p += "?" + q
		}
		req, _ := http.NewRequest("GET", s.URL()+prefix+p, nil)
		req.Header.Set("x-api-token", s.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var env struct {
			Success *bool  `json:"success"`
			Error   string `json:"error"`
		}
		if resp.StatusCode != 404 || json.Unmarshal(body, &env) != nil || env.Success == nil || *env.Success || env.Error == "" {
			t.Errorf("%s (GET %s): %d %s, want 404 with the error envelope", op, prefix+p, resp.StatusCode, body)
		}
		n++
	}
	if n < 80 {
		t.Errorf("only %d routes with ids checked", n)
	}
}

// TestNewListFilters: the filters the new lists take select what they say.
func TestNewListFilters(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 8, Scale: 400, BurstLimit: 1 << 20})
	defer s.Close()
	type item = map[string]any
	var persons struct {
		Data []item `json:"data"`
	}
	get(s, "/api/v2/persons?limit=1", &persons)
	p1 := persons.Data[0]
	org := p1["org_id"].(float64)
	for _, tc := range []struct {
		path string
		ok   func(it item) bool
	}{
		{"/v1/tasks?done=1&limit=500", func(it item) bool { return it["done"] == 1.0 }},
		{"/v1/tasks?done=0&assignee_id=2&limit=500", func(it item) bool { return it["done"] == 0.0 && it["assignee_id"] == 2.0 }},
		{"/v1/projects?status=open&phase_id=2&limit=500", func(it item) bool {
			return it["status"] == "open" && it["phase_id"] == 2.0 && it["archive_time"] == nil
		}},
		{"/api/v2/projects/archived?limit=500", func(it item) bool { return it["archive_time"] != nil }},
		{"/api/v2/projects?limit=500", func(it item) bool { return it["archive_time"] == nil }},
		{"/api/v2/deals/search?term=an&status=won", func(it item) bool { return it["item"].(item)["status"] == "won" }},
		{"/api/v2/persons/search?term=" + url.QueryEscape(p1["last_name"].(string)) + "&organization_id=" + strconv.Itoa(int(org)), func(it item) bool {
			o, _ := it["item"].(item)["organization"].(item)
			return o != nil && o["id"] == org
		}},
		{"/api/v2/itemSearch?term=an&item_types=organization", func(it item) bool { return it["item"].(item)["type"] == "organization" }},
		{"/v1/recents?since_timestamp=2026-11-01%2000:00:00&items=note&limit=500", func(it item) bool {
			return it["item"] == "note" && it["data"].(item)["update_time"].(string) >= "2026-11-01 00:00:00"
		}},
	} {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := get(s, tc.path, &env); err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		var list []item
		if json.Unmarshal(env.Data, &list) != nil {
			var wrap struct {
				Items []item `json:"items"`
			}
			json.Unmarshal(env.Data, &wrap)
			list = wrap.Items
		}
		if len(list) == 0 {
			t.Errorf("GET %s: nothing selected", tc.path)
		}
		for _, it := range list {
			if !tc.ok(it) {
				t.Errorf("GET %s selected %v", tc.path, it)
				break
			}
		}
	}
}
