package spectest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/pipedrivetest/spectest"
)

// pickedPaths are hand-picked requests (with filters and sorting).
func pickedPaths(s *pipedrivetest.Server) []string {
	return []string{
		"/api/v2/deals", "/api/v2/deals?status=open,won,lost,deleted&sort_by=update_time&updated_since=2025-01-01T00:00:00Z",
		"/api/v2/deals/archived", "/api/v2/deals/archived?status=open,won,lost,deleted", "/api/v2/deals/products?deal_ids=1,2,3,4,5,6,7,8,9,10",
		"/api/v2/deals/installments?deal_ids=1&deal_ids=2&deal_ids=3&deal_ids=4&deal_ids=5&deal_ids=6&deal_ids=7&deal_ids=8&deal_ids=9",
		"/api/v2/persons", "/api/v2/organizations", "/api/v2/activities", "/api/v2/products", "/api/v2/pipelines",
		"/api/v2/stages", "/api/v2/projects", "/api/v2/projects?status=open,completed,canceled,deleted",
		"/api/v2/projects/archived?status=open,completed,canceled,deleted", "/api/v2/projectFields", "/api/v2/tasks", "/api/v2/dealFields", "/api/v2/personFields",
		"/api/v2/organizationFields", "/api/v2/productFields", "/api/v2/activityFields",
		"/v1/notes", "/v1/notes?sort=update_time%20ASC&updated_since=2025-01-01T00:00:00Z", "/v1/files", "/v1/leads",
		"/v1/leads/archived", "/v1/leadLabels", "/v1/leadSources", "/v1/leadFields", "/v1/noteFields", "/v1/users",
		"/v1/users/me", "/v1/roles", "/v1/permissionSets", "/v1/filters", "/v1/currencies", "/v1/activityTypes",
		"/v1/callLogs", "/v1/goals/find", "/v1/mailbox/mailThreads?folder=inbox", "/v1/mailbox/mailThreads/1/mailMessages",
		"/v1/deals/1/flow", "/v1/deals/1/changelog", "/v1/persons/1/changelog", "/v1/organizations/1/changelog",
		"/api/v1/users/me", "/api/v1/notes",
		"/v1/permissionSets/" + firstPermissionSet(s) + "/assignments",
		"/v1/tasks?done=1", "/v1/projects?status=open&phase_id=2&include_archived=true",
		"/api/v2/projects/archived?status=open,completed", "/v1/recents?since_timestamp=2020-01-01%2000:00:00&items=deal",
		"/v1/deals/timeline?start_date=2025-06-01&interval=quarter&amount=2&field_key=update_time&user_id=1&pipeline_id=1",
		"/api/v2/deals/search?term=an&status=open&exact_match=false", "/v1/deals/summary?status=won&pipeline_id=2",
	}
}

// servedPaths are one concrete request per served operation: the
// hand-picked ones above, then one for every other route (routesPaths).
func servedPaths(t testing.TB, s *pipedrivetest.Server) []string {
	return append(pickedPaths(s), routePaths(t, s)...)
}

// firstPermissionSet returns the id of the account's first permission set.
func firstPermissionSet(s *pipedrivetest.Server) string {
	req, _ := http.NewRequest("GET", s.URL()+"/v1/permissionSets", nil)
	req.Header.Set("x-api-token", s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "unknown"
	}
	defer resp.Body.Close()
	var env struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&env) != nil || len(env.Data) == 0 {
		return "unknown"
	}
	return env.Data[0].ID
}

