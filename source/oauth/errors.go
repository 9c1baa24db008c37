package oauth

import (
	"errors"
	"strings"
)

// Kinds of failure. Match them with errors.Is; the message of the error
// returned is the user-facing explanation.
var (
	// ErrRefreshRejected: Pipedrive refused the refresh token (revoked, the
	// app was uninstalled, or unused for 60 days). Only a new login helps.
	ErrRefreshRejected = errors.New("oauth: refresh token rejected")
	// ErrClientRejected: the token endpoint refused the client id/secret.
	ErrClientRejected = errors.New("oauth: client credentials rejected")
	// ErrCodeRejected: the authorization code was refused (expired, used
	// twice, or a redirect URI that differs from the app's callback URL).
	ErrCodeRejected = errors.New("oauth: authorization code rejected")
	// ErrStateMismatch: the callback's state is not this login's.
	ErrStateMismatch = errors.New("oauth: state mismatch")
	// ErrAccessDenied: the user declined the app in Pipedrive's consent page.
	ErrAccessDenied = errors.New("oauth: access denied by the user")
	// ErrPortBusy: the loopback callback port is already in use.
	ErrPortBusy = errors.New("oauth: callback port busy")
	// ErrPersist: a rotated token set could not be saved, so it is not used.
	ErrPersist = errors.New("oauth: could not persist rotated tokens")
	// ErrTransient: the token endpoint failed in a way worth retrying later
	// (network, 429, 5xx).
	ErrTransient = errors.New("oauth: token endpoint temporarily unavailable")
	// ErrInsecureAPIDomain: the token response named an api_domain that is
	// not https (loopback hosts excepted); tokens are never sent there.
	ErrInsecureAPIDomain = errors.New("oauth: insecure api_domain")
	// ErrBadInput: a pasted URL/code or an option is unusable.
	ErrBadInput = errors.New("oauth: bad input")
)

// Error is every failure this package reports. Msg is safe to show: it
// never contains a token, code or secret.
type Error struct {
	Kind   error // one of the Err* sentinels (nil for an unclassified failure)
	Msg    string
	Status int // HTTP status of the token endpoint, when there was one
}

func (e *Error) Error() string { return e.Msg }

// Temporary reports whether retrying later may help; the client's retry
// loop can use it to fail fast on an Authorize error that only a new login
// fixes (a revoked refresh token) instead of backing off five times.
func (e *Error) Temporary() bool { return e.Kind == ErrTransient }

// NeedsLogin reports whether only a new login fixes e; with Temporary it
// lets client.Classify place OAuth failures without importing this package.
func (e *Error) NeedsLogin() bool { return NeedsLogin(e) }

// Is lets errors.Is(err, ErrRefreshRejected) etc. match.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// NeedsLogin reports whether only a new `pdx auth login --oauth` (or, on the
// Airbyte platform, re-authenticating the source) can fix err. Callers map it
// to a config error (Airbyte failure_type config_error, exit code "usage").
func NeedsLogin(err error) bool {
	return errors.Is(err, ErrRefreshRejected) || errors.Is(err, ErrClientRejected) ||
		errors.Is(err, ErrCodeRejected) || errors.Is(err, ErrInsecureAPIDomain)
}

// IsTransient reports whether trying again later may succeed.
func IsTransient(err error) bool { return errors.Is(err, ErrTransient) }

// scrub removes every secret from s. Secrets shorter than 4 characters are
// ignored so that a degenerate value cannot blank out whole messages.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// safeCode keeps an RFC 6749 error code printable and short: it is echoed
// in messages, so anything unexpected from the server is dropped.
func safeCode(c string) string {
	if len(c) > 64 {
		return ""
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return ""
		}
	}
	return c
}
