package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/store/secret"
)

// Explain's table moved here from tui/wire with its assertions.
func TestExplain(t *testing.T) {
	reset := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"401", fmt.Errorf("fetch deals page: %w", &client.APIError{Status: 401, Op: "GET /api/v2/deals"}), "Personal preferences > API"},
		{"402", &client.APIError{Status: 402}, "inactive or unpaid"},
		{"403", &client.APIError{Status: 403}, "permission"},
		{"404", &client.APIError{Status: 404}, "did not find"},
		{"500", &client.APIError{Status: 503}, "busy or having trouble"},
		{"budget", fmt.Errorf("stream deals: %w", &client.BudgetError{Limit: 30000, ResetAt: reset}), "daily Pipedrive API budget is used up"},
		{"network", &client.TransportError{Op: "GET /v1/users/me", Err: errors.New("connection refused")}, "network problem"},
		{"no credentials", fmt.Errorf("run: %w", ErrNoCredentials), "Connect with an API token"},
		{"not found secret", secret.ErrNotFound, "Connect with an API token"},
		{"timeout", fmt.Errorf("check: %w", context.DeadlineExceeded), "did not answer in time"},
		{"disk full", &fs.PathError{Op: "write", Path: "/x/deals.jsonl", Err: syscall.ENOSPC}, "disk is full"},
		{"permission", &fs.PathError{Op: "mkdir", Path: "/root/out", Err: fs.ErrPermission}, "not allowed to write there (/root/out)"},
		{"missing folder", fmt.Errorf("open writer: %w", &fs.PathError{Op: "mkdir", Path: "/proc/nope", Err: syscall.ENOENT}), "pdx could not create the folder /proc/nope (a folder on the way does not exist)"},
		{"unknown", fmt.Errorf("open writer: mkdir out: %w", errors.New("not a directory")), "Something unexpected went wrong: mkdir out: not a directory. Try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain(tt.err)
			if !strings.Contains(got, tt.want) {
				t.Errorf("Explain = %q, want it to contain %q", got, tt.want)
			}
			if strings.Contains(got, "HTTP 4") || strings.Contains(got, "fetch deals page") {
				t.Errorf("raw error text leaked: %q", got)
			}
		})
	}
	if Explain(nil) != "" {
		t.Error("Explain(nil) should be empty")
	}
}

// An OAuth grant only a new login fixes is the same class as a 401, so it
// gets the same advice; a refused OAuth server is a network problem.
func TestExplainOAuth(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&oauth.Error{Kind: oauth.ErrRefreshRejected, Msg: "oauth: the refresh token was rejected"}, "Personal preferences > API"},
		{fmt.Errorf("authorize request: %w", &oauth.Error{Kind: oauth.ErrTransient, Msg: "oauth: token endpoint unavailable"}), "network problem"},
	}
	for _, tt := range tests {
		if got := Explain(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("Explain(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// Hint adds a line only where the error's own text does not say what to
// do: never to Pipedrive's answers or the sign-in's errors (which carry
// their advice), never a vague guess to an unknown error.
func TestHint(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" : no hint
	}{
		{"401 carries its advice", fmt.Errorf("read deals: %w", &client.APIError{Status: 401, Op: "GET /api/v2/deals"}), ""},
		{"503 carries its advice", &client.APIError{Status: 503}, ""},
		{"budget carries its advice", &client.BudgetError{Limit: 30000}, ""},
		{"oauth carries its advice", &oauth.Error{Kind: oauth.ErrStateMismatch, Msg: "oauth: the state does not match this login"}, ""},
		{"unknown", errors.New("boom"), ""},
		{"stopped", context.Canceled, ""},
		{"disk full", fmt.Errorf("write deals: %w", &fs.PathError{Op: "write", Path: "/x/deals.jsonl", Err: syscall.ENOSPC}), "disk is full"},
		{"missing folder", &fs.PathError{Op: "mkdir", Path: "/proc/nope", Err: syscall.ENOENT}, "pdx could not create the folder /proc/nope"},
		{"no credentials", fmt.Errorf("run: %w", ErrNoCredentials), "Connect with an API token"},
		{"network", &client.TransportError{Op: "GET /v1/users/me", Err: errors.New("connection refused")}, "network problem"},
		{"timeout", fmt.Errorf("check: %w", context.DeadlineExceeded), "did not answer in time"},
		{"not logged in says how", &NotLoggedInError{Profile: "acme"}, ""},
		{"not logged in, keyring unreachable", &NotLoggedInError{Profile: "acme", Unreachable: &secret.UnreachableError{File: "/c/secrets/acme.json", Err: errors.New(`exec: "dbus-launch"`)}},
			"could not be reached, so pdx looked only in /c/secrets/acme.json"},
	}
	for _, tt := range tests {
		got := Hint(tt.err)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s: Hint = %q, want %q", tt.name, got, tt.want)
		}
	}
}
