package pipedrivetest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/clock"
)

// Server is a running simulated Pipedrive.
type Server struct {
	opts Options
	ln   net.Listener
	srv  *http.Server
	url  string
	hc   *http.Client

	// Lock order: data before mu. data guards the world (records and
	// overlays) so pages render concurrently under RLock; mu guards the
	// clock, credentials, limits, faults and the log.
	data     sync.RWMutex
	w        *world
	mu       sync.Mutex
	now      time.Time
	clock    clock.Clock // times the burst window (Options.Clock)
	token    string
	clientID string
	secret   string
	secretN  int
	codes    map[string]*authCode
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	bursts   map[string]*burst
	budget   budget
	log      []Request
	faults   []*faultState
	status   int
}

type faultState struct {
	Fault
	hits int
	rnd  *rand.Rand
}

// NewServer starts a simulator on loopback, like httptest.NewServer. It
// panics when it cannot listen.
func NewServer(opts Options) *Server {
	s, err := Start(opts)
	if err != nil {
		panic("pipedrivetest: " + err.Error())
	}
	return s
}

// Start starts a simulator listening on opts.Addr (default 127.0.0.1:0).
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Now.IsZero() {
		opts.Now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	}
	opts.Now = opts.Now.UTC().Truncate(time.Second)
	if opts.Scale <= 0 {
		opts.Scale = 50
	}
	if opts.Plan == "" {
		opts.Plan = PlanLite
	}
	mult, ok := planMultiplier[opts.Plan]
	if !ok {
		return nil, fmt.Errorf("unknown plan %q (want lite, growth, premium or ultimate)", opts.Plan)
	}
	if opts.Seats <= 0 {
		opts.Seats = 1
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = 3599 * time.Second
	}
	s := &Server{opts: opts, now: opts.Now,
		codes: map[string]*authCode{}, access: map[string]*accessToken{}, refresh: map[string]*refreshToken{},
		bursts: map[string]*burst{}, clock: clock.Or(opts.Clock)}
	s.w = newWorld(opts)
	limit := opts.DailyBudget
	if limit <= 0 {
		limit = 30000 * mult * int64(opts.Seats)
	}
	s.budget = budget{limit: limit, remaining: limit, day: dayOf(opts.Now)}
	s.token = hexKey(opts.Seed, "api-token")
	s.clientID = hexKey(opts.Seed, "client-id")[:16]
	s.secret = hexKey(opts.Seed, "client-secret")
	// Enough idle connections for parallel streams that each prefetch a
	// page, as the client's own default keeps.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	if opts.InMemory {
		ml := newMemListener()
		s.ln = ml
		tr = &http.Transport{DialContext: ml.dial, MaxIdleConnsPerHost: 16}
	} else {
		ln, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
		}
		s.ln = ln
	}
	ln := s.ln
	s.hc = &http.Client{Transport: tr}
	s.url = "http://" + ln.Addr().String()
	var h http.Handler = http.HandlerFunc(s.serveHTTP)
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the base URL: API at URL()+"/v1/...", "/api/v1/...", "/api/v2/...";
// OAuth at URL()+"/oauth/...".
func (s *Server) URL() string { return s.url }

// Close stops the server and closes its connections (and HTTPClient's).
func (s *Server) Close() {
	s.srv.Close()
	s.hc.CloseIdleConnections()
}

// HTTPClient is an HTTP client that reaches the server (the only one that
// does when Options.InMemory). It has its own connection pool.
func (s *Server) HTTPClient() *http.Client { return s.hc }

// Token is a valid API token (send it as the x-api-token header).
func (s *Server) Token() string { return s.token }

// OAuthClient returns the registered OAuth app's credentials.
func (s *Server) OAuthClient() (clientID, clientSecret string) { return s.clientID, s.secret }

// Now is the simulated clock.
func (s *Server) Now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }

// Advance moves the simulated clock forward (record timestamps, token
// expiry, the daily budget). The burst window runs on Options.Clock.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d).Truncate(time.Second)
	s.budget.roll(s.now)
}

// Budget returns the daily token budget and what is left of it today.
func (s *Server) Budget() (limit, remaining int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.budget.roll(s.now)
	return s.budget.limit, s.budget.remaining
}

// OtherClient reports the requests the simulated other client of the
// tokens (Options.OtherClient) sent so far and how many of them the burst
// window refused.
func (s *Server) OtherClient() (sent, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bursts {
		sent += b.otherSent
		refused += b.otherRefus
	}
	return sent, refused
}

