package pipedrivetest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pdxhq/pdx/source/clock"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

func get(t *testing.T, s *pipedrivetest.Server, path string, hdr ...string) resp {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL()+path, nil)
	if len(hdr) == 0 {
		req.Header.Set("x-api-token", s.Token())
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, b}
}

// TestInMemoryBurstWindow: an in-memory simulator is reached only through its
// HTTPClient, and in a synctest bubble its burst window runs on the bubble's
// time, so a full window is waited out without waiting.
func TestInMemoryBurstWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := pipedrivetest.NewServer(pipedrivetest.Options{BurstLimit: 2, InMemory: true})
		defer s.Close()
		if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
			t.Errorf("URL %q is not a loopback URL", s.URL())
		}
		tests := []struct {
			wait   time.Duration // before the request
			status int
		}{
			{0, 200},
			{500 * time.Millisecond, 200},
			{0, 429},
			{1500 * time.Millisecond, 200}, // t=2s: the first has left the window
			{0, 429},
			{2 * time.Second, 200},
		}
		start := time.Now()
		for i, tt := range tests {
			time.Sleep(tt.wait)
			if got := get(t, s, "/v1/users/me").status; got != tt.status {
				t.Errorf("request %d at %v: status %d, want %d", i, time.Since(start), got, tt.status)
			}
		}
	})
	s := pipedrivetest.NewServer(pipedrivetest.Options{InMemory: true})
	defer s.Close()
	if resp, err := http.Get(s.URL() + "/v1/users/me"); err == nil {
		resp.Body.Close()
		t.Errorf("an in-memory simulator answered a socket: %d", resp.StatusCode)
	}
}

