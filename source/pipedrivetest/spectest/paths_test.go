package spectest_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/pipedrivetest/spectest"
)

// routeQuery is the query a route needs (required parameters) or that makes
// its answer non-trivial.
var routeQuery = map[string]string{
	"v1 /deals/timeline":                       "start_date=2025-01-01&interval=month&amount=12&field_key=add_time",
	"v1 /goals/{id}/results":                   "period.start=2026-01-01&period.end=2026-12-31",
	"v1 /leads/search":                         "term=lead",
	"v1 /organizationRelationships":            "org_id=1",
	"v1 /pipelines/{id}/conversion_statistics": "start_date=2025-01-01&end_date=2026-12-31",
	"v1 /pipelines/{id}/movement_statistics":   "start_date=2025-01-01&end_date=2026-12-31",
	"v1 /projects/phases":                      "board_id=1",
	"v1 /recents":                              "since_timestamp=2026-10-27%2000:00:00", // the last month, as Singer asks
	"v1 /users/find":                           "term=user&search_by_email=1",
	"v1 /mailbox/mailMessages/{id}":            "include_body=1",
	"v2 /phases":                               "board_id=1",
	"v2 /deals/search":                         "term=deal",
	"v2 /persons/search":                       "term=an",
	"v2 /organizations/search":                 "term=an",
	"v2 /products/search":                      "term=sku",
	"v2 /leads/search":                         "term=lead",
	"v2 /projects/search":                      "term=project",
	"v2 /itemSearch":                           "term=an",
	"v2 /itemSearch/field":                     "term=lead&entity_type=lead&field=title&match=beginning",
	"v2 /deals/{id}/products":                  "sort_by=update_time&sort_direction=desc",
}

// pathIDs are the {id}s requested per collection: chosen so the larger
// test accounts have data behind them (followers on every third record,
// variations on every fourth product, ...); in small accounts some answer
// 404, which is validated too.
var pathIDs = map[string]string{
	"deals": "15", "persons": "4", "organizations": "3", "products": "12", "users": "2", "roles": "1",
	"pipelines": "1", "stages": "3", "projects": "2", "tasks": "1", "notes": "3", "files": "1",
	"activities": "2", "boards": "1", "phases": "2", "projectTemplates": "1", "filters": "1",
	"organizationRelationships": "1", "mailThreads": "1", "mailMessages": "10", "callLogs": "call-1",
	"dealFields": "1", "personFields": "1", "organizationFields": "1", "productFields": "6",
}

// fieldCodes are a {field_code} per v2 fields collection.
var fieldCodes = map[string]string{"dealFields": "title", "personFields": "name", "organizationFields": "name",
	"productFields": "name", "activityFields": "subject", "projectFields": "title"}

