package spectest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/pipedrivetest/spectest"
)

// notServed are the specs' non-deprecated GET operations the simulator
// does not serve under the API prefixes, each with the reason.
var notServed = map[string]string{
	"v1 /oauth/authorize": "served at the server root as /oauth/authorize (the operation's own server is oauth.pipedrive.com); see TestOAuthAuthorizeServed",
}

// TestSpecCoverage: the simulator serves every non-deprecated GET operation
// of both specs, except the few in notServed; TestContract validates each.
func TestSpecCoverage(t *testing.T) {
	spec := spectest.Load(t)
	served := pipedrivetest.Routes()
	total, deprecated, have := 0, 0, 0
	inSpec := map[string]bool{}
	for _, op := range spec.GetOperations() {
		inSpec[op.Key] = true
		if op.Deprecated {
			deprecated++
			if _, ok := served[op.Key]; ok {
				t.Errorf("%s is deprecated yet served", op.Key)
			}
			continue
		}
		total++
		_, ok := served[op.Key]
		reason, skipped := notServed[op.Key]
		switch {
		case ok && skipped:
			t.Errorf("%s is served yet listed in notServed (%s)", op.Key, reason)
		case ok:
			have++
		case !skipped:
			t.Errorf("%s (x-token-cost %d) is not served", op.Key, op.Cost)
		}
	}
	for op := range notServed {
		if !inSpec[op] {
			t.Errorf("notServed lists %s, which is not a GET operation of the specs", op)
		}
	}
	t.Logf("GET operations: %d non-deprecated (+%d deprecated), %d served, %d not served by choice", total, deprecated, have, len(notServed))
}

// TestOAuthAuthorizeServed: the one operation not under the API prefixes,
// v1's GET /oauth/authorize, answers at the server root with the spec's
// parameters (client_id, redirect_uri, state): a redirect carrying a code
// and the state.
func TestOAuthAuthorizeServed(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{})
	defer s.Close()
	id, _ := s.OAuthClient()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(s.URL() + "/oauth/authorize?client_id=" + id + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=xyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "xyz" {
		t.Fatalf("authorize: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