// page fetches one v2 page and returns its records and next cursor.
func page(t *testing.T, s *pipedrivetest.Server, path string) ([]map[string]any, string) {
	t.Helper()
	r := get(t, s, path)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	var env struct {
		Data []map[string]any `json:"data"`
		AD   struct {
			Next *string `json:"next_cursor"`
		} `json:"additional_data"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatal(err)
	}
	if env.AD.Next == nil {
		return env.Data, ""
	}
	return env.Data, *env.AD.Next
}

func withCursor(path, cur string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if cur == "" {
		return path
	}
	return path + sep + "cursor=" + url.QueryEscape(cur)
}

func readAllV2(t *testing.T, s *pipedrivetest.Server, path string) (recs []map[string]any, pages int) {
	cur := ""
	for {
		d, next := page(t, s, withCursor(path, cur))
		recs = append(recs, d...)
		pages++
		if next == "" {
			return recs, pages
		}
		cur = next
	}
}

func TestV2PaginationMatchesCountAndRecords(t *testing.T) {
	for _, tc := range []struct {
		scale, limit, wantPages int
	}{{230, 100, 0}, {50, 500, 1}, {7, 1, 0}} {
		s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 3, Scale: tc.scale, Plan: pipedrivetest.PlanUltimate})
		recs, pages := readAllV2(t, s, "/api/v2/deals?limit="+strconv.Itoa(tc.limit))
		if len(recs) != s.Count("deals") || len(recs) != len(s.Records("deals")) {
			t.Errorf("scale %d: read %d deals, Count %d, Records %d", tc.scale, len(recs), s.Count("deals"), len(s.Records("deals")))
		}
		if want := (len(recs) + tc.limit - 1) / tc.limit; pages != want && pages != want+1 {
			t.Errorf("scale %d limit %d: %d pages for %d records", tc.scale, tc.limit, pages, len(recs))
		}
		last := 0.0
		for _, r := range recs {
			if id := r["id"].(float64); id <= last {
				t.Fatalf("ids not increasing: %v after %v", id, last)
			} else {
				last = id
			}
			if r["is_deleted"] == true || r["is_archived"] == true {
				t.Errorf("deal %v: deleted/archived deal in default list", r["id"])
			}
		}
		s.Close()
	}
}

func TestV2BadParamsAre400(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 300, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	_, cur := page(t, s, "/api/v2/deals?limit=10")
	_, cur2 := page(t, s, "/api/v2/persons?limit=10")
	tampered := []byte(cur)
	tampered[2] ^= 1
	many := make([]string, 101)
	for i := range many {
		many[i] = strconv.Itoa(i + 1)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/api/v2/deals?limit=500", 200},
		{"/api/v2/deals?limit=501", 400},
		{"/api/v2/deals?limit=0", 400},
		{"/api/v2/deals?limit=x", 400},
		{"/api/v2/deals?updated_since=2025-01-01T00:00:00Z", 200},
		{"/api/v2/deals?updated_since=2025-01-01T00:00:00.000Z", 400},
		{"/api/v2/deals?updated_since=2025-01-01%2000:00:00", 400},
		{"/api/v2/deals?updated_until=2025-01-01T00:00:00%2B02:00", 400},
		{"/api/v2/deals?sort_by=title", 400},
		{"/api/v2/deals?sort_direction=up", 400},
		{"/api/v2/deals?status=open,won", 200},
		{"/api/v2/deals?status=gone", 400},
		{"/api/v2/pipelines?updated_since=2025-01-01T00:00:00Z", 400},
		{"/api/v2/stages?updated_since=2025-01-01T00:00:00Z", 400},
		{"/api/v2/products?updated_until=2025-01-01T00:00:00Z", 400},
		{"/api/v2/deals?limit=10&cursor=" + url.QueryEscape(cur), 200},
		{"/api/v2/deals?limit=10&cursor=" + url.QueryEscape(string(tampered)), 400},
		{"/api/v2/deals?limit=10&cursor=" + url.QueryEscape(cur2), 400},            // another endpoint's cursor
		{"/api/v2/deals?limit=10&status=open&cursor=" + url.QueryEscape(cur), 400}, // query changed
		{"/api/v2/deals/products?deal_ids=" + strings.Join(many[:100], ","), 200},
		{"/api/v2/deals/products?deal_ids=" + strings.Join(many, ","), 400},
		{"/api/v2/deals/products", 400},
		{"/v1/notes?limit=501", 400},
		{"/v1/files?limit=101", 400},
		{"/v1/files?limit=100", 200},
		{"/v1/callLogs?limit=50", 200},
		{"/v1/callLogs?limit=51", 400}, // "The upper limit is 50."
		{"/api/v2/projects?updated_since=2025-01-01T00:00:00Z", 400},
		{"/api/v2/tasks?updated_since=2025-01-01T00:00:00Z", 400},
		{"/api/v2/nope", 404},
	} {
		if r := get(t, s, tc.path); r.status != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.path, r.status, tc.want, r.body)
		}
	}
}

func TestUpdatedSinceIsInclusiveUntilExclusive(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 200, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	all, _ := readAllV2(t, s, "/api/v2/deals?limit=500&sort_by=update_time")
	pivot := all[len(all)/2]["update_time"].(string)
	since, _ := readAllV2(t, s, "/api/v2/deals?limit=500&sort_by=update_time&updated_since="+pivot)
	until, _ := readAllV2(t, s, "/api/v2/deals?limit=500&sort_by=update_time&updated_until="+pivot)
	if len(since)+len(until) != len(all) {
		t.Errorf("since %d + until %d != all %d", len(since), len(until), len(all))
	}
	if since[0]["update_time"].(string) != pivot {
		t.Errorf("updated_since not inclusive: first %v, pivot %s", since[0]["update_time"], pivot)
	}
	for _, r := range until {
		if r["update_time"].(string) >= pivot {
			t.Fatalf("updated_until not exclusive: %v >= %s", r["update_time"], pivot)
		}
	}
}

// A reader paging by (update_time, id) while records change between pages
// sees every record at least once and never goes backwards on a page.
func TestUpdateTimeOrderStableUnderMutation(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 120, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	before := map[float64]bool{}
	for _, r := range s.Records("deals") {
		var m map[string]any
		json.Unmarshal(r, &m)
		before[m["id"].(float64)] = true
	}
	path := "/api/v2/deals?limit=25&sort_by=update_time&sort_direction=asc&updated_since=2020-01-01T00:00:00Z"
	seen := map[float64]int{}
	cur := ""
	prevKey := ""
	for i := 0; ; i++ {
		d, next := page(t, s, withCursor(path, cur))
		for _, r := range d {
			id := r["id"].(float64)
			seen[id]++
			key := r["update_time"].(string) + "|" + strconv.FormatFloat(1e9+id, 'f', 0, 64)
			if key < prevKey {
				t.Fatalf("order went backwards: %s after %s", key, prevKey)
			}
			prevKey = key
		}
		if i == 1 {
			// change one record already read and one not yet read
			s.Advance(time.Minute)
			s.Update("deals", strconv.FormatFloat(d[0]["id"].(float64), 'f', 0, 64))
			s.Update("deals", "119")
			s.SetDealProducts("118", 2)
		}
		if next == "" {
			break
		}
		cur = next
	}
	for id := range before {
		if seen[id] == 0 {
			t.Errorf("deal %v never seen", id)
		}
	}
	if len(seen) != len(before) {
		t.Errorf("saw %d distinct deals, want %d", len(seen), len(before))
	}
}

func TestDeleteArchiveInsert(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 60, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	n := s.Count("deals")
	narch := s.Count("deals_archived")
	id := s.Insert("deals")
	if s.Count("deals") != n+1 {
		t.Fatalf("insert: count %d, want %d", s.Count("deals"), n+1)
	}
	s.Advance(time.Hour)
	if err := s.Delete("deals", id); err != nil {
		t.Fatal(err)
	}
	if s.Count("deals") != n {
		t.Errorf("deleted deal still listed by default")
	}
	since := s.Now().Format(time.RFC3339)
	d, _ := page(t, s, "/api/v2/deals?status=deleted&updated_since="+since)
	if len(d) != 1 || d[0]["is_deleted"] != true || strconv.FormatFloat(d[0]["id"].(float64), 'f', 0, 64) != id {
		t.Errorf("status=deleted: %v", d)
	}
	s.Advance(31 * 24 * time.Hour)
	if d, _ := page(t, s, "/api/v2/deals?status=deleted&updated_since="+since); len(d) != 0 {
		t.Errorf("deleted deal not purged after 30 days: %v", d)
	}
	if err := s.Archive("deals", "5"); err != nil {
		t.Fatal(err)
	}
	if s.Count("deals_archived") != narch+1 || s.Count("deals") != n-1 {
		t.Errorf("archive: archived %d (was %d), deals %d (was %d)", s.Count("deals_archived"), narch, s.Count("deals"), n)
	}
	if err := s.Delete("persons", "1"); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Records("persons") {
		if strings.HasPrefix(string(r), `{"id":1,`) {
			t.Errorf("deleted person still listed")
		}
	}
	if err := s.Update("deals", "99999"); !errors.Is(err, pipedrivetest.ErrNotFound) {
		t.Errorf("update of a missing deal: %v", err)
	}
	lead := s.Insert("leads")
	if len(lead) != 36 {
		t.Errorf("lead id %q is not a UUID", lead)
	}
	nl := s.Count("leads")
	if err := s.Archive("leads", lead); err != nil || s.Count("leads") != nl-1 {
		t.Errorf("archive lead: %v, count %d want %d", err, s.Count("leads"), nl-1)
	}
}

func TestDealProductsBumpTheDeal(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 40, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	s.Advance(time.Hour)
	now := s.Now().Format(time.RFC3339)
	if err := s.SetDealProducts("7", 3); err != nil {
		t.Fatal(err)
	}
	d, _ := page(t, s, "/api/v2/deals?updated_since="+now)
	if len(d) != 1 || d[0]["id"].(float64) != 7 {
		t.Fatalf("deal 7 not found as changed: %v", d)
	}
	p, _ := page(t, s, "/api/v2/deals/products?deal_ids=7")
	if len(p) != 3 {
		t.Fatalf("deal 7 has %d products, want 3", len(p))
	}
	for _, x := range p {
		if x["update_time"] != now || x["deal_id"].(float64) != 7 {
			t.Errorf("deal product %v", x)
		}
	}
	s.Advance(time.Hour)
	if err := s.Update("deal_products", strconv.FormatFloat(p[0]["id"].(float64), 'f', 0, 64)); err != nil {
		t.Fatal(err)
	}
	if d, _ := page(t, s, "/api/v2/deals?updated_since="+s.Now().Format(time.RFC3339)); len(d) != 1 {
		t.Errorf("Update(deal_products) did not bump the deal: %v", d)
	}
}

func TestAuth(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{})
	defer s.Close()
	for _, tc := range []struct {
		name string
		path string
		hdr  []string
		want int
	}{
		{"header", "/v1/users/me", []string{"x-api-token", s.Token()}, 200},
		{"query", "/v1/users/me?api_token=" + s.Token(), []string{"Accept", "*/*"}, 200},
		{"none", "/v1/users/me", []string{"Accept", "*/*"}, 401},
		{"wrong", "/api/v2/deals", []string{"x-api-token", "nope"}, 401},
		{"bad bearer", "/api/v2/deals", []string{"Authorization", "Bearer nope"}, 401},
		{"token on /api/v1 leads", "/api/v1/leads", []string{"x-api-token", s.Token()}, 404},
		{"token on /api/v1 notes", "/api/v1/notes", []string{"x-api-token", s.Token()}, 200},
		{"token on /v1 leads", "/v1/leads", []string{"x-api-token", s.Token()}, 200},
	} {
		r := get(t, s, tc.path, tc.hdr...)
		if r.status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.status, tc.want)
		}
		if tc.want == 401 && string(r.body) != `{"success":false,"error":"unauthorized access","errorCode":401}` {
			t.Errorf("%s: 401 body %s", tc.name, r.body)
		}
	}
	for _, rq := range s.Requests() {
		if strings.Contains(rq.Query, s.Token()) {
			t.Errorf("request log holds the token: %+v", rq)
		}
	}
	if rq := s.Requests()[1]; rq.Auth != "query" || rq.Status != 200 || rq.Cost != 2 {
		t.Errorf("log entry %+v", rq)
	}
	at := oauthToken(t, s)
	if r := get(t, s, "/api/v1/leads", "Authorization", "Bearer "+at); r.status != 200 {
		t.Errorf("OAuth on /api/v1/leads: %d", r.status)
	}
}

func TestBurstLimit429(t *testing.T) {
	// A fake clock makes the burst window deterministic.
	wall := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := pipedrivetest.NewServer(pipedrivetest.Options{BurstLimit: 3, Clock: wall})
	defer s.Close()
	for i := 0; i < 3; i++ {
		r := get(t, s, "/v1/users/me")
		if r.status != 200 || r.header.Get("x-ratelimit-limit") != "3" || r.header.Get("x-ratelimit-remaining") != strconv.Itoa(2-i) {
			t.Fatalf("request %d: %d limit=%s remaining=%s", i, r.status, r.header.Get("x-ratelimit-limit"), r.header.Get("x-ratelimit-remaining"))
		}
		wall.Advance(300 * time.Millisecond)
	}
	// the oldest request (t=0) leaves the window at t=2s; now is t=0.9s
	r := get(t, s, "/v1/users/me")
	if r.status != 429 || r.header.Get("x-ratelimit-remaining") != "0" || r.header.Get("Retry-After") != "" {
		t.Fatalf("4th request: %d %v", r.status, r.header)
	}
	if r.header.Get("x-ratelimit-reset") != "2" { // 1.1 s, rounded up
		t.Errorf("x-ratelimit-reset %q, want 2", r.header.Get("x-ratelimit-reset"))
	}
	if !strings.Contains(string(r.body), "2 second window") {
		t.Errorf("burst 429 body %s", r.body)
	}
	if _, left := s.Budget(); left != 30000-6 {
		t.Errorf("429 was charged: %d left", left)
	}
	wall.Advance(1200 * time.Millisecond) // t=2.1s: the first request has left the window
	if r := get(t, s, "/v1/users/me"); r.status != 200 || r.header.Get("x-ratelimit-remaining") != "0" {
		t.Errorf("after the window rolled: %d remaining %s", r.status, r.header.Get("x-ratelimit-remaining"))
	}
	if got := get(t, s, "/v1/users/me").status; got != 429 {
		t.Errorf("window full again: %d", got)
	}
	// keep hammering: API-token traffic ends up with Cloudflare's HTML 403
	var last resp
	for i := 0; i < 10; i++ {
		last = get(t, s, "/v1/users/me")
	}
	if last.status != 403 || !strings.Contains(string(last.body), "<html>") {
		t.Errorf("sustained 429s: %d %s", last.status, last.body)
	}
}

func TestBurstSizeByPlanAndAuth(t *testing.T) {
	for _, tc := range []struct {
		plan         pipedrivetest.Plan
		token, oauth string
	}{{pipedrivetest.PlanLite, "20", "80"}, {pipedrivetest.PlanGrowth, "40", "160"}, {pipedrivetest.PlanPremium, "100", "400"}, {pipedrivetest.PlanUltimate, "120", "480"}} {
		s := pipedrivetest.NewServer(pipedrivetest.Options{Plan: tc.plan})
		if got := get(t, s, "/v1/users/me").header.Get("x-ratelimit-limit"); got != tc.token {
			t.Errorf("%s token burst %s, want %s", tc.plan, got, tc.token)
		}
		at := oauthToken(t, s)
		if got := get(t, s, "/api/v1/users/me", "Authorization", "Bearer "+at).header.Get("x-ratelimit-limit"); got != tc.oauth {
			t.Errorf("%s oauth burst %s, want %s", tc.plan, got, tc.oauth)
		}
		s.Close()
	}
}

// oauthToken runs the code flow without following redirects and returns an
// access token.
func oauthToken(t *testing.T, s *pipedrivetest.Server) string {
	t.Helper()
	id, secret := s.OAuthClient()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := noRedirect.Get(s.URL() + "/oauth/authorize?" + url.Values{"client_id": {id}, "redirect_uri": {"http://127.0.0.1:1/cb"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	loc, _ := url.Parse(r.Header.Get("Location"))
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:1/cb"}}
	req, _ := http.NewRequest("POST", s.URL()+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	tr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(tr.Body).Decode(&tok)
	if tok.AccessToken == "" {
		t.Fatalf("no access token (status %d)", tr.StatusCode)
	}
	return tok.AccessToken
}

func TestDailyBudget(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{DailyBudget: 25, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	for i, want := range []int{200, 200, 429} {
		r := get(t, s, "/api/v2/deals")
		if r.status != want {
			t.Fatalf("request %d: %d, want %d", i, r.status, want)
		}
		if r.header.Get("x-daily-ratelimit-token-limit") != "25" {
			t.Errorf("daily limit header %q", r.header.Get("x-daily-ratelimit-token-limit"))
		}
		if want == 429 && (r.header.Get("x-daily-ratelimit-token-remaining") != "0" || !strings.Contains(string(r.body), "Daily token budget")) {
			t.Errorf("budget 429: remaining %q body %s", r.header.Get("x-daily-ratelimit-token-remaining"), r.body)
		}
	}
	if r := get(t, s, "/v1/users/me"); r.status != 429 { // costs 2 but the budget is spent
		t.Errorf("after exhaustion: %d", r.status)
	}
	s.Advance(11 * time.Hour) // 23:00, same day
	if r := get(t, s, "/api/v2/deals"); r.status != 429 {
		t.Errorf("before midnight: %d", r.status)
	}
	s.Advance(time.Hour) // past midnight
	if r := get(t, s, "/api/v2/deals"); r.status != 200 || r.header.Get("x-daily-ratelimit-token-remaining") != "15" {
		t.Errorf("after midnight: %d remaining %s", r.status, r.header.Get("x-daily-ratelimit-token-remaining"))
	}
	lite := pipedrivetest.NewServer(pipedrivetest.Options{Plan: pipedrivetest.PlanGrowth, Seats: 3})
	defer lite.Close()
	if l, _ := lite.Budget(); l != 30000*2*3 {
		t.Errorf("growth x 3 seats budget %d", l)
	}
}

func TestFaults(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	s.Fault(pipedrivetest.Fault{Path: "/api/v2/deals", Status: 503, Times: 2})
	for i, want := range []int{503, 503, 200} {
		if r := get(t, s, "/api/v2/deals"); r.status != want {
			t.Errorf("request %d: %d want %d", i, r.status, want)
		}
	}
	s.Fault(pipedrivetest.Fault{Path: "/api/v2/persons", Kind: pipedrivetest.FaultTruncate, Times: 1})
	r := get(t, s, "/api/v2/persons")
	if json.Valid(r.body) || r.status != 200 {
		t.Errorf("truncate: %d valid=%v", r.status, json.Valid(r.body))
	}
	s.Fault(pipedrivetest.Fault{Path: "/v1/notes", Kind: pipedrivetest.FaultReset, Times: 1})
	req, _ := http.NewRequest("GET", s.URL()+"/v1/notes", nil)
	req.Header.Set("x-api-token", s.Token())
	if hr, err := http.DefaultClient.Do(req); err == nil {
		_, err = io.ReadAll(hr.Body)
		hr.Body.Close()
		if err == nil {
			t.Errorf("reset: body read without error")
		}
	}
	s.Fault(pipedrivetest.Fault{Path: "/v1/users", Kind: pipedrivetest.FaultExpireToken, Times: 1})
	if r := get(t, s, "/v1/users"); r.status != 401 {
		t.Errorf("expire token: %d", r.status)
	}
	s.Fault(pipedrivetest.Fault{Kind: pipedrivetest.FaultHTML403, Path: "/v1/filters", Times: 1})
	if r := get(t, s, "/v1/filters"); r.status != 403 || !strings.Contains(string(r.body), "Cloudflare") {
		t.Errorf("html 403: %d", r.status)
	}
	for _, st := range []int{402, 403, 404, 410, 500, 502, 504} {
		s.Fault(pipedrivetest.Fault{Path: "/v1/currencies", Status: st, Times: 1})
		if r := get(t, s, "/v1/currencies"); r.status != st || r.json(t)["success"] != false {
			t.Errorf("status fault %d: got %d", st, r.status)
		}
	}
	s.Fault(pipedrivetest.Fault{Path: "/api/v1/roles", Times: 1}) // OAuth-style path, default status
	if r := get(t, s, "/v1/roles"); r.status != 500 {
		t.Errorf("fault on /api/v1/roles did not hit /v1/roles: %d", r.status)
	}
	const delay = 40 * time.Millisecond
	s.Fault(pipedrivetest.Fault{Path: "/v1/activityTypes", Kind: pipedrivetest.FaultSlow, Delay: delay, Times: 1})
	began := time.Now()
	if r := get(t, s, "/v1/activityTypes"); r.status != 200 || !json.Valid(r.body) {
		t.Errorf("slow fault: %d", r.status)
	}
	if took := time.Since(began); took < delay { // a lower bound: never flaky
		t.Errorf("slow fault answered in %v, want at least %v", took, delay)
	}
	s.ClearFaults()
	// random faults are reproducible from their seed
	pattern := func() string {
		s.ClearFaults()
		s.Fault(pipedrivetest.Fault{Status: 500, Rate: 0.5, Seed: 9})
		var b strings.Builder
		for i := 0; i < 20; i++ {
			b.WriteString(strconv.Itoa(get(t, s, "/v1/currencies").status))
		}
		return b.String()
	}
	if p1, p2 := pattern(), pattern(); p1 != p2 || !strings.Contains(p1, "500") || !strings.Contains(p1, "200") {
		t.Errorf("random faults: %s vs %s", p1, p2)
	}
	s.ClearFaults()
	s.SetStatus(402)
	if r := get(t, s, "/api/v2/deals"); r.status != 402 {
		t.Errorf("SetStatus(402): %d", r.status)
	}
}

func TestDeterministicAndFieldsConsistent(t *testing.T) {
	a := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 5, Scale: 30, CustomFields: 20})
	b := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 5, Scale: 30, CustomFields: 20})
	c := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 6, Scale: 30, CustomFields: 20})
	defer a.Close()
	defer b.Close()
	defer c.Close()
	ra, rb, rc := a.Records("deals"), b.Records("deals"), c.Records("deals")
	if len(ra) == 0 || string(ra[3]) != string(rb[3]) || string(ra[3]) == string(rc[3]) {
		t.Errorf("determinism: same seed differs or other seed equal")
	}
	fields, _ := readAllV2(t, a, "/api/v2/dealFields")
	codes := map[string]bool{}
	for _, f := range fields {
		if f["is_custom_field"] == true {
			codes[f["field_code"].(string)] = true
		}
	}
	if len(codes) != 20 {
		t.Errorf("%d custom deal fields, want 20", len(codes))
	}
	var deal struct {
		CF map[string]any `json:"custom_fields"`
	}
	json.Unmarshal(ra[0], &deal)
	for k := range deal.CF {
		if !codes[k] {
			t.Errorf("deal custom field %s not in dealFields", k)
		}
	}
	if len(deal.CF) != 20 {
		t.Errorf("deal has %d custom fields", len(deal.CF))
	}
	// v1 leads carry the deal custom fields at top level
	lead := a.Records("leads")[0]
	for k := range codes {
		if !strings.Contains(string(lead), `"`+k+`"`) {
			t.Errorf("lead lacks custom field %s", k)
		}
	}
	if !strings.Contains(string(lead), `.000Z"`) {
		t.Errorf("lead timestamps are not RFC 3339 with millis: %s", lead)
	}
}

func TestV1Pagination(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 250, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	start, n := 0, 0
	for {
		r := get(t, s, "/v1/notes?limit=100&start="+strconv.Itoa(start))
		var env struct {
			Data []json.RawMessage `json:"data"`
			AD   struct {
				P struct {
					More      bool `json:"more_items_in_collection"`
					NextStart int  `json:"next_start"`
				} `json:"pagination"`
			} `json:"additional_data"`
		}
		json.Unmarshal(r.body, &env)
		n += len(env.Data)
		if !env.AD.P.More {
			break
		}
		start = env.AD.P.NextStart
	}
	if n != 250 || s.Count("notes") != 250 {
		t.Errorf("read %d notes, count %d", n, s.Count("notes"))
	}
	if r := get(t, s, "/v1/notes?start=100000"); r.json(t)["data"] != nil {
		t.Errorf("empty notes page: data %v, want null", r.json(t)["data"])
	}
}

func TestOAuthFlow(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{AccessTokenTTL: time.Hour})
	defer s.Close()
	id, secret := s.OAuthClient()
	codes := make(chan url.Values, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { codes <- r.URL.Query() }))
	defer cb.Close()
	redirect := cb.URL + "/callback"
	r, err := http.Get(s.URL() + "/oauth/authorize?" + url.Values{"client_id": {id}, "redirect_uri": {redirect}, "state": {"xyz"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	q := <-codes
	if q.Get("state") != "xyz" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	token := func(form url.Values, user, pass string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", s.URL()+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		return r.StatusCode, m
	}
	if st, _ := token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {redirect}}, id, "wrong"); st != 401 {
		t.Errorf("bad client secret: %d", st)
	}
	st, tok := token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {redirect}}, id, secret)
	if st != 200 || tok["token_type"] != "Bearer" || tok["api_domain"] != s.URL() || tok["expires_in"].(float64) != 3600 {
		t.Fatalf("code exchange: %d %v", st, tok)
	}
	if st, _ := token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {redirect}}, id, secret); st != 400 {
		t.Errorf("code reuse: %d", st)
	}
	bearer := func(at any) int { return get(t, s, "/api/v1/users/me", "Authorization", "Bearer "+at.(string)).status }
	if bearer(tok["access_token"]) != 200 {
		t.Fatalf("access token rejected")
	}
	s.Advance(time.Hour)
	if bearer(tok["access_token"]) != 401 {
		t.Errorf("expired access token accepted")
	}
	st, tok2 := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, id, secret)
	if st != 200 || tok2["refresh_token"] == tok["refresh_token"] || bearer(tok2["access_token"]) != 200 {
		t.Fatalf("refresh: %d %v", st, tok2)
	}
	st, e := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, id, secret)
	if st != 400 || e["error"] != "invalid_grant" || e["success"] != false {
		t.Errorf("rotated-out refresh token: %d %v", st, e)
	}
	s.Advance(61 * 24 * time.Hour)
	if st, _ := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2["refresh_token"].(string)}}, id, secret); st != 400 {
		t.Errorf("refresh token unused for 61 days accepted: %d", st)
	}
	r2, _ := http.Get(s.URL() + "/oauth/authorize?" + url.Values{"client_id": {id}, "redirect_uri": {redirect}}.Encode())
	r2.Body.Close()
	q = <-codes
	_, tok3 := token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {redirect}}, id, secret)
	refreshes := 0
	for _, rq := range s.Requests() {
		if rq.Path == "/oauth/token" && rq.Auth == "client" {
			refreshes++
		}
		if strings.Contains(rq.Query, "code=") {
			t.Errorf("authorization code in the log: %+v", rq)
		}
	}
	if refreshes != 7 {
		t.Errorf("%d /oauth/token calls logged, want 7", refreshes)
	}
	s.RevokeRefreshTokens()
	if st, _ := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok3["refresh_token"].(string)}}, id, secret); st != 400 {
		t.Errorf("revoked refresh token accepted: %d", st)
	}
	if r, _ := http.Get(s.URL() + "/oauth/authorize?client_id=unknown&redirect_uri=" + url.QueryEscape(redirect)); r.StatusCode != 400 {
		t.Errorf("unknown client: %d", r.StatusCode)
	}
}

