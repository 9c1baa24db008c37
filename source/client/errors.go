package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// APIError is a non-success HTTP answer from Pipedrive. Message comes from
// the response body's "error"/"error_info" (or the status text when the body
// is not Pipedrive JSON, e.g. an HTML page); it never contains the token.
type APIError struct {
	Status  int
	Message string
	Op      string // "GET /api/v2/deals" (no query string)
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: HTTP %d", e.Op, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		msg += " " + t
	}
	if e.Message != "" && !strings.EqualFold(e.Message, http.StatusText(e.Status)) {
		msg += ": " + e.Message
	}
	if hint := statusHint(e.Status); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// statusHint says what the user can do about a configuration-ish status.
func statusHint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "the API token or OAuth grant was rejected: create a new API token in Pipedrive > Personal preferences > API, or sign in again"
	case http.StatusPaymentRequired:
		return "the Pipedrive company account is inactive or unpaid"
	case http.StatusForbidden:
		return "this user or plan has no permission for this data; after many 429s Pipedrive also answers 403 for a while"
	case http.StatusNotFound:
		return "the endpoint or company domain was not found; check api_base_url"
	case http.StatusGone:
		return "Pipedrive retired this endpoint"
	}
	return ""
}

// BudgetError means the company's daily API token budget is used up: every
// further request would be refused until ResetAt, so the client stops
// instead of hammering.
type BudgetError struct {
	Op      string
	Limit   int64
	ResetAt time.Time
	// Reserve is the part of the budget kept for others (0: none) and
	// Remaining what was left when pdx stopped.
	Reserve, Remaining int64
}

func (e *BudgetError) Error() string {
	s := "daily Pipedrive API token budget exhausted"
	if e.Limit > 0 {
		s += fmt.Sprintf(" (%d tokens)", e.Limit)
	}
	if e.Reserve > 0 {
		s = fmt.Sprintf("daily Pipedrive API token budget down to the reserve: stopped with %d of %d tokens left for the company's other integrations", e.Remaining, e.Limit)
	}
	if !e.ResetAt.IsZero() {
		s += "; it resets at " + e.ResetAt.UTC().Format(time.RFC3339)
	}
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	return s + "; state is saved, run again after the reset"
}

// TransportError is a network failure or an unreadable/truncated response
// that persisted after the retries.
type TransportError struct {
	Op  string
	Err error
}

func (e *TransportError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// IsAuth reports whether err is a 401 from Pipedrive.
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized
}

// IsBudgetExhausted reports whether err is a *BudgetError (use errors.As for
// its ResetAt).
func IsBudgetExhausted(err error) bool {
	var be *BudgetError
	return errors.As(err, &be)
}

// BudgetResetAt returns when the exhausted budget comes back.
func BudgetResetAt(err error) (time.Time, bool) {
	var be *BudgetError
	if errors.As(err, &be) {
		return be.ResetAt, true
	}
	return time.Time{}, false
}

// IsConfig reports whether err is something the user must fix (credentials,
// account, permissions, plan, a wrong base URL): 401, 402, 403, 404, 410.
func IsConfig(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Status {
	case 401, 402, 403, 404, 410:
		return true
	}
	return false
}

// IsTransient reports whether trying again later may succeed: 429, 5xx,
// network failures, and an exhausted daily budget.
func IsTransient(err error) bool {
	if IsBudgetExhausted(err) {
		return true
	}
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status >= 500
	}
	return false
}

// errorMessage extracts Pipedrive's error text from a body, falling back to
// nothing for bodies that are not Pipedrive JSON (HTML from Cloudflare).
func errorMessage(body []byte) string {
	var env struct {
		Error     any    `json:"error"`
		ErrorInfo string `json:"error_info"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	msg := ""
	switch v := env.Error.(type) {
	case string:
		msg = v
	case map[string]any: // v2 sometimes nests {"message": ...}
		if m, ok := v["message"].(string); ok {
			msg = m
		}
	}
	if env.ErrorInfo != "" && env.ErrorInfo != msg {
		if msg != "" {
			msg += "; "
		}
		msg += env.ErrorInfo
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return msg
}
