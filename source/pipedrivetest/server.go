package pipedrivetest

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a running simulated Pipedrive.
type Server struct {
	opts     Options
	ln       net.Listener
	srv      *http.Server
	url      string
	mu       sync.Mutex
	now      time.Time
	token    string
	clientID string
	secret   string
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

// Start starts a simulator listening on opts.Addr.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Now.IsZero() {
		opts.Now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, ln: ln, now: opts.Now.UTC()}
	s.url = "http://" + ln.Addr().String()
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
	})
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	s.srv = &http.Server{Handler: h}
	go s.srv.Serve(ln)
	return s, nil
}

var errTODO = errors.New("pipedrivetest: not implemented yet")

func (s *Server) URL() string                                  { return s.url }
func (s *Server) Close()                                       { s.srv.Close() }
func (s *Server) Token() string                                { return s.token }
func (s *Server) OAuthClient() (clientID, clientSecret string) { return s.clientID, s.secret }
func (s *Server) Now() time.Time                               { s.mu.Lock(); defer s.mu.Unlock(); return s.now }
func (s *Server) Advance(d time.Duration)                      { s.mu.Lock(); s.now = s.now.Add(d); s.mu.Unlock() }
func (s *Server) Insert(entity string) string                  { return "" }
func (s *Server) Update(entity, id string) error               { return errTODO }
func (s *Server) Delete(entity, id string) error               { return errTODO }
func (s *Server) Archive(entity, id string) error              { return errTODO }
func (s *Server) Count(entity string) int                      { return 0 }
func (s *Server) Records(entity string) []json.RawMessage      { return nil }
func (s *Server) SetDealProducts(dealID string, n int) error   { return errTODO }
func (s *Server) Requests() []Request                          { return nil }
func (s *Server) ResetRequests()                               {}
func (s *Server) Fault(f Fault)                                {}
func (s *Server) ClearFaults()                                 {}
func (s *Server) Budget() (limit, remaining int64)             { return 0, 0 }
func (s *Server) SetStatus(status int)                         {}
func (s *Server) RevokeRefreshTokens()                         {}
