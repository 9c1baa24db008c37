package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
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

// Auth authorises requests. TokenAuth is the API-token implementation; the
// OAuth package implements it with refreshing access tokens.
type Auth interface {
	// Authorize adds credentials to req (headers only, never the URL).
	Authorize(req *http.Request) error
	// BaseURL is the API host to use; "" means Options.BaseURL. OAuth
	// returns the api_domain of its latest token.
	BaseURL() string
	// Unauthorized is called once after a 401; true means "credentials were
	// refreshed, retry the request".
	Unauthorized(ctx context.Context) bool
}

// Redactor is optionally implemented by an Auth to list secret strings that
// must be scrubbed from any error message the client builds.
type Redactor interface {
	Secrets() []string
}

type tokenAuth struct{ token string }

// TokenAuth authorises with an API token in the x-api-token header.
func TokenAuth(token string) Auth { return tokenAuth{token: token} }

func (t tokenAuth) Authorize(req *http.Request) error {
	if t.token == "" {
		return errors.New("no API token configured")
	}
	req.Header.Set("x-api-token", t.token)
	return nil
}
func (t tokenAuth) BaseURL() string                       { return "" }
func (t tokenAuth) Unauthorized(ctx context.Context) bool { return false }
func (t tokenAuth) Secrets() []string                     { return []string{t.token} }

// String and GoString keep the token out of %v / %#v output.
func (t tokenAuth) String() string   { return "TokenAuth(redacted)" }
func (t tokenAuth) GoString() string { return "TokenAuth(redacted)" }

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
	// Now is the clock used for budget reset times (default time.Now).
	Now func() time.Time
}

// Client is safe for concurrent use; all callers share one limiter and one
// budget meter.
type Client struct {
	opts Options
	base *url.URL
	hc   *http.Client
	// redactor is asked for the secrets at every scrub: OAuth tokens rotate
	// during a run, so a list taken once at New would go stale.
	redactor Redactor

	limiter *rate.Limiter
	window  time.Duration

	// The first request goes alone and the others wait for its headers:
	// reservations taken at the lowest plan's slow rate would otherwise
	// overlap those at the learned rate and overfill the window.
	learned     chan struct{}
	learnedOnce sync.Once
	probing     bool

	mu          sync.Mutex
	burst       int       // learned requests per window
	pausedUntil time.Time // set by 429s / remaining==0: every caller waits
	budget      Budget
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
		opts.HTTPClient = &http.Client{Timeout: 120 * time.Second, Transport: tr}
	}
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
	if opts.Now == nil {
		opts.Now = time.Now
	}
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
	c := &Client{opts: opts, base: base, hc: opts.HTTPClient, window: opts.Window, learned: make(chan struct{})}
	if r, ok := opts.Auth.(Redactor); ok {
		c.redactor = r
	}
	c.limiter = rate.NewLimiter(paceFor(burst, opts.Window), 1)
	c.burst = burst
	return c, nil
}

// paceFor turns "n requests per rolling window" into a token-bucket rate.
// With bucket size 1 the most requests any window can see is 1 + rate*window;
// pacing at 90% of n keeps that under n even when the server's clock and ours
// see requests bunched together.
func paceFor(n int, window time.Duration) rate.Limit {
	if n < 2 {
		n = 2
	}
	per := float64(n)*0.9 - 1
	if per < 1 {
		per = 1
	}
	return rate.Limit(per / window.Seconds())
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

// Budget is the daily token budget as last seen, plus what this client spent.
type Budget struct {
	Known     bool // headers reported it at least once
	Limit     int64
	Remaining int64
	Exhausted bool
	ResetAt   time.Time
	Spent     int64 // tokens this client spent (spec costs of the requests sent)
}

// Budget returns the current budget meter.
func (c *Client) Budget() Budget {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.budget
}

// BurstLimit returns the requests per window the client currently paces to.
func (c *Client) BurstLimit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.burst
}

// ObservationKind says what an Observation reports.
type ObservationKind uint8

const (
	// ObsRequest: a request was answered (or failed at the transport).
	ObsRequest ObservationKind = iota + 1
	// ObsWait: the caller waits Wait before sending (Reason "burst" for pacing,
	// "429" after a rate-limit answer, "retry" for backoff).
	ObsWait
	// ObsRetry: a request failed transiently and will be retried.
	ObsRetry
	// ObsBudget: the budget meter changed.
	ObsBudget
)