// getAll pages through path (v2 cursor or v1 start) and returns the pages
// seen; a 404 on the first page (an id this account does not have) returns 0.
func getAll(t *testing.T, s *pipedrivetest.Server, path string, limit int) int {
	t.Helper()
	pages := 0
	next := ""
	start := -1
	for {
		u, _ := url.Parse(s.URL() + path)
		q := u.Query()
		if limit > 0 && (!strings.Contains(path, "Fields") || strings.Contains(path, "leadFields")) {
			l := limit
			if m := spectest.Load(t).LimitMax(u.Path); m > 0 && l > m {
				l = m // files and deals/{id}/files cap at 100
			}
			if strings.HasPrefix(path, "/v1/callLogs") && l > 50 {
				l = 50 // call logs at 50 (said in the description only)
			}
			q.Set("limit", fmt.Sprint(l))
		}
		if next != "" {
			q.Set("cursor", next)
		}
		if start > 0 {
			q.Set("start", fmt.Sprint(start))
		}
		u.RawQuery = q.Encode()
		req, _ := http.NewRequest("GET", u.String(), nil)
		req.Header.Set("x-api-token", s.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 404 && pages == 0 && strings.Contains(path, "/") {
			return 0
		}
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
		}
		pages++
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			return pages // files/{id}/download: the file's bytes
		}
		var env struct {
			AD json.RawMessage `json:"additional_data"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		key, val := nextPage(env.AD)
		switch key {
		case "cursor":
			next = val
		case "start":
			start, _ = strconv.Atoi(val)
		default:
			return pages
		}
		if pages > 10000 {
			t.Fatalf("GET %s: pagination does not end", path)
		}
	}
}

// TestContract validates every response of every served operation against
// the published specs, across seeds, scales, custom-field mixes and pages.
func TestContract(t *testing.T) {
	spec := spectest.Load(t)
	cases := []struct {
		seed      int64
		scale, cf int
		limit     int
	}{
		{1, 0, 0, 0},
		{2, 3, 3, 1},
		{7, 250, 20, 97},
		{42, 700, 1, 500},
	}
	answered := map[string]bool{}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("seed%d_scale%d_cf%d", tc.seed, tc.scale, tc.cf), func(t *testing.T) {
			s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: tc.seed, Scale: tc.scale, CustomFields: tc.cf,
				BurstLimit: 1 << 20, Wrap: func(h http.Handler) http.Handler { return spec.Middleware(t, h) }})
			defer s.Close()
			// Mutations so soft-deleted, archived, updated and inserted records are served too.
			s.Insert("deals")
			s.Update("deals", "1")
			s.Delete("deals", "2")
			s.Archive("leads", s.Insert("leads"))
			s.SetDealProducts("1", 3)
			picked := map[string]bool{}
			for _, p := range pickedPaths(s) {
				picked[p] = true
			}
			for _, p := range servedPaths(t, s) {
				if getAll(t, s, p, tc.limit) > 0 {
					answered[routeOf(spec, p)] = true
				} else if picked[p] {
					t.Errorf("%s: no pages", p)
				}
			}
		})
	}
	// Every operation answered 200 (validated) in at least one account.
	for op := range pipedrivetest.Routes() {
		if !answered[op] {
			t.Errorf("%s: never answered 200 in any test account", op)
		}
	}
}

// TestContractCoversEveryRoute: the contract test requests every operation
// the simulator serves.
func TestContractCoversEveryRoute(t *testing.T) {
	spec := spectest.Load(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{})
	defer s.Close()
	covered := map[string]bool{}
	for _, p := range servedPaths(t, s) {
		path, _, _ := strings.Cut(p, "?")
		tmpl, _, err := spec.Operation("GET", path)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		ver := "v1"
		if strings.HasPrefix(path, "/api/v2/") {
			ver = "v2"
		}
		covered[ver+" "+tmpl] = true
	}
	for op := range pipedrivetest.Routes() {
		if !covered[op] {
			t.Errorf("served operation %s is not exercised by the contract test", op)
		}
	}
}

// TestTokenCosts checks the simulator's cost table against x-token-cost.
func TestTokenCosts(t *testing.T) {
	spec := spectest.Load(t)
	for op, cost := range pipedrivetest.Routes() {
		ver, path, _ := strings.Cut(op, " ")
		prefix := "/v1"
		if ver == "v2" {
			prefix = "/api/v2"
		}
		_, want, err := spec.Operation("GET", prefix+strings.ReplaceAll(path, "{id}", "1"))
		if err != nil {
			t.Errorf("%s: %v", op, err)
			continue
		}
		if cost != want {
			t.Errorf("%s: simulator charges %d tokens, spec says x-token-cost %d", op, cost, want)
		}
	}
}

// TestValidateRequestRejects shows the request validator catches bad requests.
func TestValidateRequestRejects(t *testing.T) {
	spec := spectest.Load(t)
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"/api/v2/deals?limit=500&sort_by=update_time", true},
		{"/api/v2/deals?sort_by=title", false},
		{"/v1/deals/archived", false}, // deprecated
		{"/api/v2/nothing", false},
		{"/v1/notes?start=0&limit=100", true},
		{"/api/v2/deals?status=open,won,lost,deleted", true}, // documented as a comma list
		{"/api/v2/deals?status=open,bogus", false},
		{"/api/v2/deals?status=deleted", true},
		{"/api/v2/deals?include_fields=products_count,notes_count", true},
		{"/api/v2/deals?limit=x", false},
		{"/v1/persons?start=0", false}, // gone from v1
	} {
		r, _ := http.NewRequest("GET", "http://x"+tc.path, nil)
		r.Header.Set("x-api-token", "t")
		err := spec.ValidateRequest(r)
		if (err == nil) != tc.ok {
			t.Errorf("%s: ValidateRequest = %v, want ok=%v", tc.path, err, tc.ok)
		}
	}
}

// TestContractErrors validates error responses (where the spec declares the
// status) and checks every error is Pipedrive's JSON error envelope.
func TestContractErrors(t *testing.T) {
	spec := spectest.Load(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 4, Scale: 20, BurstLimit: 1 << 20})
	defer s.Close()
	check := func(path string, token string, want int) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL()+path, nil)
		req.Header.Set("x-api-token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
		var env struct {
			Success *bool `json:"success"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Success == nil || *env.Success {
			t.Errorf("%s -> %d: not a JSON error envelope: %s", path, want, body)
		}
		if err := spec.ValidateResponse(req, resp.StatusCode, resp.Header, body); err != nil {
			t.Errorf("%v", err)
		}
	}
	for _, p := range servedPaths(t, s) {
		check(p, "wrong-token", 401)
		for _, st := range []int{402, 403, 404, 410, 500, 502, 503, 504} {
			base, _, _ := strings.Cut(p, "?")
			canon := strings.Replace(base, "/api/v1/", "/v1/", 1)
			s.Fault(pipedrivetest.Fault{Path: canon, Status: st, Times: 1})
			check(p, s.Token(), st)
		}
	}
	check("/api/v2/deals?limit=501", s.Token(), 400)
	check("/v1/deals/999999/flow", s.Token(), 404)
}