// SetStatus makes every API request answer status (402 company inactive,
// 403 forbidden, ...); 0 restores normal service.
func (s *Server) SetStatus(status int) { s.mu.Lock(); s.status = status; s.mu.Unlock() }

// Fault injects a failure; see Fault.
func (s *Server) Fault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Kind == "" {
		f.Kind = FaultStatus
	}
	if f.Kind == FaultStatus && f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	// OAuth callers' /api/v1/x is the same operation as /v1/x.
	if strings.HasPrefix(f.Path, "/api/v1/") {
		f.Path = "/v1/" + strings.TrimPrefix(f.Path, "/api/v1/")
	}
	fs := &faultState{Fault: f}
	if f.Rate > 0 {
		fs.rnd = rand.New(rand.NewSource(f.Seed))
	}
	s.faults = append(s.faults, fs)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() { s.mu.Lock(); s.faults = nil; s.mu.Unlock() }

// maxLog bounds the request log; older entries are dropped past it.
const maxLog = 200000

// Requests returns a copy of the request log (the latest entries, at most
// 200000).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() { s.mu.Lock(); s.log = nil; s.mu.Unlock() }

// takeFault returns the fault that hits this request, if any (s.mu held).
func (s *Server) takeFault(path string) *faultState {
	for _, f := range s.faults {
		if f.Path != "" && f.Path != path {
			continue
		}
		if f.Times > 0 && f.hits >= f.Times {
			continue
		}
		if f.rnd != nil && f.rnd.Float64() >= f.Rate {
			continue
		}
		f.hits++
		return f
	}
	return nil
}

// bufPool keeps a few page buffers. Not a sync.Pool: its buffers would be
// dropped at every GC and regrown by doubling (up to ~1 MB for a page of 500
// deals) on the hot path. Bounded, so memory stays flat.
var bufPool = freeList{ch: make(chan *[]byte, 8)}

type freeList struct{ ch chan *[]byte }

func (f freeList) Get() *[]byte {
	select {
	case b := <-f.ch:
		return b
	default:
		b := make([]byte, 0, 64<<10)
		return &b
	}
}

func (f freeList) Put(b *[]byte) {
	if cap(*b) > 4<<20 {
		return // do not keep unusually large buffers
	}
	*b = (*b)[:0]
	select {
	case f.ch <- b:
	default:
	}
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func errBody(status int, msg string) []byte {
	o := openObj(nil)
	o.bool("success", false)
	o.str("error", msg)
	o.str("error_info", "Please check developers.pipedrive.com for more information about Pipedrive API.")
	o.null("data")
	o.null("additional_data")
	return o.close()
}

const body401 = `{"success":false,"error":"unauthorized access","errorCode":401}`

const html403 = `<!DOCTYPE html>
<html><head><title>Attention Required! | Cloudflare</title></head>
<body><h1>Sorry, you have been blocked</h1><p>You are unable to access api.pipedrive.com</p></body></html>`

// splitVersion maps "/v1/x", "/api/v1/x" and "/api/v2/x" to (1|2, "/x").
func splitVersion(p string) (int, string) {
	switch {
	case strings.HasPrefix(p, "/api/v2/"):
		return 2, p[len("/api/v2"):]
	case strings.HasPrefix(p, "/api/v1/"):
		return 1, p[len("/api/v1"):]
	case strings.HasPrefix(p, "/v1/"):
		return 1, p[len("/v1"):]
	}
	return 0, p
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Latency > 0 {
		select {
		case <-time.After(s.opts.Latency):
		case <-r.Context().Done():
			return
		}
	}
	switch r.URL.Path {
	case "/oauth/authorize", "/oauth/token":
		// Logged too (auth "client"), so tests can count refreshes; the token
		// endpoint's secrets travel in the body and header, never logged.
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if r.URL.Path == "/oauth/token" {
			s.handleToken(sw, r)
		} else {
			s.handleAuthorize(sw, r)
		}
		s.mu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.RawQuery), Auth: "client", Status: sw.status, Time: s.now})
		s.mu.Unlock()
		return
	}
	ver, rest := splitVersion(r.URL.Path)
	entry := Request{Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.RawQuery)}
	rp := s.handleAPI(w, r, ver, rest, &entry)
	entry.Status, entry.Cost = rp.status, rp.cost
	s.mu.Lock()
	if len(s.log) >= maxLog {
		// keep memory flat on long runs: drop the older half
		s.log = append(s.log[:0], s.log[len(s.log)/2:]...)
	}
	s.log = append(s.log, entry)
	s.mu.Unlock()
	switch {
	case rp.html:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(rp.status)
		w.Write([]byte(html403))
	case rp.fault != nil:
		s.deliverFault(w, r, rp.fault, rp.status, rp.body)
	case rp.ctype != "":
		w.Header().Set("Content-Type", rp.ctype)
		w.WriteHeader(rp.status)
		w.Write(rp.body)
	default:
		writeJSON(w, rp.status, rp.body)
	}
	if rp.pooled != nil {
		bufPool.Put(rp.pooled)
	}
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(st int) { w.status = st; w.ResponseWriter.WriteHeader(st) }

