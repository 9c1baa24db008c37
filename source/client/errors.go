package client

import (
	"context"
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
	// Statuses only the user can fix say how, in the message itself: the
	// CLI, the logs and the Airbyte platform show nothing else.
	if c := statusClass(e.Status); c.UserMustFix() {
		msg += " (" + c.Advice() + ")"
	}
	return msg
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

// Class is what can be done about an error. Classify is the one place
// that decides it: the engine's and the Airbyte connector's failure types
// and the advice the UI and the CLI give all derive from it.
type Class int

const (
	ClassUnknown    Class = iota // a bug or an unexpected answer: report it
	ClassAuth                    // 401, or an OAuth grant only a new login fixes
	ClassAccount                 // 402: the company account is inactive or unpaid
	ClassPermission              // 403: the user or plan lacks permission (or a 429 block)
	ClassNotFound                // 404: a wrong endpoint or company address
	ClassRetired                 // 410: Pipedrive retired the endpoint
	ClassBudget                  // the daily API token budget is used up
	ClassBusy                    // 429 after the retries, or 5xx
	ClassNetwork                 // the network or the OAuth server failed after the retries
	ClassTimeout                 // a deadline passed (context.DeadlineExceeded)
	ClassCanceled                // the run was stopped (context.Canceled)
)

var classNames = [...]string{"unknown", "auth", "account", "permission", "not_found", "retired", "budget", "busy", "network", "timeout", "canceled"}

func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("Class(%d)", int(c))
	}
	return classNames[c]
}

// UserMustFix reports the classes only the user can fix (credentials,
// account, permissions, plan, a wrong base URL): Airbyte's config_error.
func (c Class) UserMustFix() bool { return c >= ClassAuth && c <= ClassRetired }

// Transient reports the classes where trying again later may succeed:
// Airbyte's transient_error.
func (c Class) Transient() bool { return c >= ClassBudget && c <= ClassCanceled }

// Advice says, in a sentence for a person, what to do about a Pipedrive
// answer of class c ("" for classes whose advice depends on more than the
// class: the budget's reset time, a file's path).
func (c Class) Advice() string {
	switch c {
	case ClassAuth:
		return "Pipedrive rejected the credentials. Create a new API token in Pipedrive > Personal preferences > API and connect again, or sign in again with OAuth"
	case ClassAccount:
		return "Pipedrive says the company account is inactive or unpaid. Check the subscription in Pipedrive, then try again"
	case ClassPermission:
		return "Pipedrive refused access to this data: the user or plan may lack permission, or Pipedrive is blocking for a while after too many requests. Check the user's permissions, or wait a few minutes and try again"
	case ClassNotFound:
		return "Pipedrive did not find this address. Check the company's API address in the profile (api_base_url), or leave it empty for api.pipedrive.com"
	case ClassRetired:
		return "Pipedrive has retired this part of its API. Update pdx"
	case ClassBusy:
		return "Pipedrive is busy or having trouble right now. Try again in a few minutes; what was fetched is saved"
	case ClassNetwork:
		return "Could not reach Pipedrive (a network problem). Check your internet connection and try again; what was fetched is saved"
	case ClassTimeout:
		return "Pipedrive did not answer in time. Check your internet connection and try again"
	}
	return ""
}

func statusClass(status int) Class {
	switch {
	case status == http.StatusUnauthorized:
		return ClassAuth
	case status == http.StatusPaymentRequired:
		return ClassAccount
	case status == http.StatusForbidden:
		return ClassPermission
	case status == http.StatusNotFound:
		return ClassNotFound
	case status == http.StatusGone:
		return ClassRetired
	case status == http.StatusTooManyRequests || status >= 500:
		return ClassBusy
	}
	return ClassUnknown
}

// Classify says what can be done about err. Errors of other packages take
// part through methods, so this package imports none of them:
// NeedsLogin() bool (an OAuth grant only a new login fixes) and
// Temporary() bool (the OAuth server may answer later).
func Classify(err error) Class {
	if err == nil {
		return ClassUnknown
	}
	var be *BudgetError
	var ae *APIError
	var te *TransportError
	var login interface{ NeedsLogin() bool }
	var temp interface{ Temporary() bool }
	switch {
	case errors.As(err, &be):
		return ClassBudget
	case errors.As(err, &ae):
		return statusClass(ae.Status)
	case errors.As(err, &login) && login.NeedsLogin():
		return ClassAuth
	case errors.As(err, &te):
		return ClassNetwork
	case errors.Is(err, context.DeadlineExceeded): // before Temporary, which it has too
		return ClassTimeout
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.As(err, &temp) && temp.Temporary():
		return ClassNetwork
	}
	return ClassUnknown
}

// IsAuth reports whether err means the credentials were rejected (a 401,
// or an OAuth grant only a new login fixes).
func IsAuth(err error) bool { return Classify(err) == ClassAuth }

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
func IsConfig(err error) bool { return Classify(err).UserMustFix() }

// IsTransient reports whether trying again later may succeed: 429, 5xx,
// network failures, an exhausted daily budget, a deadline or a stop.
func IsTransient(err error) bool { return Classify(err).Transient() }

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
