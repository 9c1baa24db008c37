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
)

// Server is a running simulated Pipedrive.
type Server struct {
	opts Options
	ln   net.Listener
	srv  *http.Server
	url  string

	// Lock order: data before mu. data guards the world (records and
	// overlays) so pages render concurrently under RLock; mu guards the
	// clock, credentials, limits, faults and the log.
	data     sync.RWMutex
	w        *world
	mu       sync.Mutex
	now      time.Time
	wallNow  func() time.Time // real clock of the burst window (tests fake it)
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
		bursts: map[string]*burst{}, wallNow: time.Now}
	s.w = newWorld(opts)
	limit := opts.DailyBudget
	if limit <= 0 {
		limit = 30000 * mult * int64(opts.Seats)
	}
	s.budget = budget{limit: limit, remaining: limit, day: dayOf(opts.Now)}
	s.token = hexKey(opts.Seed, "api-token")
	s.clientID = hexKey(opts.Seed, "client-id")[:16]
	s.secret = hexKey(opts.Seed, "client-secret")
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	s.ln = ln
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

// Close stops the server and closes its connections.
func (s *Server) Close() { s.srv.Close() }

// Token is a valid API token (send it as the x-api-token header).
func (s *Server) Token() string { return s.token }

// OAuthClient returns the registered OAuth app's credentials.
func (s *Server) OAuthClient() (clientID, clientSecret string) { return s.clientID, s.secret }

// Now is the simulated clock.
func (s *Server) Now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }

// Advance moves the simulated clock forward (record timestamps, token
// expiry, the daily budget). The burst window runs on real time.
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
	case "/oauth/authorize":
		s.handleAuthorize(w, r)
		return
	case "/oauth/token":
		s.handleToken(w, r)
		return
	}
	ver, rest := splitVersion(r.URL.Path)
	entry := Request{Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.RawQuery)}
	status, cost, body, fault := s.handleAPI(w, r, ver, rest, &entry)
	entry.Status, entry.Cost = status, cost
	s.mu.Lock()
	if len(s.log) >= maxLog {
		// keep memory flat on long runs: drop the older half
		s.log = append(s.log[:0], s.log[len(s.log)/2:]...)
	}
	s.log = append(s.log, entry)
	s.mu.Unlock()
	if body == nil {
		return // already written (HTML)
	}
	if fault != nil {
		s.deliverFault(w, r, fault, status, *body)
	} else {
		writeJSON(w, status, *body)
	}
	bufPool.Put(body)
}

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

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request, ver int, rest string, entry *Request) (status, cost int, body *[]byte, fault *faultState) {
	bp := bufPool.Get()
	set := func(st int, b []byte) (int, int, *[]byte, *faultState) {
		*bp = append((*bp)[:0], b...)
		return st, 0, bp, nil
	}
	s.mu.Lock()
	s.budget.roll(s.now)
	who, kind, authed := s.authenticate(r)
	entry.Auth, entry.Time = kind, s.now
	if !authed {
		s.mu.Unlock()
		return set(http.StatusUnauthorized, []byte(body401))
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
		b = &burst{}
		s.bursts[who] = b
	}
	allowed, remaining, reset := b.take(s.wallNow(), limit)
	hd := w.Header()
	hd.Set("x-ratelimit-limit", strconv.Itoa(limit))
	hd.Set("x-ratelimit-remaining", strconv.Itoa(remaining))
	hd.Set("x-ratelimit-reset", strconv.Itoa(reset))
	daily := func() {
		hd.Set("x-daily-ratelimit-token-limit", strconv.FormatInt(s.budget.limit, 10))
		hd.Set("x-daily-ratelimit-token-remaining", strconv.FormatInt(s.budget.remaining, 10))
	}
	if !allowed {
		daily()
		sustained := kind != "oauth" && b.rejected > 3*limit
		s.mu.Unlock()
		if sustained {
			// API-token traffic that keeps hammering after 429s meets Cloudflare.
			hd.Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(html403))
			bufPool.Put(bp)
			return http.StatusForbidden, 0, nil, nil
		}
		return set(http.StatusTooManyRequests, []byte(`{"success":false,"error":"Rate limit exceeded: too many requests in a 2 second window","errorCode":429}`))
	}
	rt, params := match(ver, rest)
	if rt != nil && kind != "oauth" && strings.HasPrefix(r.URL.Path, "/api/v1/") && tokenless404[strings.SplitN(rest, "/", 3)[1]] {
		rt = nil // reported: these answer 404 on /api/v1 to API tokens (use /v1)
	}
	if rt == nil {
		daily()
		s.mu.Unlock()
		return set(http.StatusNotFound, errBody(404, "Unknown method ."))
	}
	if s.budget.remaining < int64(rt.cost) {
		s.budget.remaining = 0
		daily()
		s.mu.Unlock()
		return set(http.StatusTooManyRequests, []byte(`{"success":false,"error":"Daily token budget exceeded: the company's API token budget for today is used up and resets at midnight","errorCode":429}`))
	}
	s.budget.remaining -= int64(rt.cost)
	daily()
	if s.status != 0 {
		st := s.status
		s.mu.Unlock()
		st2, _, bb, _ := set(st, errBody(st, http.StatusText(st)))
		return st2, rt.cost, bb, nil
	}
	f := s.takeFault(canonicalPath(ver, rest))
	if f != nil {
		switch f.Kind {
		case FaultStatus:
			s.mu.Unlock()
			st, _, bb, _ := set(f.Status, errBody(f.Status, http.StatusText(f.Status)))
			return st, rt.cost, bb, nil
		case FaultExpireToken:
			s.mu.Unlock()
			st, _, bb, _ := set(http.StatusUnauthorized, []byte(body401))
			return st, rt.cost, bb, nil
		case FaultHTML403:
			s.mu.Unlock()
			hd.Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(html403))
			bufPool.Put(bp)
			return http.StatusForbidden, rt.cost, nil, nil
		}
	}
	if r.Method != http.MethodGet {
		s.mu.Unlock()
		st, _, bb, _ := set(http.StatusMethodNotAllowed, errBody(405, "The simulator serves read endpoints only"))
		return st, rt.cost, bb, nil
	}
	c := &call{s: s, w: s.w, q: r.URL.Query(), params: params, path: canonicalPath(ver, rest), now: s.now, buf: (*bp)[:0]}
	s.mu.Unlock()
	s.data.RLock()
	st := rt.h(c)
	s.data.RUnlock()
	*bp = c.buf
	return st, rt.cost, bp, f
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

var errNotFound = errors.New("pipedrivetest: no such record")

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
