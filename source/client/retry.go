package client

// The request loop: send, classify the answer, retry what is transient.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/pdxhq/pdx/source/internal/jsonscan"
)

// Get sends one paced, retried GET and returns the answer once its body is
// valid JSON. cost is the operation's x-token-cost (for the budget meter).
func (c *Client) Get(ctx context.Context, v Version, path string, q url.Values, cost int) (*Response, error) {
	return c.do(ctx, v, path, q, cost, func(body []byte) error {
		if !json.Valid(body) {
			return notJSON(body)
		}
		return nil
	})
}

// errTruncated is a 2xx body that is not valid JSON: cut short by a reset
// or a proxy, or damaged. Retried; it fails the request when it persists.
var errTruncated = errors.New("response body is not valid JSON (truncated or malformed)")

// errHTML is a 2xx answer that is a web page: a captive portal, a proxy's
// error page, or Cloudflare's challenge after too many requests. Retried
// like a truncated body (Cloudflare lets go after a while).
var errHTML = errors.New("the answer is an HTML page instead of JSON (often a proxy, or Cloudflare after too many requests)")

// notJSON says which of the two an invalid body is.
func notJSON(body []byte) error {
	if i := jsonscan.SkipSpace(body, 0); i < len(body) && body[i] == '<' {
		return errHTML
	}
	return errTruncated
}

// do runs the request loop. check validates a 2xx body; a failure counts as a
// truncated body and is retried.
func (c *Client) do(ctx context.Context, v Version, path string, q url.Values, cost int, check func([]byte) error) (*Response, error) {
	retries, n429, reauthed := 0, 0, false
	for attempt := 1; ; attempt++ {
		// Built on every attempt: after an OAuth refresh the API domain may
		// have changed, and the retry must go to the new one.
		u, op, err := c.endpoint(v, path, q)
		if err != nil {
			return nil, err
		}
		if err := c.preflight(ctx, op, cost); err != nil {
			return nil, err
		}
		probe, err := c.awaitLearned(ctx)
		if err != nil {
			c.release(cost)
			return nil, err
		}
		sl, err := c.pace(ctx, op)
		if err != nil {
			c.release(cost)
			if probe {
				c.learnedOnce.Do(func() { close(c.learned) })
			}
			return nil, err
		}
		resp, err := c.send(ctx, u, sl)
		if probe {
			c.learnedOnce.Do(func() { close(c.learned) })
		}
		if ae := (*authorizeError)(nil); errors.As(err, &ae) && !ae.temporary() {
			// A credential that cannot be had (revoked OAuth grant, failed
			// save) will not appear by retrying: say so at once.
			c.release(cost)
			return nil, err
		}
		charged := chargedCost(cost, resp)
		c.spend(ctx, cost, charged, resp)
		var transient error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			transient = err
			c.observe(ctx, Observation{Kind: ObsRequest, Op: op, Cost: charged, Attempt: attempt, Err: c.scrubErr(err)})
		default:
			c.observe(ctx, Observation{Kind: ObsRequest, Op: op, Status: resp.Status, Bytes: len(resp.Body), Cost: charged, Attempt: attempt})
			switch {
			case resp.Status >= 200 && resp.Status < 300:
				if cerr := check(resp.Body); cerr != nil {
					if errors.Is(cerr, errNotList) {
						// A complete answer of the wrong shape comes back the
						// same on a retry: an unexpected answer, not transient.
						return nil, fmt.Errorf("%s: unexpected answer: %w", op, cerr)
					}
					transient = cerr
					break
				}
				return resp, nil
			case resp.Status == http.StatusUnauthorized:
				if !reauthed && c.opts.Auth.Unauthorized(ctx) {
					reauthed = true
					continue
				}
				return nil, c.apiError(op, resp)
			case resp.Status == http.StatusTooManyRequests:
				if c.dailyExhausted(resp.Header) {
					return nil, c.exhaust(ctx, op)
				}
				n429++
				if n429 > c.opts.Max429 {
					return nil, c.apiError(op, resp)
				}
				wait := c.resetWait(resp.Header)
				c.pauseFor(wait)
				c.observe(ctx, Observation{Kind: ObsWait, Op: op, Status: 429, Wait: wait, Reason: "429", Attempt: attempt})
				continue // pace() waits out the pause for every caller
			case resp.Status >= 300 && resp.Status < 400:
				return nil, c.redirectError(op, resp)
			case resp.Status >= 500:
				transient = c.apiError(op, resp)
			default:
				return nil, c.apiError(op, resp)
			}
		}
		retries++
		if retries > c.opts.MaxRetries {
			var ae *APIError
			if errors.As(transient, &ae) {
				return nil, ae
			}
			return nil, &TransportError{Op: op, Err: c.scrubErr(transient)}
		}
		wait := c.backoff(retries)
		c.observe(ctx, Observation{Kind: ObsRetry, Op: op, Attempt: attempt, Err: c.scrubErr(transient), Wait: wait})
		c.observe(ctx, Observation{Kind: ObsWait, Op: op, Wait: wait, Reason: "retry", Attempt: attempt})
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) send(ctx context.Context, u *url.URL, sl *slot) (*Response, error) {
	stall := c.newStallGuard(ctx) // see stall.go
	defer stall.stop()
	req, err := http.NewRequestWithContext(stall.ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if err := c.opts.Auth.Authorize(req); err != nil {
		return nil, &authorizeError{err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	hr, err := c.hc.Do(req)
	if err != nil {
		// url.Error repeats the whole URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, stall.explain(err)
	}
	defer hr.Body.Close()
	answered := c.clock.Now()
	stall.progress()
	body, err := readBody(hr.ContentLength, stall.reader(hr.Body))
	c.learn(sl, hr.StatusCode, hr.Header, answered)
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", stall.explain(err))
	}
	return &Response{Status: hr.StatusCode, Header: hr.Header, Body: body}, nil
}

// readBody reads the whole body; with a Content-Length it allocates once
// instead of growing (pages are ~1 MB).
func readBody(n int64, r io.Reader) ([]byte, error) {
	if n > 0 && n < 256<<20 {
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(r)
}

func (c *Client) apiError(op string, resp *Response) *APIError {
	return &APIError{Status: resp.Status, Op: op, Message: c.scrub(errorMessage(resp.Body))}
}

// backoff is exponential with full jitter in [d/2, d].
func (c *Client) backoff(retry int) time.Duration {
	d := c.opts.MinBackoff << (retry - 1)
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
