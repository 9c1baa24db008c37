package spectest_test

import (
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

// TestOtherClientsRequestShapes sends the requests other tools send, as they
// send them (the API token in the api_token query parameter, their page sizes
// and paging), through the spec validator, and follows every listing to its
// end: each page must answer 200 and the listing must hold records.
//
// Singer tap-pipedrive (master): v1 fields lists and activityTypes,
// currencies, filters with start/limit; v2 entity lists with
// limit/updated_since/sort_by=update_time and a cursor; /v1/recents with
// since_timestamp "YYYY-MM-DD HH:MM:SS" and items=file|user; deals/{id}/flow.
// Airbyte source-pipedrive 3.x/4.x: v2 lists with limit=500, cursor,
// updated_since; one /api/v2/deals/{id}/products call per deal; v1 lists
// with start/limit=50 and /v1/recents items.
func TestOtherClientsRequestShapes(t *testing.T) {
	spec := spectest.Load(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 9, Scale: 150, BurstLimit: 1 << 20,
		Wrap: func(h http.Handler) http.Handler { return spec.Middleware(t, h) }})
	defer s.Close()
	// Changes of the last days, for the incremental reads through recents.
	for _, e := range []string{"files", "deals", "notes"} {
		if err := s.Update(e, "1"); err != nil {
			t.Fatal(err)
		}
	}
	since := url.QueryEscape(s.Now().AddDate(0, 0, -20).Format("2006-01-02 15:04:05"))
	const v2Since = "updated_since=2024-01-01T00:00:00Z&sort_by=update_time"
	for _, tc := range []struct {
		client, path string
		want         int // 0: 200 with records
	}{
		{"singer", "/v1/activityFields?start=0&limit=100", 0},
		{"singer", "/v1/dealFields?start=0&limit=100", 0},
		{"singer", "/v1/noteFields?start=0&limit=100", 0},
		{"singer", "/v1/organizationFields?start=0&limit=100", 0},
		{"singer", "/v1/personFields?start=0&limit=100", 0},
		{"singer", "/v1/productFields?start=0&limit=100", 0},
		{"singer", "/v1/activityTypes?start=0&limit=100", 0},
		{"singer", "/v1/currencies?start=0&limit=100", 0},
		{"singer", "/v1/filters?start=0&limit=100", 0},
		{"singer", "/v1/users?start=0&limit=100", 0},
		{"singer", "/v1/files?start=0&limit=100", 0},
		{"singer", "/v1/notes?start=0&limit=100&updated_since=2024-01-01T00:00:00Z&sort=update_time%20ASC", 0},
		{"singer", "/v1/recents?start=0&limit=100&since_timestamp=" + since + "&items=file", 0},
		{"singer", "/v1/recents?start=0&limit=100&since_timestamp=2024-01-01%2000:00:00&items=user", 0},
		{"singer", "/v1/deals/3/flow?start=0&limit=100", 0},
		{"singer", "/api/v2/deals?limit=100&" + v2Since + "&include_fields=products_count", 0},
		{"singer", "/api/v2/persons?limit=100&" + v2Since, 0},
		{"singer", "/api/v2/organizations?limit=100&" + v2Since, 0},
		{"singer", "/api/v2/activities?limit=100&" + v2Since, 0},
		{"singer", "/api/v2/products?limit=100&" + v2Since, 0},
		// Singer also sends updated_since to pipelines and stages, which, as
		// reported of Pipedrive (pipedrive-facts.md section 5), answer 400.
		{"singer", "/api/v2/pipelines?limit=100&" + v2Since, 400},
		{"singer", "/api/v2/stages?limit=100&" + v2Since, 400},
		{"airbyte", "/api/v2/deals?limit=500&" + v2Since + "&sort_direction=asc", 0},
		{"airbyte", "/api/v2/deals/archived?limit=500&" + v2Since, 0},
		{"airbyte", "/api/v2/persons?limit=500&" + v2Since, 0},
		{"airbyte", "/api/v2/organizations?limit=500&" + v2Since, 0},
		{"airbyte", "/api/v2/activities?limit=500&" + v2Since, 0},
		{"airbyte", "/api/v2/products?limit=500&updated_since=2024-01-01T00:00:00Z", 0},
		{"airbyte", "/api/v2/pipelines?limit=500", 0},
		{"airbyte", "/api/v2/stages?limit=500", 0},
		{"airbyte", "/api/v2/dealFields?limit=500", 0},
		{"airbyte", "/api/v2/activityFields?limit=500", 0},
		{"airbyte", "/api/v2/projects?limit=500", 0},
		{"airbyte", "/api/v2/tasks?limit=500", 0},
		{"airbyte", "/v1/leads?start=0&limit=50", 0},
		{"airbyte", "/v1/leadLabels?limit=50", 0},
		{"airbyte", "/v1/goals/find?limit=50", 0},
		{"airbyte", "/v1/callLogs?start=0&limit=50", 0},
		{"airbyte", "/v1/permissionSets?limit=50", 0},
		{"airbyte", "/v1/roles?start=0&limit=50", 0},
		{"airbyte", "/v1/mailbox/mailThreads?folder=inbox&start=0&limit=50", 0},
		{"airbyte", "/v1/mailbox/mailThreads/1/mailMessages?limit=50", 0},
		{"airbyte", "/v1/recents?limit=50&items=deal&since_timestamp=" + since, 0},
		{"airbyte", "/v1/recents?limit=50&items=filter&since_timestamp=2020-01-01%2000:00:00", 0},
		{"airbyte", "/v1/recents?limit=50&items=activityType&since_timestamp=2020-01-01%2000:00:00", 0},
		{"airbyte", "/v1/recents?limit=50&items=pipeline&since_timestamp=2020-01-01%2000:00:00", 0},
		{"airbyte", "/v1/recents?limit=50&items=stage&since_timestamp=2020-01-01%2000:00:00", 0},
	} {
		got, records := follow(t, s, tc.path)
		switch {
		case tc.want == 0 && got != 200:
			t.Errorf("%s: GET %s: %d, want 200", tc.client, tc.path, got)
		case tc.want == 0 && records == 0:
			t.Errorf("%s: GET %s: no records", tc.client, tc.path)
		case tc.want != 0 && got != tc.want:
			t.Errorf("%s: GET %s: %d, want %d", tc.client, tc.path, got, tc.want)
		}
	}

	// Airbyte reads each deal's products on its own: every deal's call
	// answers 200, and together they hold exactly the lines the batched
	// endpoint (what pdx uses) returns.
	var deals struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := get(s, "/api/v2/deals?limit=100", &deals); err != nil || len(deals.Data) == 0 {
		t.Fatalf("list deals: %v", err)
	}
	one, ids := 0, make([]string, 0, len(deals.Data))
	for _, d := range deals.Data {
		id := strconv.FormatInt(d.ID, 10)
		ids = append(ids, id)
		st, n := follow(t, s, "/api/v2/deals/"+id+"/products?limit=500")
		if st != 200 {
			t.Errorf("airbyte: /api/v2/deals/%s/products: %d", id, st)
		}
		one += n
	}
	batched := 0
	for i := 0; i < len(ids); i += 100 {
		_, n := follow(t, s, "/api/v2/deals/products?deal_ids="+strings.Join(ids[i:min(i+100, len(ids))], ","))
		batched += n
	}
	if one == 0 || one != batched {
		t.Errorf("deal products: %d one deal at a time, %d batched", one, batched)
	}

	// The token travelled in the query: logged as such, and redacted.
	n := 0
	for _, r := range s.Requests() {
		if !strings.Contains(r.Query, "api_token") {
			continue // the test's own reads (x-api-token header)
		}
		n++
		if r.Auth != "query" || strings.Contains(r.Query, s.Token()) || !strings.Contains(r.Query, "api_token=REDACTED") {
			t.Fatalf("request %s %s?%s: auth %q, token not redacted or not from the query", r.Method, r.Path, r.Query, r.Auth)
		}
	}
	if n == 0 {
		t.Error("no request carried api_token")
	}
}

// follow pages through path with api_token in the query, as the other
// clients do, and returns the last status and the records seen.
func follow(t *testing.T, s *pipedrivetest.Server, path string) (status, records int) {
	t.Helper()
	u, _ := url.Parse(s.URL() + path)
	q := u.Query()
	q.Set("api_token", s.Token())
	for pages := 0; pages < 1000; pages++ {
		u.RawQuery = q.Encode()
		resp, err := http.Get(u.String()) // no x-api-token header
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return resp.StatusCode, records
		}
		var env struct {
			Data json.RawMessage `json:"data"`
			AD   json.RawMessage `json:"additional_data"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		var list []json.RawMessage
		var goals struct {
			Goals []json.RawMessage `json:"goals"`
		}
		if json.Unmarshal(env.Data, &list) == nil {
			records += len(list)
		} else if json.Unmarshal(env.Data, &goals) == nil {
			records += len(goals.Goals)
		}
		key, val := nextPage(env.AD)
		if key == "" {
			return 200, records
		}
		q.Set(key, val)
	}
	t.Fatalf("GET %s: paging does not end", path)
	return 0, 0
}
