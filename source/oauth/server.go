package oauth

import (
	"net/url"
	"strings"
)

// ServerFor is the OAuth server that goes with an API root: a loopback root
// is the sandbox (or the demo's simulator), which serves its own
// /oauth/authorize and /oauth/token, so the whole sign-in and every token
// refresh can be tried without a Pipedrive app; any other root uses
// Pipedrive's ("": the default, DefaultBaseURL). Profiles (app) and the
// Airbyte config both follow this rule, so a refresh token never goes to
// oauth.pipedrive.com for an account that lives on this machine.
func ServerFor(apiBaseURL string) string {
	u, err := url.Parse(strings.TrimSpace(apiBaseURL))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || !isLoopback(u.Hostname()) {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
