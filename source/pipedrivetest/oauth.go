package pipedrivetest

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const refreshTTL = 60 * 24 * time.Hour

type authCode struct {
	redirect string
	used     bool
}

type accessToken struct{ expires time.Time }

type refreshToken struct{ lastUsed time.Time }

func (s *Server) newSecret(prefix string) string {
	s.secretN++
	h := newHasher(s.opts.Seed, 0xA17, int64(s.secretN), 0)
	return prefix + strconv.FormatUint(h.next(), 36) + strconv.FormatUint(h.next(), 36)
}

// handleAuthorize answers GET /oauth/authorize: a consenting user, at once.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Get("client_id") != s.clientID {
		writeJSON(w, http.StatusBadRequest, []byte(`{"success":false,"message":"Invalid client_id","error":"invalid_client"}`))
		return
	}
	ru, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || ru.Scheme == "" || ru.Host == "" {
		writeJSON(w, http.StatusBadRequest, []byte(`{"success":false,"message":"Invalid redirect_uri","error":"invalid_request"}`))
		return
	}
	code := s.newSecret("code-")
	s.codes[code] = &authCode{redirect: q.Get("redirect_uri")}
	v := ru.Query()
	v.Set("code", code)
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	ru.RawQuery = v.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

func oauthErr(w http.ResponseWriter, status int, msg, code string) {
	b := openObj(nil)
	b.bool("success", false)
	b.str("message", msg)
	b.str("error", code)
	writeJSON(w, status, b.close())
}

// handleToken answers POST /oauth/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthErr(w, http.StatusMethodNotAllowed, "Method not allowed", "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil {
		oauthErr(w, http.StatusBadRequest, "Invalid form body", "invalid_request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || id != s.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret)) != 1 {
		oauthErr(w, http.StatusUnauthorized, "Invalid client credentials", "invalid_client")
		return
	}
	now := s.now
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c, ok := s.codes[r.PostForm.Get("code")]
		if !ok || c.used {
			oauthErr(w, http.StatusBadRequest, "Invalid grant: authorization code is invalid", "invalid_grant")
			return
		}
		if r.PostForm.Get("redirect_uri") != c.redirect {
			oauthErr(w, http.StatusBadRequest, "Invalid grant: redirect_uri does not match", "invalid_grant")
			return
		}
		c.used = true
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		st, ok := s.refresh[rt]
		if !ok || now.Sub(st.lastUsed) > refreshTTL {
			delete(s.refresh, rt)
			oauthErr(w, http.StatusBadRequest, "Invalid grant: refresh token is invalid", "invalid_grant")
			return
		}
		delete(s.refresh, rt) // rotation: the old refresh token is spent
	default:
		oauthErr(w, http.StatusBadRequest, "Unsupported grant type", "unsupported_grant_type")
		return
	}
	at := s.newSecret("at-")
	rt := s.newSecret("rt-")
	s.access[at] = &accessToken{expires: now.Add(s.opts.AccessTokenTTL)}
	s.refresh[rt] = &refreshToken{lastUsed: now}
	o := openObj(nil)
	o.str("access_token", at)
	o.str("token_type", "Bearer")
	o.int("expires_in", int64(s.opts.AccessTokenTTL/time.Second))
	o.str("refresh_token", rt)
	o.str("scope", "base,deals:read,contacts:read,activities:read,products:read,leads:read,users:read,mail:read,goals:read,projects:read")
	o.str("api_domain", s.url)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, o.close())
}

// RevokeRefreshTokens invalidates every refresh token (the user uninstalled
// the app); access tokens keep working until they expire.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = map[string]*refreshToken{}
}