// Deep v1 pages (fast offset path) stay exact when records are deleted and
// inserted between reads.
func TestV1OffsetsWithDeletes(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 60, BurstLimit: 1 << 20})
	defer s.Close()
	for _, id := range []string{"1", "2", "9", "30", "31", "60"} {
		if err := s.Delete("notes", id); err != nil {
			t.Fatal(err)
		}
	}
	s.Insert("notes")
	want := map[float64]bool{}
	for i := 1; i <= 61; i++ {
		want[float64(i)] = true
	}
	for _, id := range []float64{1, 2, 9, 30, 31, 60} {
		delete(want, id)
	}
	got := map[float64]bool{}
	for start := 0; ; start += 7 {
		r := get(t, s, "/v1/notes?limit=7&start="+strconv.Itoa(start))
		var env struct {
			Data []struct {
				ID float64 `json:"id"`
			} `json:"data"`
		}
		json.Unmarshal(r.body, &env)
		if len(env.Data) == 0 {
			break
		}
		for _, d := range env.Data {
			if got[d.ID] {
				t.Errorf("note %v listed twice", d.ID)
			}
			got[d.ID] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("read %d notes, want %d", len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Errorf("note %v missing", id)
		}
	}
}

func TestInstallmentsLastPageHasNoAdditionalData(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 100})
	defer s.Close()
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = "deal_ids=" + strconv.Itoa(i+1)
	}
	r := get(t, s, "/api/v2/deals/installments?"+strings.Join(ids, "&"))
	m := r.json(t)
	if _, ok := m["additional_data"]; ok || len(m["data"].([]any)) == 0 {
		t.Errorf("installments: %s", r.body)
	}
}

