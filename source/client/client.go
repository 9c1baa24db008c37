package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pdxhq/pdx/source/clock"
)

// Version is the Pipedrive API version of an endpoint.
type Version int

const (
	V1 Version = 1
	V2 Version = 2
)

func (v Version) String() string {
	switch v {
	case V1:
		return "v1"
	case V2:
		return "v2"
	}
	return "v?"
}

// DefaultBaseURL is Pipedrive's public API host.
const DefaultBaseURL = "https://api.pipedrive.com"

// Burst limits of the lowest plan (requests per rolling 2-second window).
// The client starts there and learns the real limit from x-ratelimit-limit.
const (
	LowestTokenBurst = 20
	LowestOAuthBurst = 80
)

// Options configure a Client. Only Auth is required.
type Options struct {
	// BaseURL defaults to https://api.pipedrive.com. It must be https, except
	// for loopback hosts (tests, the built-in simulator, local proxies).
	BaseURL    string
	Auth       Auth
	HTTPClient *http.Client
	// OAuth selects the v1 prefix /api/v1 (OAuth) instead of /v1 (token) and
	// the OAuth burst table.
	OAuth bool
	// Observer sees every request, wait, retry and budget change (it is
	// called synchronously: keep it fast). See also WithObserver.
	Observer  func(Observation)
	UserAgent string
	// MaxRetries bounds retries of 5xx, network errors and truncated bodies
	// (default 5). 429 waits are bounded separately by Max429.
	MaxRetries int
	// Max429 bounds consecutive 429 answers to one request (default 20).
	Max429 int
	// BurstLimit overrides the initial requests per window (default: the
	// lowest plan). The client still learns from x-ratelimit-limit.
	BurstLimit int
	// Window is the burst window (default 2 s, Pipedrive's).
	Window time.Duration
	// MinBackoff / MaxBackoff bound the retry backoff (default 500 ms / 30 s).
	MinBackoff, MaxBackoff time.Duration
	// MaxWait caps a single 429 wait taken from x-ratelimit-reset (default
	// 60 s), so a bogus header cannot park the sync for hours.
	MaxWait time.Duration
	// StallTimeout gives up a response that sends nothing for that long,
	// before its headers or within its body (default DefaultStallTimeout);
	// it is retried like a reset. A slow answer that keeps sending is
	// bounded only by the HTTP client's Timeout (default 10 minutes).
	StallTimeout time.Duration
	// MaxRecords bounds a read whose PageRequest.MaxRecords is 0 (default
	// DefaultMaxRecords); see Client.MaxRecords.
	MaxRecords int
	// Clock times pacing, backoff and 429 pauses, and dates the budget's
	// reset (default clock.Real). Tests pass a clock.Fake.
	Clock clock.Clock
	// Reserve is the daily budget the client leaves unspent for the
	// company's other users (zero: none; pdx's commands pass
	// DefaultReserve unless told otherwise).
	Reserve Reserve
}

// Client is safe for concurrent use; all callers share one pacing window and one
// budget meter.
type Client struct {
	opts Options
	base *url.URL
	hc   *http.Client
	// redactor is asked for the secrets at every scrub: OAuth tokens rotate
	// during a run, so a list taken once at New would go stale.
	redactor Redactor

	clock     clock.Clock
	window    time.Duration
	limiter   *rate.Limiter // spacing at spacedFor requests per window
	spacedFor int

	// The first request goes alone and the others wait for its headers:
	// reservations taken at the lowest plan's slow rate would otherwise
	// overlap those at the learned rate and overfill the window.
	learned     chan struct{}
	learnedOnce sync.Once
	probing     bool

	mu          sync.Mutex
	burst       int             // learned requests per window
	slots       []*slot         // our requests in the window (pacing.go)
	crowds      []crowd         // other clients' use of it, as answers reported
	pausedUntil time.Time       // set by 429s / a window full of others: every caller waits
	waiters     []*waiter       // callers of pace waiting to send, served by rank (pacing.go)
	waitSeq     uint64          // arrivals in pace
	turn        context.Context // done when the first of waiters changes
	endTurn     context.CancelFunc
	held        *rate.Reservation // the first waiter's, while it sleeps until its send time heldAt
	heldAt      time.Time
	minRTT      time.Duration // the fastest round trip seen (rttSeen), pacing.go
	rttSeen     bool
	budget      Budget
	pending     int64 // cost of the requests preflight let through, not yet spent (budget.go)
}

// New validates opts and builds a Client.
func New(opts Options) (*Client, error) {
	if opts.Auth == nil {
		return nil, errors.New("client: no Auth configured")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := checkBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.HTTPClient == nil {
		// Streams run in parallel and each prefetches a page: keep enough
		// idle connections that none is closed and redialled between pages.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		opts.HTTPClient = &http.Client{Timeout: defaultRequestTimeout, Transport: tr}
	}
	opts.HTTPClient = NoRedirects(opts.HTTPClient) // see redirect.go
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 5
	}
	if opts.Max429 == 0 {
		opts.Max429 = 20
	}
	if opts.Window <= 0 {
		opts.Window = 2 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 60 * time.Second
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	opts.Clock = clock.Or(opts.Clock)
	if opts.UserAgent == "" {
		opts.UserAgent = "pdx"
	}
	burst := opts.BurstLimit
	if burst <= 0 {
		burst = LowestTokenBurst
		if opts.OAuth {
			burst = LowestOAuthBurst
		}
	}
	c := &Client{opts: opts, base: base, hc: opts.HTTPClient, clock: opts.Clock, window: opts.Window, learned: make(chan struct{})}
	if r, ok := opts.Auth.(Redactor); ok {
		c.redactor = r
	}
	c.burst = burst
	c.spacedFor = burst
	c.limiter = rate.NewLimiter(rate.Limit(float64(burst)/opts.Window.Seconds()), 1)
	c.nextTurnLocked()
	return c, nil
}

func checkBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("api base URL %q is not an absolute URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("api base URL must not carry credentials, a query or a fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("api base URL %q must use https (plain http is allowed only for loopback hosts)", u.Redacted())
		}
	default:
		return nil, fmt.Errorf("api base URL %q must use https", u.Redacted())
	}
	return u, nil
}

// IsLoopback reports whether host names this machine ("localhost" in any
// case, or a loopback IP): the only hosts plain http may be used with.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Response is one successful HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (c *Client) prefix(v Version) string {
	if v == V2 {
		return "/api/v2"
	}
	if c.opts.OAuth {
		return "/api/v1"
	}
	return "/v1"
}

func (c *Client) endpoint(v Version, path string, q url.Values) (*url.URL, string, error) {
	base := c.base
	if b := c.opts.Auth.BaseURL(); b != "" {
		u, err := checkBaseURL(b)
		if err != nil {
			return nil, "", err
		}
		base = u
	}
	u := *base
	u.Path = strings.TrimRight(base.Path, "/") + c.prefix(v) + path
	u.RawQuery = q.Encode()
	return &u, "GET " + c.prefix(v) + path, nil
}