// redactQuery hides api_token values so the log never holds a secret.
func redactQuery(raw string) string {
	if !strings.Contains(raw, "api_token") {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		if strings.HasPrefix(p, "api_token=") {
			parts[i] = "api_token=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// authenticate returns the caller's identity ("token:" or "oauth:" + key),
// the auth kind for the log, and whether it is valid (s.mu held).
func (s *Server) authenticate(r *http.Request) (who, kind string, ok bool) {
	if t := r.Header.Get("x-api-token"); t != "" {
		return "token", "token", t == s.token
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		t := strings.TrimPrefix(a, "Bearer ")
		at, found := s.access[t]
		return "oauth:" + t, "oauth", found && s.now.Before(at.expires)
	}
	if t := r.URL.Query().Get("api_token"); t != "" {
		return "token", "query", t == s.token
	}
	return "", "", false
}

// reply is an API response before it is written.
type reply struct {
	status int
	cost   int         // daily-budget tokens charged
	body   []byte      // JSON body (a pooled buffer when from a handler)
	html   bool        // Cloudflare's HTML 403 page instead of body
	fault  *faultState // damage to apply while writing (reset, truncate, slow)
	pooled *[]byte
	ctype  string // Content-Type when not JSON (files/{id}/download)
}

func jsonReply(status, cost int, body []byte) reply {
	return reply{status: status, cost: cost, body: body}
}

const (
	body429Burst  = `{"success":false,"error":"Rate limit exceeded: too many requests in a 2 second window","errorCode":429}`
	body429Budget = `{"success":false,"error":"Daily token budget exceeded: the company's API token budget for today is used up and resets at midnight","errorCode":429}`
)

// handleAPI answers one API request: admission (auth, burst window, daily
// budget, account status, faults) under s.mu, then the page rendered under
// the world's read lock, so pages render concurrently.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request, ver int, rest string, entry *Request) reply {
	rt, c, rp, ok := s.admit(w.Header(), r, ver, rest, entry)
	if !ok {
		return rp
	}
	bp := bufPool.Get()
	c.buf = (*bp)[:0]
	s.data.RLock()
	st := rt.h(c)
	s.data.RUnlock()
	*bp = c.buf
	return reply{status: st, cost: rt.cost, body: c.buf, fault: rp.fault, pooled: bp, ctype: c.contentType}
}

// admit decides whether the request reaches its handler; when it does not,
// rp is the answer. It sets the rate-limit headers on hd.
func (s *Server) admit(hd http.Header, r *http.Request, ver int, rest string, entry *Request) (rt *route, c *call, rp reply, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.budget.roll(s.now)
	who, kind, authed := s.authenticate(r)
	entry.Auth, entry.Time = kind, s.now
	if !authed {
		return nil, nil, jsonReply(http.StatusUnauthorized, 0, []byte(body401)), false
	}
	limit := burstToken[s.opts.Plan]
	if kind == "oauth" {
		limit = burstOAuth[s.opts.Plan]
	}
	if s.opts.BurstLimit > 0 {
		limit = s.opts.BurstLimit
	}
	b := s.bursts[who]
	if b == nil {
		b = newBurst(s.clock.Now(), limit, s.opts.OtherClient)
		s.bursts[who] = b
	}
	allowed, remaining, reset := b.take(s.clock.Now(), limit)
	hd.Set("x-ratelimit-limit", strconv.Itoa(limit))
	hd.Set("x-ratelimit-remaining", strconv.Itoa(remaining))
	hd.Set("x-ratelimit-reset", strconv.Itoa(reset))
	defer func() { // the daily headers show the budget after this request
		hd.Set("x-daily-ratelimit-token-limit", strconv.FormatInt(s.budget.limit, 10))
		hd.Set("x-daily-ratelimit-token-remaining", strconv.FormatInt(s.budget.remaining, 10))
	}()
	if !allowed {
		if kind != "oauth" && b.rejected > 3*limit {
			// API-token traffic that keeps hammering after 429s meets Cloudflare.
			return nil, nil, reply{status: http.StatusForbidden, html: true}, false
		}
		return nil, nil, jsonReply(http.StatusTooManyRequests, 0, []byte(body429Burst)), false
	}
	rt, params := match(ver, rest)
	if rt != nil && kind != "oauth" && strings.HasPrefix(r.URL.Path, "/api/v1/") && tokenless404[strings.SplitN(rest, "/", 3)[1]] {
		rt = nil // reported: these answer 404 on /api/v1 to API tokens (use /v1)
	}
	if rt == nil {
		return nil, nil, jsonReply(http.StatusNotFound, 0, errBody(404, "Unknown method .")), false
	}
	if s.budget.remaining < int64(rt.cost) {
		s.budget.remaining = 0
		return nil, nil, jsonReply(http.StatusTooManyRequests, 0, []byte(body429Budget)), false
	}
	s.budget.remaining -= int64(rt.cost)
	if s.status != 0 {
		return nil, nil, jsonReply(s.status, rt.cost, errBody(s.status, http.StatusText(s.status))), false
	}
	f := s.takeFault(canonicalPath(ver, rest))
	if f != nil {
		switch f.Kind {
		case FaultStatus:
			return nil, nil, jsonReply(f.Status, rt.cost, errBody(f.Status, http.StatusText(f.Status))), false
		case FaultExpireToken:
			return nil, nil, jsonReply(http.StatusUnauthorized, rt.cost, []byte(body401)), false
		case FaultHTML403:
			return nil, nil, reply{status: http.StatusForbidden, cost: rt.cost, html: true}, false
		}
	}
	if r.Method != http.MethodGet {
		return nil, nil, jsonReply(http.StatusMethodNotAllowed, rt.cost, errBody(405, "The simulator serves read endpoints only")), false
	}
	c = &call{s: s, w: s.w, q: r.URL.Query(), params: params, path: canonicalPath(ver, rest), now: s.now}
	if f != nil && f.Kind == FaultReverseSort {
		c.reverseSort, f = true, nil // the handler answers; the body is sound
	}
	return rt, c, reply{fault: f}, true
}

// tokenless404 are the v1 collections that, reportedly, answer 404 on
// /api/v1/... to API-token callers (they work on /v1/... and for OAuth).
var tokenless404 = map[string]bool{"leads": true, "leadLabels": true, "leadSources": true, "goals": true, "mailbox": true}

// canonicalPath is the path a Fault matches: "/api/v2/x" or "/v1/x".
func canonicalPath(ver int, rest string) string {
	if ver == 2 {
		return "/api/v2" + rest
	}
	return "/v1" + rest
}

// deliverFault writes the response damaged the way the fault says.
func (s *Server) deliverFault(w http.ResponseWriter, r *http.Request, f *faultState, status int, body []byte) {
	switch f.Kind {
	case FaultSlow:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
		writeJSON(w, status, body)
	case FaultTruncate:
		writeJSON(w, status, body[:len(body)/2])
	case FaultRewrite:
		writeJSON(w, status, f.Rewrite(r, body))
	case FaultStall:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		<-r.Context().Done() // the rest never comes
	case FaultReset:
		hj, ok := w.(http.Hijacker)
		if !ok {
			writeJSON(w, status, body[:len(body)/2])
			return
		}
		conn, rw, err := hj.Hijack()
		if err != nil {
			return
		}
		writeRawHead(rw, status, len(body))
		rw.Write(body[:len(body)/2])
		rw.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with RST: a connection reset mid-body
		}
		conn.Close()
	default:
		writeJSON(w, status, body)
	}
}

func writeRawHead(rw *bufio.ReadWriter, status, n int) {
	fmt.Fprintf(rw, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", status, http.StatusText(status), n)
}

// ErrNotFound is wrapped by mutations of records that do not exist (or
// are deleted).
var ErrNotFound = errors.New("pipedrivetest: no such record")

// Records returns exactly what a full paginated read of entity's list
// endpoint returns now, one raw record each (slow; for round-trip tests).
func (s *Server) Records(entity string) []json.RawMessage {
	var out []json.RawMessage
	s.data.RLock()
	defer s.data.RUnlock()
	s.eachListed(entity, func(b []byte) { out = append(out, append(json.RawMessage(nil), b...)) })
	return out
}

// Count is how many records a full list of entity's endpoint returns now.
func (s *Server) Count(entity string) int {
	n := 0
	s.data.RLock()
	defer s.data.RUnlock()
	s.eachListed(entity, func([]byte) { n++ })
	return n
}