// Every sort order pages through the same set, correctly ordered, with
// mutations in the overlay mixed into the base range.
func TestV2SortOrders(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 150, BurstLimit: 1 << 20})
	defer s.Close()
	s.Advance(time.Hour)
	s.Update("persons", "3")
	s.Update("persons", "40")
	s.Insert("persons")
	s.Advance(time.Minute)
	s.Update("persons", "7")
	s.Delete("persons", "8")
	want := s.Count("persons")
	for _, tc := range []struct {
		by, dir string
	}{{"id", "asc"}, {"id", "desc"}, {"update_time", "asc"}, {"update_time", "desc"}, {"add_time", "asc"}, {"add_time", "desc"}} {
		recs, _ := readAllV2(t, s, "/api/v2/persons?limit=13&sort_by="+tc.by+"&sort_direction="+tc.dir)
		if len(recs) != want {
			t.Errorf("%s %s: %d records, want %d", tc.by, tc.dir, len(recs), want)
		}
		for i := 1; i < len(recs); i++ {
			a, b := recs[i-1], recs[i]
			var ka, kb string
			switch tc.by {
			case "update_time":
				ka = a["update_time"].(string) + strconv.FormatFloat(1e9+a["id"].(float64), 'f', 0, 64)
				kb = b["update_time"].(string) + strconv.FormatFloat(1e9+b["id"].(float64), 'f', 0, 64)
			case "add_time":
				ka = a["add_time"].(string) + strconv.FormatFloat(1e9+a["id"].(float64), 'f', 0, 64)
				kb = b["add_time"].(string) + strconv.FormatFloat(1e9+b["id"].(float64), 'f', 0, 64)
			default:
				ka = strconv.FormatFloat(1e9+a["id"].(float64), 'f', 0, 64)
				kb = strconv.FormatFloat(1e9+b["id"].(float64), 'f', 0, 64)
			}
			if (tc.dir == "asc") != (ka < kb) {
				t.Fatalf("%s %s: %s then %s", tc.by, tc.dir, ka, kb)
			}
		}
		if tc.by == "update_time" {
			last := recs[len(recs)-1]["id"].(float64)
			if tc.dir == "asc" && last != 7 || tc.dir == "desc" && recs[0]["id"].(float64) != 7 {
				t.Errorf("%s %s: the latest update (person 7) is not at the end", tc.by, tc.dir)
			}
		}
	}
}

