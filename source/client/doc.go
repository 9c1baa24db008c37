// Package client talks HTTP to Pipedrive for the source engine.
//
// It owns everything that is about the wire and nothing about streams:
//   - authorisation through an Auth (an API token goes only in the
//     x-api-token header, never in a URL; OAuth implements the same interface);
//   - one rate limiter shared by every caller, paced under the rolling
//     2-second burst window learned from x-ratelimit-limit (it starts at the
//     lowest plan: 20 requests per 2 s for a token, 80 for OAuth);
//   - 429 handling (wait x-ratelimit-reset seconds, which is relative),
//     retries with exponential backoff and jitter on 5xx, connection errors
//     and truncated bodies;
//   - the daily token budget meter (x-daily-ratelimit-token-* headers, and the
//     spec's x-token-cost of each operation when the headers are missing); once
//     the budget is gone every call fails fast with a *BudgetError;
//   - v1 offset (start/limit) and v2 cursor pagination, yielding pages whose
//     records are raw JSON (json.RawMessage), never decoded into structs.
//
// Stable API (other packages build on it): Auth, TokenAuth, Options, New,
// Client.Get, Client.Pages, Client.Me, Client.Budget, Version (V1, V2),
// Paging (V2Cursor, V1Offset, NoPaging), PageRequest, Page, Response, Me,
// Budget, Observation, WithObserver, APIError, BudgetError, IsAuth,
// IsBudgetExhausted, IsConfig, IsTransient.
//
// Errors never contain the token: requests carry it only in a header and the
// error messages are built from the method, the path (without query values
// that could carry secrets) and the API's own error text.
package client