// TestUndeclaredFields shows the strict field check catches a key the spec
// does not declare, at any depth, and lets custom field keys through.
func TestUndeclaredFields(t *testing.T) {
	spec := spectest.Load(t)
	const cf = "0c682eab6ea54464024d48260008af42d01bc224"
	for _, tc := range []struct {
		path, body string
		want       string
	}{
		{"/api/v2/deals", `{"success":true,"data":[{"id":1,"title":"x"}],"additional_data":{"next_cursor":null}}`, "[]"},
		{"/api/v2/deals", `{"success":true,"data":[{"id":1,"titel":"x"}]}`, "[.data[].titel]"},
		{"/api/v2/deals", `{"success":true,"data":[{"id":1,"custom_fields":{"` + cf + `":{"value":1,"currency":"EUR"}}}],"bogus":1}`, "[.bogus]"},
		{"/api/v2/personFields", `{"success":true,"data":[{"field_code":"name","description":null}]}`, "[.data[].description]"},
		{"/api/v2/dealFields", `{"success":true,"data":[{"field_code":"title","description":null}]}`, "[]"},
		{"/v1/leads", `{"success":true,"data":[{"id":"u","` + cf + `":1,"` + cf + `_currency":"EUR"}]}`, "[]"},
		{"/v1/users/me", `{"success":true,"data":{"id":1,"company_name":"c","favourite_colour":"red"}}`, "[.data.favourite_colour]"},
		{"/v1/roles", `{"success":true,"data":[],"additional_data":{"pagination":{"start":0,"limit":1,"more_items_in_collection":true,"next_start":1}}}`, "[.additional_data.pagination.next_start]"},
		{"/api/v2/deals/installments?deal_ids=1", `{"success":true,"data":[],"additional_data":{"next_cursor":"c"}}`, "[]"},
		{"/api/v2/deals/installments?deal_ids=1", `{"success":true,"data":[],"extra":{}}`, "[.extra]"},
		{"/api/v2/deals", `{"success":true,"data":[{"id":1,"products_count":2}]}`, "[.data[].products_count]"},
		{"/api/v2/deals?include_fields=products_count", `{"success":true,"data":[{"id":1,"products_count":2}]}`, "[]"},
		{"/v1/roles/1", `{"success":true,"data":{"id":1},"additional_data":{"settings":{"deal_access_level":7,"bogus":1}}}`, "[.additional_data.settings.bogus]"},
		{"/v1/persons/1/products", `{"success":true,"data":[{"17":{"deal":{"id":17},"product":{"id":3,"bogus":1}}}]}`, "[.data[].*.product.bogus]"},
	} {
		r, _ := http.NewRequest("GET", "http://x"+tc.path, nil)
		got, err := spec.UndeclaredFields(r, []byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s %s: undeclared %v, want %s", tc.path, tc.body, got, tc.want)
		}
	}
}