// A million deals cost no memory up front and any page is served at once:
// deep cursors and updated_since seek instead of scanning.
func TestMillionDealsLazily(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 1_000_000, BurstLimit: 1 << 20})
	defer s.Close()
	since := s.Now().Add(-24 * time.Hour).Format(time.RFC3339) // the newest base deals are ~21 h old
	d, next := page(t, s, "/api/v2/deals?limit=500&sort_by=update_time&updated_since="+since)
	if len(d) == 0 || next != "" {
		t.Errorf("recent deals: %d, next %q", len(d), next)
	}
	for _, r := range d {
		if r["update_time"].(string) < since {
			t.Fatalf("deal %v updated %v before %s", r["id"], r["update_time"], since)
		}
	}
	last, _ := page(t, s, "/api/v2/deals?limit=5&sort_by=id&sort_direction=desc")
	if len(last) != 5 || last[0]["id"].(float64) < 999_990 {
		t.Errorf("last deals: %v", last)
	}
	notes := get(t, s, "/v1/notes?start=999000&limit=500")
	if !strings.Contains(string(notes.body), `"id":999001,`) {
		t.Errorf("deep v1 offset: %.200s", notes.body)
	}
}

// Filters select exactly the records whose fields match, and partition the list.
func TestV2Filters(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 300, BurstLimit: 1 << 20})
	defer s.Close()
	total := s.Count("deals")
	sum := 0
	for _, st := range []string{"open", "won", "lost"} {
		recs, _ := readAllV2(t, s, "/api/v2/deals?limit=500&status="+st)
		for _, r := range recs {
			if r["status"] != st {
				t.Fatalf("status=%s returned %v", st, r["status"])
			}
		}
		sum += len(recs)
	}
	if sum != total || sum == 0 {
		t.Errorf("open+won+lost = %d, all = %d", sum, total)
	}
	for _, f := range []struct{ param, field string }{{"owner_id", "owner_id"}, {"stage_id", "stage_id"}, {"pipeline_id", "pipeline_id"}, {"person_id", "person_id"}, {"org_id", "org_id"}} {
		all, _ := readAllV2(t, s, "/api/v2/deals?limit=500")
		want := all[0][f.field].(float64)
		n := 0
		for _, r := range all {
			if r[f.field] == want {
				n++
			}
		}
		got, _ := readAllV2(t, s, "/api/v2/deals?limit=500&"+f.param+"="+strconv.FormatFloat(want, 'f', 0, 64))
		if len(got) != n {
			t.Errorf("%s=%v: %d deals, want %d", f.param, want, len(got), n)
		}
	}
	ids, _ := readAllV2(t, s, "/api/v2/persons?ids=3,5,7,100000")
	if len(ids) != 3 {
		t.Errorf("ids=3,5,7,100000: %d persons", len(ids))
	}
	acts, _ := readAllV2(t, s, "/api/v2/activities?limit=500&deal_id=5")
	for _, a := range acts {
		if a["deal_id"].(float64) != 5 {
			t.Errorf("activity %v has deal %v", a["id"], a["deal_id"])
		}
	}
}

