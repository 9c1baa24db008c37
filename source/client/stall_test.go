package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// dripTransport answers every request with body, sent in chunks of size
// bytes, gap apart; after stallAfter bytes (if > 0) nothing more comes
// until the request is cancelled. Time is the synctest bubble's.
type dripTransport struct {
	body       string
	size       int
	gap        time.Duration
	stallAfter int
	requests   atomic.Int32
}

func (d *dripTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	d.requests.Add(1)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, ContentLength: int64(len(d.body)),
		Body: &drip{d: d, ctx: r.Context(), rest: d.body}, Request: r}, nil
}

type drip struct {
	d    *dripTransport
	ctx  context.Context
	rest string
	sent int
}

func (b *drip) Read(p []byte) (int, error) {
	if b.rest == "" {
		return 0, io.EOF
	}
	if b.d.stallAfter > 0 && b.sent >= b.d.stallAfter {
		<-b.ctx.Done() // the rest never comes
		return 0, b.ctx.Err()
	}
	if b.sent > 0 {
		select {
		case <-time.After(b.d.gap):
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		}
	}
	n := copy(p, b.rest[:min(b.d.size, len(b.rest))])
	b.rest, b.sent = b.rest[n:], b.sent+n
	return n, nil
}

func (b *drip) Close() error { return nil }

// TestStalledBodyIsGivenUp: a body that stops arriving is abandoned after
// StallTimeout (fake time in a bubble, no real waiting) and retried; one
// that keeps arriving slowly, for far longer in total, is read whole.
func TestStalledBodyIsGivenUp(t *testing.T) {
	body := `{"success":true,"data":[` + strings.Repeat(`{"id":1},`, 99) + `{"id":1}]}`
	for _, tt := range []struct {
		name       string
		stallAfter int
		gap        time.Duration
		wantErr    bool
	}{
		{"stalls mid-body", len(body) / 2, time.Second, true},
		{"slow but moving (a chunk every 20 s, 9 minutes in all)", 0, 20 * time.Second, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dt := &dripTransport{body: body, size: len(body)/27 + 1, gap: tt.gap, stallAfter: tt.stallAfter}
				c, err := New(Options{BaseURL: "http://127.0.0.1:1", Auth: TokenAuth(canary), HTTPClient: &http.Client{Transport: dt},
					MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, BurstLimit: 10000, MaxRetries: 1, StallTimeout: 30 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				_, err = c.Get(context.Background(), V1, "/users", nil, 1)
				took := time.Since(start)
				if !tt.wantErr {
					if err != nil {
						t.Fatalf("a slow, moving body failed after %s: %v", took, err)
					}
					return
				}
				if !errors.Is(err, errStalled) || !strings.Contains(err.Error(), "nothing received for 30s") || !IsTransient(err) {
					t.Fatalf("err = %v, want a transient stall", err)
				}
				if n := dt.requests.Load(); n != 2 {
					t.Errorf("%d requests, want 2 (one retry)", n)
				}
				// each attempt: ~13 s of chunks, then 30 s of silence
				if took < 2*30*time.Second || took > 2*45*time.Second {
					t.Errorf("gave up after %s, want 2 x (13 s + 30 s)", took)
				}
			})
		})
	}
}
