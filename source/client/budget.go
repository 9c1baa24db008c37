package client

// The daily token budget: metered from the headers and the operations'
// costs, checked before each request.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reserve is the part of the company's daily budget pdx leaves to everyone
// else (other integrations and Pipedrive's own apps share it): a share of
// the daily limit, or a number of tokens. The zero Reserve reserves nothing.
type Reserve struct {
	Percent float64 // of the daily limit, 0..100
	Tokens  int64   // used instead of Percent when > 0
}

// DefaultReserve is what pdx leaves when nothing says otherwise.
var DefaultReserve = Reserve{Percent: 10}

// ParseReserve reads "10%" (of the daily limit) or "5000" (tokens); ""
// gives DefaultReserve, "0" no reserve.
func ParseReserve(s string) (Reserve, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultReserve, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v > 100 {
			return Reserve{}, fmt.Errorf("budget reserve %q: want a percentage from 0%% to 100%% or a number of tokens", s)
		}
		return Reserve{Percent: v}, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return Reserve{}, fmt.Errorf("budget reserve %q: want a percentage such as 10%% or a number of tokens such as 5000", s)
	}
	return Reserve{Tokens: v}, nil
}

// String is the reserve as ParseReserve reads it.
func (r Reserve) String() string {
	if r.Tokens > 0 {
		return strconv.FormatInt(r.Tokens, 10)
	}
	return strconv.FormatFloat(r.Percent, 'f', -1, 64) + "%"
}

// Of is the reserve in tokens for a daily limit (0 when the limit is not
// known and the reserve is a share of it).
func (r Reserve) Of(limit int64) int64 {
	if r.Tokens > 0 {
		return r.Tokens
	}
	if limit <= 0 || r.Percent <= 0 {
		return 0
	}
	return int64(float64(limit) * r.Percent / 100)
}

// Budget is the daily token budget as last seen, plus what this client spent.
type Budget struct {
	Known     bool // headers reported it at least once
	Limit     int64
	Remaining int64
	Exhausted bool
	ResetAt   time.Time
	Spent     int64 // tokens this client spent (spec costs of the requests sent)
}

// Budget returns the current budget meter.
func (c *Client) Budget() Budget {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.budget
}

// parseInt64Header returns the header's integer value.
func parseInt64Header(h http.Header, name string) (int64, bool) {
	s := h.Get(name)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// chargedCost is what a request costs the daily budget: refused requests
// (429, 401) are not charged; anything else that may have reached the API
// is, so the meter errs on the side of spending.
func chargedCost(cost int, resp *Response) int {
	if resp != nil && (resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusUnauthorized) {
		return 0
	}
	return cost
}

// spend updates the budget meter after a request: from the headers when
// present, else by the operation's cost.
func (c *Client) spend(ctx context.Context, cost int, resp *Response) {
	c.mu.Lock()
	b := &c.budget
	before := *b
	b.Spent += int64(cost)
	fromHeaders := false
	if resp != nil {
		if lim, ok := parseInt64Header(resp.Header, "x-daily-ratelimit-token-limit"); ok {
			b.Limit, b.Known = lim, true
		}
		if rem, ok := parseInt64Header(resp.Header, "x-daily-ratelimit-token-remaining"); ok {
			b.Remaining, b.Known, fromHeaders = rem, true, true
		}
	}
	if !fromHeaders && b.Known {
		b.Remaining -= int64(cost)
		if b.Remaining < 0 {
			b.Remaining = 0
		}
	}
	after := *b
	c.mu.Unlock()
	if after.Known && (after.Remaining != before.Remaining || after.Limit != before.Limit || !before.Known) {
		c.observe(ctx, Observation{Kind: ObsBudget, Budget: after})
	}
}

// dailyExhausted tells a budget 429 from a burst 429.
func (c *Client) dailyExhausted(h http.Header) bool {
	if rem, ok := parseInt64Header(h, "x-daily-ratelimit-token-remaining"); ok && rem <= 0 {
		return true
	}
	if rem, ok := parseInt64Header(h, "x-daily-requests-left"); ok && rem <= 0 {
		return true
	}
	return false
}

// preflight refuses to send a request the budget cannot pay for without
// going into the reserve (Options.Reserve) left to the company's others.
func (c *Client) preflight(ctx context.Context, op string, cost int) error {
	c.mu.Lock()
	b := c.budget
	reserve := c.opts.Reserve.Of(b.Limit)
	if !b.Exhausted && !(b.Known && b.Remaining-reserve < int64(cost)) {
		c.mu.Unlock()
		return nil
	}
	first := !b.Exhausted
	c.budget.Exhausted = true
	if c.budget.ResetAt.IsZero() {
		c.budget.ResetAt = nextMidnight(c.clock.Now())
	}
	b = c.budget
	c.mu.Unlock()
	if first {
		c.observe(ctx, Observation{Kind: ObsBudget, Op: op, Budget: b})
	}
	return &BudgetError{Op: op, Limit: b.Limit, ResetAt: b.ResetAt, Reserve: reserve, Remaining: b.Remaining}
}

func (c *Client) exhaust(ctx context.Context, op string) error {
	c.mu.Lock()
	c.budget.Exhausted = true
	c.budget.Known = true
	c.budget.Remaining = 0
	if c.budget.ResetAt.IsZero() {
		c.budget.ResetAt = nextMidnight(c.clock.Now())
	}
	b := c.budget
	c.mu.Unlock()
	c.observe(ctx, Observation{Kind: ObsBudget, Budget: b})
	return &BudgetError{Op: op, Limit: b.Limit, ResetAt: b.ResetAt}
}

// nextMidnight is when Pipedrive resets the daily budget (midnight server
// time; UTC is the best guess without a header saying otherwise).
func nextMidnight(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