func TestDealsProductsCount(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 30, BurstLimit: 1 << 20})
	defer s.Close()
	s.SetDealProducts("4", 5)
	deals, _ := readAllV2(t, s, "/api/v2/deals?limit=500&include_fields=products_count")
	for _, d := range deals {
		id := strconv.FormatFloat(d["id"].(float64), 'f', 0, 64)
		p, _ := readAllV2(t, s, "/api/v2/deals/products?deal_ids="+id)
		if d["products_count"].(float64) != float64(len(p)) {
			t.Errorf("deal %s: products_count %v, %d products listed", id, d["products_count"], len(p))
		}
		if id == "4" && len(p) != 5 {
			t.Errorf("deal 4 has %d products, want 5", len(p))
		}
	}
	plain, _ := page(t, s, "/api/v2/deals?limit=1")
	if _, ok := plain[0]["products_count"]; ok {
		t.Errorf("products_count without include_fields")
	}
}

func TestV1NotesFilters(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 200, BurstLimit: 1 << 20})
	defer s.Close()
	for _, f := range []string{"deal_id", "person_id", "org_id", "user_id"} {
		var all []map[string]any
		for _, r := range s.Records("notes") {
			var m map[string]any
			json.Unmarshal(r, &m)
			all = append(all, m)
		}
		want := all[0][f].(float64)
		n := 0
		for _, m := range all {
			if m[f] == want {
				n++
			}
		}
		r := get(t, s, "/v1/notes?limit=500&"+f+"="+strconv.FormatFloat(want, 'f', 0, 64))
		got := r.json(t)["data"].([]any)
		if len(got) != n {
			t.Errorf("%s=%v: %d notes, want %d", f, want, len(got), n)
		}
	}
	if r := get(t, s, "/v1/notes?deal_id=x"); r.status != 400 {
		t.Errorf("deal_id=x: %d", r.status)
	}
}

