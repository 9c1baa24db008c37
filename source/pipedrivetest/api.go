package pipedrivetest

import (
	"net/http"
	"time"

	"github.com/pdxhq/pdx/source/clock"
)

// Plan is a Pipedrive subscription plan; it sizes the burst window and the
// daily token budget.
type Plan string

// The plans Pipedrive sells.
const (
	PlanLite     Plan = "lite"
	PlanGrowth   Plan = "growth"
	PlanPremium  Plan = "premium"
	PlanUltimate Plan = "ultimate"
)

// Options configure a simulated Pipedrive. The zero value is a small lite
// account.
type Options struct {
	Seed           int64
	Scale          int           // number of deals; other entities scale from it; 0 -> 50
	Plan           Plan          // default lite
	Seats          int           // daily budget = 30000 * plan multiplier * Seats; default 1
	DailyBudget    int64         // overrides the computed daily budget when > 0
	Now            time.Time     // simulated clock start; default 2026-11-27T12:00:00Z
	AccessTokenTTL time.Duration // OAuth access token lifetime (simulated clock); default 3599s
	CustomFields   int           // custom fields per entity type; 0 -> one of every field type
	Addr           string        // listen address; default 127.0.0.1:0
	Latency        time.Duration // optional per-request delay (demos)
	// ArchiveKeepsUpdateTime makes Archive leave update_time as it was
	// (Pipedrive documents neither way; archive_time, where the API shows
	// it, says when). Default: archiving bumps update_time.
	ArchiveKeepsUpdateTime bool
	// DealProductsKeepUpdateTime makes SetDealProducts leave the deal's
	// update_time as it was (Pipedrive does not document that changing a
	// deal's products bumps it). Default: it bumps it.
	DealProductsKeepUpdateTime bool
	// BurstLimit overrides the plan's burst size (requests per rolling 2 s
	// window per token) when > 0; tests use it to hit 429 quickly.
	BurstLimit int
	// OtherClient plays another client using the same token: it sends this
	// share of the burst limit (0.33: a third of every window), evenly
	// spaced on Options.Clock from the token's first request, and its
	// requests are judged by the same rolling window as the client's (see
	// Server.OtherClient for what it sent and what was refused).
	OtherClient float64
	// Wrap, when set, wraps the simulator's handler; tests plug spectest's
	// Middleware in here to validate every request and response.
	Wrap func(next http.Handler) http.Handler
	// Clock times the rolling burst window (default clock.Real). It is not
	// the simulated clock above: clients pace against the window with their
	// own clock, and both must read the same time.
	Clock clock.Clock
	// InMemory serves over in-memory connections instead of a socket (Addr is
	// ignored and URL is not reachable by other clients): reach it with
	// HTTPClient. For tests in a testing/synctest bubble, whose fake time
	// only moves while every goroutine is blocked, which sockets defeat.
	InMemory bool
}

// Request is one entry of the request log.
type Request struct {
	Method string
	Path   string
	Query  string // api_token redacted
	Auth   string // "token", "query", "oauth", "" (none); "client" for /oauth/... calls
	Status int
	Cost   int       // daily-budget tokens charged
	Time   time.Time // simulated clock
}

// FaultKind selects what a Fault does.
type FaultKind string

// Fault kinds.
const (
	FaultStatus      FaultKind = "status"       // reply with Fault.Status and a JSON error body
	FaultReset       FaultKind = "reset"        // write half of the body, then reset the connection
	FaultTruncate    FaultKind = "truncate"     // write half of the body and end the response cleanly
	FaultSlow        FaultKind = "slow"         // delay the response by Fault.Delay
	FaultHTML403     FaultKind = "html403"      // Cloudflare-like HTML 403 page
	FaultExpireToken FaultKind = "expire_token" // treat the OAuth access token as expired (401)
	FaultRewrite     FaultKind = "rewrite"      // answer Fault.Rewrite(request, body) instead of body
	FaultStall       FaultKind = "stall"        // write half of the body, then send nothing until the client gives up
	// FaultReverseSort serves a v1 list sorted by update_time in the other
	// direction than asked (/leads documents no direction for its sort), a
	// valid 200 otherwise.
	FaultReverseSort FaultKind = "reverse_sort"
)

// Fault is an injected failure. Path matches the request path exactly
// ("/api/v2/deals", "/v1/notes"; "/api/v1/notes" is the same as "/v1/notes");
// an empty Path matches every API request. A status fault without a Status
// answers 500. Times > 0 limits how many requests it
// hits; Rate in (0,1) hits requests at random, reproducibly from Seed.
type Fault struct {
	Path   string
	Kind   FaultKind // default FaultStatus when Status != 0
	Status int
	Times  int
	Rate   float64
	Seed   int64
	Delay  time.Duration
	// Rewrite (FaultRewrite) returns the body to send in place of the
	// rendered one (which it must not keep: the buffer is reused), the way
	// a faulty proxy or cache would: data null, a cursor cycle, a repeated
	// page, a malformed record, an HTML page with status 200.
	Rewrite func(r *http.Request, body []byte) []byte
}
