package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// recentRefresh: a 401 arriving this soon after a refresh is taken to be
// about the token that was just replaced (a request in flight during the
// refresh), so the request is retried with the new token instead of
// rotating again. Real (monotonic) time: it is about concurrency, not expiry.
const recentRefresh = 10 * time.Second

// Source keeps an access token valid and is the client.Auth for OAuth. It is
// safe for concurrent use; at most one refresh runs at a time.
type Source struct {
	cfg     Config
	persist func(Tokens) error

	// sem is held while refreshing or persisting; a channel rather than a
	// mutex so that waiting honours the caller's context.
	sem chan struct{}

	mu          sync.Mutex
	tok         Tokens
	pending     bool      // tok came from a refresh and is not persisted yet
	refreshedAt time.Time // wall+monotonic time of the last refresh
	sticky      error     // a refresh failure that retrying cannot fix
	refreshes   int
}

// NewSource starts from stored tokens (a Login result or what store/ or the
// Airbyte config kept). persist is called with every rotated token set and
// must save it durably (keyring, or a CONTROL message for Airbyte) before it
// returns; if it fails, the new access token is not used and every call
// fails until a later persist succeeds.
func NewSource(cfg Config, t Tokens, persist func(Tokens) error) (*Source, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if persist == nil {
		return nil, errors.New("oauth: NewSource needs a persist callback: rotated refresh tokens must be saved")
	}
	if t.RefreshToken == "" {
		return nil, &Error{Kind: ErrRefreshRejected, Msg: "oauth: no refresh token stored; " + cfg.LoginHint}
	}
	d, err := checkAPIDomain(t.APIDomain)
	if err != nil {
		return nil, err
	}
	t.APIDomain = d
	return &Source{cfg: cfg, persist: persist, sem: make(chan struct{}, 1), tok: t}, nil
}

// Current returns the tokens held now (possibly expired), for status
// displays and for callers that persist at the end of a run.
func (s *Source) Current() Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// Refreshes counts the refreshes this Source has done.
func (s *Source) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Err is the refresh failure that made this Source give up (a revoked
// refresh token, rejected client credentials), or nil. When the client
// reports a 401, callers show this instead: it says what to do.
func (s *Source) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sticky
}

func (s *Source) fresh(t Tokens) bool {
	if t.AccessToken == "" || t.Expiry.IsZero() {
		return false
	}
	return s.cfg.Now().Add(s.cfg.RefreshSkew).Before(t.Expiry)
}

// Token returns tokens whose access token is valid for at least RefreshSkew,
// refreshing (and persisting) first when needed.
func (s *Source) Token(ctx context.Context) (Tokens, error) {
	s.mu.Lock()
	t, ok := s.tok, !s.pending && s.sticky == nil && s.fresh(s.tok)
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	if err := s.lock(ctx); err != nil {
		return Tokens{}, err
	}
	defer s.unlock()
	// Another caller may have refreshed while we waited.
	return s.ensureLocked(ctx, false)
}

// Refresh forces a refresh now (e.g. `pdx auth status --refresh`, or
// validating stored tokens) and returns the persisted result.
func (s *Source) Refresh(ctx context.Context) (Tokens, error) {
	if err := s.lock(ctx); err != nil {
		return Tokens{}, err
	}
	defer s.unlock()
	return s.ensureLocked(ctx, true)
}

// ensureLocked runs with sem held.
func (s *Source) ensureLocked(ctx context.Context, force bool) (Tokens, error) {
	s.mu.Lock()
	t, pending, sticky := s.tok, s.pending, s.sticky
	s.mu.Unlock()
	if sticky != nil {
		return Tokens{}, sticky
	}
	if pending {
		if err := s.persistLocked(t); err != nil {
			return Tokens{}, err
		}
	}
	if !force && s.fresh(t) {
		return t, nil
	}
	nt, err := s.cfg.refresh(ctx, t.RefreshToken)
	if err != nil {
		if errors.Is(err, ErrRefreshRejected) || errors.Is(err, ErrClientRejected) || errors.Is(err, ErrInsecureAPIDomain) {
			s.mu.Lock()
			s.sticky = err
			s.mu.Unlock()
		}
		return Tokens{}, err
	}
	if nt.APIDomain == "" {
		nt.APIDomain = t.APIDomain
	}
	// Hold the new set in memory before persisting: the old refresh token
	// may already be dead at Pipedrive, so this set must never be dropped,
	// only withheld from use until it is saved.
	s.mu.Lock()
	s.tok, s.pending, s.refreshedAt = nt, true, time.Now()
	s.refreshes++
	s.mu.Unlock()
	if err := s.persistLocked(nt); err != nil {
		return Tokens{}, err
	}
	return nt, nil
}

func (s *Source) persistLocked(t Tokens) error {
	if err := s.persist(t); err != nil {
		msg := scrub(err.Error(), t.AccessToken, t.RefreshToken, s.cfg.ClientSecret)
		return &Error{Kind: ErrPersist, Msg: "oauth: Pipedrive rotated the refresh token but saving it failed, so the new access token is not used: " + msg}
	}
	s.mu.Lock()
	if s.tok == t {
		s.pending = false
	}
	s.mu.Unlock()
	return nil
}

func (s *Source) lock(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("oauth: waiting for a token refresh: %w", ctx.Err())
	}
}

func (s *Source) unlock() { <-s.sem }

// Authorize sets the Bearer token on req (header only, never the URL).
func (s *Source) Authorize(req *http.Request) error {
	t, err := s.Token(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	return nil
}

// BaseURL is the api_domain of the latest token ("" when none is known, so
// the client falls back to its own base URL). Validated https (or loopback).
func (s *Source) BaseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok.APIDomain
}

// Unauthorized is called by the client once after a 401: it refreshes
// (unless another caller just did) and reports whether to retry. It also
// says "retry" when the refresh failed for good (revoked refresh token,
// rejected client): the retry's Authorize then fails with that error, so the
// caller gets "log in again" through the client instead of a bare 401.
func (s *Source) Unauthorized(ctx context.Context) bool {
	if s.lock(ctx) != nil {
		return false
	}
	defer s.unlock()
	s.mu.Lock()
	recent := !s.refreshedAt.IsZero() && time.Since(s.refreshedAt) < recentRefresh
	s.mu.Unlock()
	if recent {
		// The 401 most likely hit the token that was just replaced; retry
		// with the new one (after making sure it is persisted).
		_, err := s.ensureLocked(ctx, false)
		return err == nil
	}
	_, err := s.ensureLocked(ctx, true)
	return err == nil || NeedsLogin(err)
}

// Secrets lists the values the client must scrub from any message: the
// client secret and the current tokens.
func (s *Source) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []string{s.cfg.ClientSecret, s.tok.AccessToken, s.tok.RefreshToken}
}

// String keeps secrets out of %v output.
func (s *Source) String() string { return "oauth.Source(redacted)" }

// GoString keeps secrets out of %#v output.
func (s *Source) GoString() string { return s.String() }