// Names v1 records embed (a note's deal, person and organization, a file's
// deal_name) are the referenced records' own names, also after an update.
func TestEmbeddedNamesMatchReferencedRecords(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 8, Scale: 60})
	defer s.Close()
	names := func(entities ...string) map[float64]string {
		m := map[float64]string{}
		for _, e := range entities {
			for _, raw := range s.Records(e) {
				var r struct {
					ID    float64 `json:"id"`
					Title string  `json:"title"`
					Name  string  `json:"name"`
				}
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatal(err)
				}
				m[r.ID] = r.Title + r.Name
			}
		}
		return m
	}
	var note struct {
		DealID   float64 `json:"deal_id"`
		PersonID float64 `json:"person_id"`
		OrgID    float64 `json:"org_id"`
		Deal     struct {
			Title string `json:"title"`
		} `json:"deal"`
		Person struct {
			Name string `json:"name"`
		} `json:"person"`
		Org struct {
			Name string `json:"name"`
		} `json:"organization"`
	}
	json.Unmarshal(s.Records("notes")[0], &note)
	if err := s.Update("deals", strconv.FormatFloat(note.DealID, 'f', 0, 64)); err != nil {
		t.Fatal(err)
	}
	deals, persons, orgs := names("deals", "deals_archived"), names("persons"), names("organizations")
	checked := 0
	for _, raw := range s.Records("notes") {
		if err := json.Unmarshal(raw, &note); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what string
			id   float64
			got  string
			m    map[float64]string
		}{{"deal", note.DealID, note.Deal.Title, deals}, {"person", note.PersonID, note.Person.Name, persons}, {"organization", note.OrgID, note.Org.Name, orgs}} {
			if want, ok := c.m[c.id]; ok {
				checked++
				if c.got != want {
					t.Errorf("note embeds %s %v as %q; its record says %q", c.what, c.id, c.got, want)
				}
			}
		}
	}
	for _, raw := range s.Records("files") {
		var f struct {
			DealID   float64 `json:"deal_id"`
			DealName string  `json:"deal_name"`
		}
		json.Unmarshal(raw, &f)
		if want, ok := deals[f.DealID]; ok {
			checked++
			if f.DealName != want {
				t.Errorf("file embeds deal %v as %q; its record says %q", f.DealID, f.DealName, want)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d references checked", checked)
	}
}

// Every reference points at a record its own endpoint lists: deals at
// persons, organizations, stages of their pipeline and users; activities,
// notes, files and call logs at listed deals (never a deleted, purged one).
func TestReferencesPointAtListedRecords(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 11, Scale: 150, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	ids := func(entities ...string) map[float64]map[string]any {
		m := map[float64]map[string]any{}
		for _, e := range entities {
			for _, raw := range s.Records(e) {
				var r map[string]any
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatal(err)
				}
				if id, ok := r["id"].(float64); ok {
					m[id] = r
				}
			}
		}
		return m
	}
	users := map[float64]map[string]any{}
	var ul struct{ Data []map[string]any }
	json.Unmarshal(get(t, s, "/v1/users").body, &ul)
	for _, u := range ul.Data {
		users[u["id"].(float64)] = u
	}
	deals, persons, orgs, stages := ids("deals", "deals_archived"), ids("persons"), ids("organizations"), ids("stages")
	products := ids("products")
	for _, tc := range []struct {
		entity, field string
		target        map[float64]map[string]any
	}{
		{"deals", "person_id", persons}, {"deals", "org_id", orgs}, {"deals", "stage_id", stages}, {"deals", "owner_id", users},
		{"deals_archived", "person_id", persons}, {"persons", "org_id", orgs},
		{"activities", "deal_id", deals}, {"activities", "person_id", persons}, {"activities", "org_id", orgs}, {"activities", "owner_id", users},
		{"notes", "deal_id", deals}, {"notes", "person_id", persons}, {"notes", "user_id", users},
		{"files", "deal_id", deals}, {"callLogs", "deal_id", deals}, {"deal_products", "product_id", products},
	} {
		n := 0
		for _, raw := range s.Records(tc.entity) {
			var r map[string]any
			json.Unmarshal(raw, &r)
			ref, ok := r[tc.field].(float64)
			if !ok {
				continue // null
			}
			n++
			target, found := tc.target[ref]
			if !found {
				t.Errorf("%s %v: %s %v is not listed", tc.entity, r["id"], tc.field, ref)
				continue
			}
			if tc.field == "stage_id" && target["pipeline_id"] != r["pipeline_id"] {
				t.Errorf("deal %v: stage %v is in pipeline %v, deal says %v", r["id"], ref, target["pipeline_id"], r["pipeline_id"])
			}
		}
		if n == 0 {
			t.Errorf("%s: no %s references to check", tc.entity, tc.field)
		}
	}
}

