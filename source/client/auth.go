package client

// How requests are authorised, and how secrets are kept out of errors.

import (
	"context"
	"errors"
	"net/http"
	"strings"
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

// authorizeError is a failure of Auth.Authorize. It is retried only when
// the cause says it is temporary (a network error reaching the OAuth server).
type authorizeError struct{ err error }

func (e *authorizeError) Error() string { return "authorize request: " + e.err.Error() }
func (e *authorizeError) Unwrap() error { return e.err }

func (e *authorizeError) temporary() bool {
	var t interface{ Temporary() bool }
	return errors.As(e.err, &t) && t.Temporary()
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