// Observation is reported to Options.Observer and to the context observer.
type Observation struct {
	Kind    ObservationKind
	Op      string
	Status  int
	Bytes   int
	Cost    int
	Wait    time.Duration
	Reason  string
	Attempt int
	Err     error
	Budget  Budget
}

type obsKey struct{}

// WithObserver returns a context whose requests also report to fn (the
// engine uses it to attribute requests and waits to a stream).
func WithObserver(ctx context.Context, fn func(Observation)) context.Context {
	return context.WithValue(ctx, obsKey{}, fn)
}

func (c *Client) observe(ctx context.Context, o Observation) {
	if c.opts.Observer != nil {
		c.opts.Observer(o)
	}
	if fn, ok := ctx.Value(obsKey{}).(func(Observation)); ok && fn != nil {
		fn(o)
	}
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

// Get sends one paced, retried GET and returns the answer once its body is
// valid JSON. cost is the operation's x-token-cost (for the budget meter).
func (c *Client) Get(ctx context.Context, v Version, path string, q url.Values, cost int) (*Response, error) {
	return c.do(ctx, v, path, q, cost, func(body []byte) error {
		if !json.Valid(body) {
			return errTruncated
		}
		return nil
	})
}

var errTruncated = errors.New("response body is not complete JSON")

// do runs the request loop. check validates a 2xx body; a failure counts as a
// truncated body and is retried.
func (c *Client) do(ctx context.Context, v Version, path string, q url.Values, cost int, check func([]byte) error) (*Response, error) {
	retries, n429, reauthed := 0, 0, false
	for attempt := 1; ; attempt++ {
		// Built on every attempt: after an OAuth refresh the API domain may
		// have changed, and the retry must go to the new one.
		u, op, err := c.endpoint(v, path, q)
		if err != nil {
			return nil, err
		}
		if err := c.preflight(ctx, op, cost); err != nil {
			return nil, err
		}
		probe, err := c.awaitLearned(ctx)
		if err != nil {
			return nil, err
		}
		if err := c.pace(ctx, op); err != nil {
			if probe {
				c.learnedOnce.Do(func() { close(c.learned) })
			}
			return nil, err
		}
		resp, err := c.send(ctx, u)
		if probe {
			c.learnedOnce.Do(func() { close(c.learned) })
		}
		if ae := (*authorizeError)(nil); errors.As(err, &ae) && !ae.temporary() {
			// A credential that cannot be had (revoked OAuth grant, failed
			// save) will not appear by retrying: say so at once.
			return nil, err
		}
		charged := chargedCost(cost, resp)
		c.spend(ctx, charged, resp)
		var transient error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			transient = err
			c.observe(ctx, Observation{Kind: ObsRequest, Op: op, Cost: charged, Attempt: attempt, Err: c.scrubErr(err)})
		default:
			c.observe(ctx, Observation{Kind: ObsRequest, Op: op, Status: resp.Status, Bytes: len(resp.Body), Cost: charged, Attempt: attempt})
			switch {
			case resp.Status >= 200 && resp.Status < 300:
				if cerr := check(resp.Body); cerr != nil {
					if errors.Is(cerr, errNotList) {
						// A complete answer of the wrong shape comes back the
						// same on a retry: an unexpected answer, not transient.
						return nil, fmt.Errorf("%s: unexpected answer: %w", op, cerr)
					}
					transient = cerr
					break
				}
				return resp, nil
			case resp.Status == http.StatusUnauthorized:
				if !reauthed && c.opts.Auth.Unauthorized(ctx) {
					reauthed = true
					continue
				}
				return nil, c.apiError(op, resp)
			case resp.Status == http.StatusTooManyRequests:
				if c.dailyExhausted(resp.Header) {
					return nil, c.exhaust(ctx, op)
				}
				n429++
				if n429 > c.opts.Max429 {
					return nil, c.apiError(op, resp)
				}
				wait := c.resetWait(resp.Header)
				c.pauseFor(wait)
				c.observe(ctx, Observation{Kind: ObsWait, Op: op, Status: 429, Wait: wait, Reason: "429", Attempt: attempt})
				continue // pace() waits out the pause for every caller
			case resp.Status >= 500:
				transient = c.apiError(op, resp)
			default:
				return nil, c.apiError(op, resp)
			}
		}
		retries++
		if retries > c.opts.MaxRetries {
			var ae *APIError
			if errors.As(transient, &ae) {
				return nil, ae
			}
			return nil, &TransportError{Op: op, Err: c.scrubErr(transient)}
		}
		wait := c.backoff(retries)
		c.observe(ctx, Observation{Kind: ObsRetry, Op: op, Attempt: attempt, Err: c.scrubErr(transient), Wait: wait})
		c.observe(ctx, Observation{Kind: ObsWait, Op: op, Wait: wait, Reason: "retry", Attempt: attempt})
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) send(ctx context.Context, u *url.URL) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if err := c.opts.Auth.Authorize(req); err != nil {
		return nil, &authorizeError{err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	hr, err := c.hc.Do(req)
	if err != nil {
		// url.Error repeats the whole URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	defer hr.Body.Close()
	body, err := readBody(hr)
	c.learn(hr.Header)
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	return &Response{Status: hr.StatusCode, Header: hr.Header, Body: body}, nil
}

// readBody reads the whole body; with a Content-Length it allocates once
// instead of growing (pages are ~1 MB).
func readBody(hr *http.Response) ([]byte, error) {
	if n := hr.ContentLength; n > 0 && n < 256<<20 {
		body := make([]byte, n)
		if _, err := io.ReadFull(hr.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(hr.Body)
}

// authorizeError is a failure of Auth.Authorize. It is retried only when
// the cause says it is temporary (a network error reaching the OAuth server).
type authorizeError struct{ err error }

func (e *authorizeError) Error() string { return "authorize request: " + e.err.Error() }
func (e *authorizeError) Unwrap() error { return e.err }

func (e *authorizeError) temporary() bool {
	var t interface{ Temporary() bool }
	return errors.As(e.err, &t) && t.Temporary()
}

func (c *Client) apiError(op string, resp *Response) *APIError {
	return &APIError{Status: resp.Status, Op: op, Message: c.scrub(errorMessage(resp.Body))}
}

func (c *Client) scrub(s string) string {
	if c.redactor == nil {
		return s
	}
	for _, sec := range c.redactor.Secrets() {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

type scrubbedError struct{ msg string }

func (e scrubbedError) Error() string { return e.msg }

func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if s := c.scrub(msg); s != msg {
		return scrubbedError{s}
	}
	return err
}

// backoff is exponential with full jitter in [d/2, d].
func (c *Client) backoff(retry int) time.Duration {
	d := c.opts.MinBackoff << (retry - 1)
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// awaitLearned lets the first request through as the probe and holds the
// others until it has answered (its headers set the pace).
func (c *Client) awaitLearned(ctx context.Context) (probe bool, err error) {
	select {
	case <-c.learned:
		return false, nil
	default:
	}
	c.mu.Lock()
	if !c.probing {
		c.probing = true
		c.mu.Unlock()
		return true, nil
	}
	c.mu.Unlock()
	select {
	case <-c.learned:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// pace waits out any shared pause (429, remaining==0) and then the limiter.
func (c *Client) pace(ctx context.Context, op string) error {
	for {
		c.mu.Lock()
		until := c.pausedUntil
		c.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			break
		}
		if err := sleepCtx(ctx, d); err != nil {
			return err
		}
	}
	r := c.limiter.Reserve()
	if !r.OK() {
		return errors.New("rate limiter refused the request")
	}
	d := r.Delay()
	if d <= 0 {
		return nil
	}
	c.observe(ctx, Observation{Kind: ObsWait, Op: op, Wait: d, Reason: "burst"})
	if err := sleepCtx(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) pauseFor(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := time.Now().Add(d); until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
}

// resetWait reads x-ratelimit-reset: seconds until the window resets
// (relative, not an epoch), capped by MaxWait; 1 s when missing.
func (c *Client) resetWait(h http.Header) time.Duration {
	wait := time.Second
	if s := h.Get("x-ratelimit-reset"); s != "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
			// An epoch would be absurdly long; treat anything beyond the cap
			// as the cap rather than parking the sync.
			wait = time.Duration(f * float64(time.Second))
			if wait < 100*time.Millisecond {
				wait = 100 * time.Millisecond
			}
		}
	}
	if wait > c.opts.MaxWait {
		wait = c.opts.MaxWait
	}
	return wait
}

// learn adapts pacing to the headers: the burst limit of the plan, and a
// shared pause when the window is used up.
func (c *Client) learn(h http.Header) {
	if s := h.Get("x-ratelimit-limit"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			c.mu.Lock()
			changed := n != c.burst
			c.burst = n
			c.mu.Unlock()
			if changed {
				c.limiter.SetLimit(paceFor(n, c.window))
			}
		}
	}
	if s := h.Get("x-ratelimit-remaining"); s == "0" {
		c.pauseFor(c.resetWait(h))
	}
}

// parseInt64Header returns the header's integer value.
func parseInt64Header(h http.Header, name string) (int64, bool) {
	s := h.Get(name)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// chargedCost is what a request costs the daily budget: refused requests
// (429, 401) are not charged; anything else that may have reached the API
// is, so the meter errs on the side of spending.
func chargedCost(cost int, resp *Response) int {
	if resp != nil && (resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusUnauthorized) {
		return 0
	}
	return cost
}

// spend updates the budget meter after a request: from the headers when
// present, else by the operation's cost.
func (c *Client) spend(ctx context.Context, cost int, resp *Response) {
	c.mu.Lock()
	b := &c.budget
	before := *b
	b.Spent += int64(cost)
	fromHeaders := false
	if resp != nil {
		if lim, ok := parseInt64Header(resp.Header, "x-daily-ratelimit-token-limit"); ok {
			b.Limit, b.Known = lim, true
		}
		if rem, ok := parseInt64Header(resp.Header, "x-daily-ratelimit-token-remaining"); ok {
			b.Remaining, b.Known, fromHeaders = rem, true, true
		}
	}
	if !fromHeaders && b.Known {
		b.Remaining -= int64(cost)
		if b.Remaining < 0 {
			b.Remaining = 0
		}
	}
	after := *b
	c.mu.Unlock()
	if after.Known && (after.Remaining != before.Remaining || after.Limit != before.Limit || !before.Known) {
		c.observe(ctx, Observation{Kind: ObsBudget, Budget: after})
	}
}

// dailyExhausted tells a budget 429 from a burst 429.
func (c *Client) dailyExhausted(h http.Header) bool {
	if rem, ok := parseInt64Header(h, "x-daily-ratelimit-token-remaining"); ok && rem <= 0 {
		return true
	}
	if rem, ok := parseInt64Header(h, "x-daily-requests-left"); ok && rem <= 0 {
		return true
	}
	return false
}

// preflight refuses to send a request the budget cannot pay for.
func (c *Client) preflight(ctx context.Context, op string, cost int) error {
	c.mu.Lock()
	b := c.budget
	if !b.Exhausted && !(b.Known && b.Remaining < int64(cost)) {
		c.mu.Unlock()
		return nil
	}
	first := !b.Exhausted
	c.budget.Exhausted = true
	if c.budget.ResetAt.IsZero() {
		c.budget.ResetAt = nextMidnight(c.opts.Now())
	}
	b = c.budget
	c.mu.Unlock()
	if first {
		c.observe(ctx, Observation{Kind: ObsBudget, Op: op, Budget: b})
	}
	return &BudgetError{Op: op, Limit: b.Limit, ResetAt: b.ResetAt}
}

func (c *Client) exhaust(ctx context.Context, op string) error {
	c.mu.Lock()
	c.budget.Exhausted = true
	c.budget.Known = true
	c.budget.Remaining = 0
	if c.budget.ResetAt.IsZero() {
		c.budget.ResetAt = nextMidnight(c.opts.Now())
	}
	b := c.budget
	c.mu.Unlock()
	c.observe(ctx, Observation{Kind: ObsBudget, Budget: b})
	return &BudgetError{Op: op, Limit: b.Limit, ResetAt: b.ResetAt}
}

// nextMidnight is when Pipedrive resets the daily budget (midnight server
// time; UTC is the best guess without a header saying otherwise).
func nextMidnight(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
