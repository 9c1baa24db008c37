package pipedrivetest

import (
	"testing"
	"time"
)

// TestBurstWindow pins the rolling window and its headers as Pipedrive
// sends them (limit 40 on its docs' example: remaining 39 and reset 2 after
// a first request), with and without another client of the token.
func TestBurstWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name  string
		limit int
		share float64
		at    []time.Time // our requests
		// the last request's answer
		ok         bool
		remaining  int
		reset      int
		otherSent  int
		otherRefus int
	}{
		{"first request", 40, 0, []time.Time{t0}, true, 39, 2, 0, 0},
		{"full window refuses", 3, 0, []time.Time{t0, ms(10), ms(20), ms(1500)}, false, 0, 1, 0, 0},
		// rolling: the first leaves exactly 2 s after it came
		{"slot frees after 2 s", 3, 0, []time.Time{t0, ms(10), ms(20), ms(2000)}, true, 0, 1, 0, 0},
		// a third of 30 per 2 s: one every 200 ms, already running: 9 of
		// its last window are in when we first come, the 10th is due then
		{"other client's share counts", 30, 1.0 / 3, []time.Time{t0}, true, 30 - 10 - 1, 1, 1, 0},
		{"other client keeps its cadence", 30, 1.0 / 3, []time.Time{t0, ms(1000)}, true, 30 - 10 - 2, 1, 6, 0},
		// a third of 20: one every 300 ms, so a slot it frees is free for
		// 100 ms before its next request: one of ours taking it there
		// leaves the other client a full window
		{"other client refused in a full window", 20, 1.0 / 3, append(repeat(t0, 13), ms(200), ms(300)), false, 0, 1, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBurst(tc.at[0], tc.limit, tc.share)
			var ok bool
			var rem, reset int
			for _, at := range tc.at {
				ok, rem, reset = b.take(at, tc.limit)
			}
			if ok != tc.ok || rem != tc.remaining || reset != tc.reset || b.otherSent != tc.otherSent || b.otherRefus != tc.otherRefus {
				t.Errorf("got ok %v remaining %d reset %d, other sent %d refused %d; want %v %d %d, %d %d",
					ok, rem, reset, b.otherSent, b.otherRefus, tc.ok, tc.remaining, tc.reset, tc.otherSent, tc.otherRefus)
			}
		})
	}
}

func repeat(t time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = t
	}
	return out
}