// Lists whose spec declares no next_start (callLogs, roles) page on
// start+limit; Count and Records follow them the same way.
func TestV1PagesWithoutNextStart(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 700, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	for _, tc := range []struct {
		path  string
		limit int
		want  int
	}{{"/v1/callLogs", 50, 70}, {"/v1/roles", 1, 3}} {
		n, pages := 0, 0
		for start := 0; ; pages++ {
			r := get(t, s, tc.path+"?limit="+strconv.Itoa(tc.limit)+"&start="+strconv.Itoa(start))
			var env struct {
				Data []json.RawMessage `json:"data"`
				AD   struct {
					P map[string]any `json:"pagination"`
				} `json:"additional_data"`
			}
			if err := json.Unmarshal(r.body, &env); err != nil {
				t.Fatal(err)
			}
			if _, has := env.AD.P["next_start"]; has {
				t.Errorf("%s: next_start, which the spec does not declare", tc.path)
			}
			n += len(env.Data)
			if env.AD.P["more_items_in_collection"] != true || pages > tc.want {
				break
			}
			start += tc.limit
		}
		if n != tc.want {
			t.Errorf("%s: read %d, want %d", tc.path, n, tc.want)
		}
	}
	if got := s.Count("call_logs"); got != 70 {
		t.Errorf("Count(call_logs) = %d, want 70", got)
	}
}

// v1 notes and leads take updated_since (RFC 3339, inclusive) with
// sort=update_time ASC, so incremental reads of them need no scan.
func TestV1UpdatedSinceAndSort(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 200, BurstLimit: 1 << 20})
	defer s.Close()
	parse := func(v string) time.Time {
		for _, l := range []string{time.RFC3339, "2006-01-02 15:04:05"} {
			if tm, err := time.Parse(l, v); err == nil {
				return tm
			}
		}
		t.Fatalf("timestamp %q", v)
		return time.Time{}
	}
	for _, entity := range []string{"notes", "leads"} {
		var uts []time.Time
		for _, raw := range s.Records(entity) {
			var r struct {
				UT string `json:"update_time"`
			}
			json.Unmarshal(raw, &r)
			uts = append(uts, parse(r.UT))
		}
		pivot := uts[len(uts)/2]
		want := 0
		for _, u := range uts {
			if !u.Before(pivot) {
				want++
			}
		}
		r := get(t, s, "/v1/"+entity+"?limit=500&sort="+url.QueryEscape("update_time ASC")+"&updated_since="+pivot.Format(time.RFC3339))
		var env struct {
			Data []struct {
				UT string `json:"update_time"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %s", entity, r.status, r.body)
		}
		if len(env.Data) != want {
			t.Errorf("%s updated_since %s: %d records, want %d (inclusive)", entity, pivot, len(env.Data), want)
		}
		last := time.Time{}
		for _, d := range env.Data {
			u := parse(d.UT)
			if u.Before(pivot) || u.Before(last) {
				t.Fatalf("%s: update_time %s out of order or before %s", entity, d.UT, pivot)
			}
			last = u
		}
		if r := get(t, s, "/v1/"+entity+"?updated_since=yesterday"); r.status != 400 {
			t.Errorf("%s updated_since=yesterday: %d, want 400", entity, r.status)
		}
	}
}

// TestReverseSortFault: FaultReverseSort serves /leads sorted by update_time
// the other way than asked (once, for Times 1), the same records otherwise.
func TestReverseSortFault(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 200, BurstLimit: 1 << 20})
	defer s.Close()
	times := func() []string {
		r := get(t, s, "/v1/leads?limit=500&sort=update_time")
		var env struct {
			Data []struct {
				UT string `json:"update_time"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil || r.status != 200 {
			t.Fatalf("leads: %d %s", r.status, r.body)
		}
		var out []string
		for _, d := range env.Data {
			out = append(out, d.UT)
		}
		return out
	}
	asc := times()
	if !sort.StringsAreSorted(asc) || len(asc) < 2 {
		t.Fatalf("precondition: %d leads ascending %v", len(asc), sort.StringsAreSorted(asc))
	}
	s.Fault(pipedrivetest.Fault{Path: "/v1/leads", Kind: pipedrivetest.FaultReverseSort, Times: 1})
	desc := times()
	slices.Reverse(desc)
	if !slices.Equal(desc, asc) {
		t.Errorf("with the fault: not the ascending list reversed")
	}
	if again := times(); !slices.Equal(again, asc) {
		t.Errorf("after the fault's one hit: not ascending")
	}
}

// TestArchiveKeepsUpdateTime: with Options.ArchiveKeepsUpdateTime an
// archived record keeps its update_time (archive_time, on projects, says
// when); by default archiving bumps it. Projects: deleted ones are listed
// under status=...,deleted only, archived ones on /projects/archived, and
// their custom_fields keys are the custom fields /projectFields declares.
func TestArchiveKeepsUpdateTime(t *testing.T) {
	for _, keep := range []bool{false, true} {
		s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 200, BurstLimit: 1 << 20, ArchiveKeepsUpdateTime: keep})
		before, _ := page(t, s, "/api/v2/projects?ids=2")
		s.Advance(time.Hour)
		if err := s.Archive("projects", "2"); err != nil {
			t.Fatal(err)
		}
		after, _ := page(t, s, "/api/v2/projects/archived?ids=2")
		if len(before) != 1 || len(after) != 1 {
			t.Fatalf("keep %v: project 2 listed %d before, %d archived after", keep, len(before), len(after))
		}
		if kept := after[0]["update_time"] == before[0]["update_time"]; kept != keep {
			t.Errorf("keep %v: update_time %v -> %v", keep, before[0]["update_time"], after[0]["update_time"])
		}
		if at := after[0]["archive_time"]; at != s.Now().Format(time.RFC3339) {
			t.Errorf("keep %v: archive_time %v, want now", keep, at)
		}
		if err := s.Delete("projects", "6"); err != nil {
			t.Fatal(err)
		}
		if d, _ := page(t, s, "/api/v2/projects?ids=6"); len(d) != 0 {
			t.Errorf("deleted project listed without status: %v", d)
		}
		if d, _ := page(t, s, "/api/v2/projects?ids=6&status=open,completed,canceled,deleted"); len(d) != 1 || d[0]["status"] != "deleted" {
			t.Errorf("deleted project with status deleted: %v", d)
		}
		fields, _ := page(t, s, "/api/v2/projectFields?limit=500")
		custom := map[string]bool{}
		for _, f := range fields {
			if f["is_custom_field"] == true {
				custom[f["field_code"].(string)] = true
			}
		}
		cf, _ := after[0]["custom_fields"].(map[string]any)
		for k := range cf {
			if !custom[k] {
				t.Errorf("project custom field %s not declared by /projectFields", k)
			}
		}
		if len(cf) == 0 || len(custom) < 10 {
			t.Errorf("project custom fields: %d on the record, %d declared", len(cf), len(custom))
		}
		s.Close()
	}
}
