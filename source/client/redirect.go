package client

// Redirects are never followed. Pipedrive's API answers every endpoint at
// the address it is called on (the OAuth api_domain is given, not found by
// redirect), so a 3xx comes from something between pdx and Pipedrive: a
// captive portal, a misconfigured proxy, a wrong api_base_url, or an
// attacker. Following it would resend the credentials: net/http strips only
// Authorization (and only across domains), not x-api-token, and keeps both
// on an https -> http downgrade to the same host. Refusing every redirect is
// simpler to trust than an origin check, and the answer says where it
// pointed so a wrong base URL can be fixed.

import (
	"net/http"
	"net/url"
)

// NoRedirects returns a shallow copy of hc (nil: http.DefaultClient's
// settings) that hands a 3xx answer back instead of following it. The
// oauth package uses it for the token endpoint too.
func NoRedirects(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// redirectError is a 3xx answer: the request is not sent again elsewhere.
func (c *Client) redirectError(op string, resp *Response) *APIError {
	to := "no Location"
	if loc, err := url.Parse(resp.Header.Get("Location")); err == nil && loc.Host != "" {
		// Scheme and host only: a Location's query could carry anything.
		to = loc.Scheme + "://" + loc.Host
	} else if err == nil && loc.Path != "" {
		to = "a path on the same host"
	}
	return &APIError{Status: resp.Status, Op: op, Message: c.scrub("the answer redirects (to " + to + "); pdx never follows redirects, so the credentials are not sent on: check api_base_url, or a proxy between pdx and Pipedrive")}
}