// routePaths builds one request for every route of the simulator that
// pickedPaths does not already request (ids discovered through the API
// where they are UUIDs).
func routePaths(t testing.TB, s *pipedrivetest.Server) []string {
	spec := spectest.Load(t)
	picked := map[string]bool{}
	for _, p := range pickedPaths(s) {
		picked[routeOf(spec, p)] = true
	}
	owned := ownedIDs(s)
	lead := firstField(s, "/v1/leads", "id")
	ids := map[string]string{"leads": lead, "goals": firstGoal(s), "permissionSets": firstPermissionSet(s)}
	var out []string
	for op := range pipedrivetest.Routes() {
		if picked[op] {
			continue
		}
		ver, tmpl, _ := strings.Cut(op, " ")
		segs := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
		for i, sg := range segs {
			coll := segs[max(i-1, 0)]
			switch {
			case sg == "{id}" && ids[coll] != "":
				segs[i] = ids[coll]
			case sg == "{id}":
				segs[i] = pathIDs[coll]
			case sg == "{field_code}":
				segs[i] = fieldCodes[coll]
			case sg == "{commentId}":
				segs[i] = firstField(s, "/v1/notes/"+segs[1]+"/comments", "uuid")
			case sg == "{conversion_id}":
				if segs[i] = s.ConversionID(segs[0], segs[1]); segs[i] == "" {
					segs[i] = "00000000-0000-4000-8000-000000000000" // no such record: 404
				}
			}
		}
		if id := owned[op]; id != "" {
			segs[1] = id
		}
		prefix := "/v1/"
		if ver == "v2" {
			prefix = "/api/v2/"
		}
		p := prefix + strings.Join(segs, "/")
		if q := routeQuery[op]; q != "" {
			p += "?" + q
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// routeOf maps a request path to its operation ("v1 /deals/{id}/flow").
func routeOf(spec *spectest.Spec, p string) string {
	path, _, _ := strings.Cut(p, "?")
	tmpl, _, err := spec.Operation("GET", path)
	if err != nil {
		return "unknown " + path
	}
	if strings.HasPrefix(path, "/api/v2/") {
		return "v2 " + tmpl
	}
	return "v1 " + tmpl
}

// get fetches path with the API token and decodes the JSON body into v.
func get(s *pipedrivetest.Server, path string, v any) error {
	req, _ := http.NewRequest("GET", s.URL()+path, nil)
	req.Header.Set("x-api-token", s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// firstField returns field of the first item of the list at path.
func firstField(s *pipedrivetest.Server, path, field string) string {
	var env struct {
		Data []map[string]any `json:"data"`
	}
	if get(s, path, &env) != nil || len(env.Data) == 0 {
		return "unknown"
	}
	v, _ := env.Data[0][field].(string)
	return v
}

// ownedIDs are, for routes listing what hangs off a record (its files,
// mail, products), the id of a record that has some, found through the API.
func ownedIDs(s *pipedrivetest.Server) map[string]string {
	m := map[string]string{}
	var files struct {
		Data []struct {
			DealID int64 `json:"deal_id"`
		} `json:"data"`
	}
	if get(s, "/v1/files?limit=1", &files) == nil && len(files.Data) > 0 {
		m["v1 /deals/{id}/files"] = strconv.FormatInt(files.Data[0].DealID, 10)
	}
	var threads struct {
		Data []struct {
			DealID  *int64 `json:"deal_id"`
			Parties struct {
				To []struct {
					ID int64 `json:"id"`
				} `json:"to"`
			} `json:"parties"`
		} `json:"data"`
	}
	if get(s, "/v1/mailbox/mailThreads?folder=inbox&limit=1", &threads) == nil && len(threads.Data) > 0 {
		th := threads.Data[0]
		if th.DealID != nil {
			m["v1 /deals/{id}/mailMessages"] = strconv.FormatInt(*th.DealID, 10)
		}
		if len(th.Parties.To) > 0 {
			pid := strconv.FormatInt(th.Parties.To[0].ID, 10)
			m["v1 /persons/{id}/mailMessages"] = pid
			var person struct {
				Data struct {
					OrgID *int64 `json:"org_id"`
				} `json:"data"`
			}
			if get(s, "/api/v2/persons/"+pid, &person) == nil && person.Data.OrgID != nil {
				m["v1 /organizations/{id}/mailMessages"] = strconv.FormatInt(*person.Data.OrgID, 10)
			}
		}
	}
	var deals struct {
		Data []struct {
			PersonID *int64 `json:"person_id"`
			Products int    `json:"products_count"`
		} `json:"data"`
	}
	if get(s, "/api/v2/deals?limit=100&include_fields=products_count", &deals) == nil {
		for _, d := range deals.Data {
			if d.Products > 0 && d.PersonID != nil {
				m["v1 /persons/{id}/products"] = strconv.FormatInt(*d.PersonID, 10)
				break
			}
		}
	}
	return m
}

func firstGoal(s *pipedrivetest.Server) string {
	var env struct {
		Data struct {
			Goals []struct {
				ID string `json:"id"`
			} `json:"goals"`
		} `json:"data"`
	}
	if get(s, "/v1/goals/find", &env) != nil || len(env.Data.Goals) == 0 {
		return "unknown"
	}
	return env.Data.Goals[0].ID
}

// nextPage reads a page's additional_data: the query parameter and value
// that fetch the next page (v2 next_cursor, v1 next_start, or start+limit
// where the spec documents no next_start), or "" on the last page.
func nextPage(raw json.RawMessage) (key, val string) {
	var ad struct {
		NextCursor *string `json:"next_cursor"`
		Pagination *struct {
			More      bool `json:"more_items_in_collection"`
			NextStart *int `json:"next_start"`
			Start     int  `json:"start"`
			Limit     int  `json:"limit"`
		} `json:"pagination"`
		More  bool `json:"more_items_in_collection"`
		Start int  `json:"start"`
		Limit int  `json:"limit"`
	}
	json.Unmarshal(raw, &ad)
	switch {
	case ad.NextCursor != nil:
		return "cursor", *ad.NextCursor
	case ad.Pagination != nil && ad.Pagination.More && ad.Pagination.NextStart != nil:
		return "start", strconv.Itoa(*ad.Pagination.NextStart)
	case ad.Pagination != nil && ad.Pagination.More:
		return "start", strconv.Itoa(ad.Pagination.Start + ad.Pagination.Limit)
	case ad.More:
		return "start", strconv.Itoa(ad.Start + ad.Limit)
	}
	return "", ""
}
