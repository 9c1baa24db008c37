// Package oauth signs pdx in to Pipedrive with OAuth 2.0 and keeps the
// access token fresh.
//
// It has two halves, neither of which draws any UI (callers render):
//
//   - Login runs the authorization-code flow for the user's own Pipedrive app:
//     a random state, a one-shot loopback callback server on 127.0.0.1
//     (DefaultRedirectURI, port DefaultCallbackPort, because Pipedrive matches
//     the callback URL exactly), or a pasted redirect URL / bare code where no
//     browser can reach the loopback (SSH). It can also validate an existing
//     refresh token instead (the old Airbyte connector took one).
//   - Source is a client.Auth (Authorize, BaseURL, Unauthorized, Secrets): it
//     refreshes before expiry, allows one refresh at a time across concurrent
//     streams, and hands every rotated token set to a Persist callback BEFORE
//     the new access token is used, so a crash right after a refresh never
//     loses the only valid refresh token.
//   - SystemBrowser and LinePrompt are ready-made OpenBrowser / Prompt
//     callbacks for the CLI (the TUI supplies its own Prompt).
//
// Errors are *Error values matched with errors.Is against ErrRefreshRejected,
// ErrClientRejected, ErrCodeRejected, ErrStateMismatch, ErrAccessDenied,
// ErrPortBusy, ErrPersist, ErrTransient, ErrInsecureAPIDomain, ErrBadInput;
// NeedsLogin(err) groups the ones only a new login fixes.
//
// Token requests use golang.org/x/oauth2 with HTTP Basic client
// authentication and a form body, as Pipedrive requires. Errors never contain
// a token, code or client secret: messages are built from status codes and
// RFC 6749 error codes, and anything echoed from the server is scrubbed.
package oauth
