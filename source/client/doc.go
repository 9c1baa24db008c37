// Package client talks HTTP to Pipedrive for the source engine.
//
// It owns everything that is about the wire and nothing about streams:
//   - authorisation through an Auth (an API token goes only in the
//     x-api-token header, never in a URL; OAuth implements the same interface);
//   - one pacing shared by every caller: even spacing at the full burst
//     limit learned from x-ratelimit-limit (it starts at the lowest plan: 20
//     requests per 2 s for a token, 80 for OAuth) under a log of our
//     requests in the rolling 2-second window, less what other clients of
//     the token use (x-ratelimit-remaining tells); callers ready at once are
//     served by rank (WithPriority: the engine's oldest stream first);
//   - 429 handling (wait x-ratelimit-reset seconds, which is relative),
//     retries with exponential backoff and jitter on 5xx, connection errors
//     and truncated bodies;
//   - the daily token budget meter (x-daily-ratelimit-token-* headers, and the
//     spec's x-token-cost of each operation when the headers are missing); once
//     the budget is gone every call fails fast with a *BudgetError;
//   - v1 offset (start/limit) and v2 cursor pagination, yielding pages whose
//     records are raw JSON (json.RawMessage), never decoded into structs but
//     validated as they are split (jsonscan), so a malformed 200 is retried
//     like a truncated one;
//   - whole or loud (guard.go, redirect.go, stall.go): an empty page that says
//     more follow, a cursor cycle, overlapping offsets, a repeated page or an
//     endless list fail the read; redirects are never followed (the token
//     would go along); a response silent for StallTimeout is given up.
//
// Stable API (other packages build on it): Auth (+ optional Redactor),
// TokenAuth, Options, New, Client.Get, Client.Pages (one page prefetched
// while the caller handles the current one), Client.Me, Client.Budget,
// Client.BurstLimit, Version (V1, V2), Paging (V2Cursor, V1Offset,
// NoPaging), PageRequest, Page, Response, Me, Budget, Observation
// (ObsRequest, ObsWait, ObsRetry, ObsBudget), WithObserver, WithPriority, APIError,
// BudgetError, TransportError, PagingError, NoRedirects, IsAuth, IsBudgetExhausted, BudgetResetAt,
// IsConfig, IsTransient, IsLoopback, DefaultBaseURL, LowestTokenBurst,
// LowestOAuthBurst, DefaultMaxRecords, DefaultStallTimeout.
//
// Every wait (pacing, backoff, 429 pauses) and the budget's reset date run on
// Options.Clock (clock.Real by default): tests pass a clock.Fake, or run in a
// testing/synctest bubble, and wait for nothing. The files follow the
// concerns: auth.go, pacing.go, retry.go, budget.go, observe.go, pages.go,
// guard.go, redirect.go, stall.go.
//
// The first request of a client goes alone (a probe): the others wait for
// its x-ratelimit-limit, so no request is reserved at the lowest plan's slow
// pace and then overlaps the learned one. A request holds its place in our
// log of the window from when it is sent until a window later, plus by how
// much its round trip exceeded the fastest seen (and never past a window
// after its answer): the server counts it from its arrival, somewhere in
// between, so the log fills the window without crossing it.
// Refused requests (429, 401) are not charged to the budget meter.
//
// Errors never contain the token: requests carry it only in a header and the
// error messages are built from the method, the path (without query values
// that could carry secrets) and the API's own error text.
package client
