package clock

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFakeSleepAdvances(t *testing.T) {
	tests := []struct {
		name   string
		sleeps []time.Duration
		want   time.Duration
		naps   int
	}{
		{"none", nil, 0, 0},
		{"one", []time.Duration{time.Second}, time.Second, 1},
		{"several add up", []time.Duration{time.Second, 500 * time.Millisecond}, 1500 * time.Millisecond, 2},
		{"zero and negative do not count", []time.Duration{0, -time.Second, time.Minute}, time.Minute, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake(t0)
			for _, d := range tt.sleeps {
				if err := f.Sleep(context.Background(), d); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.Now().Sub(t0); got != tt.want {
				t.Errorf("clock moved %v, want %v", got, tt.want)
			}
			if total, n := f.Slept(); total != tt.want || n != tt.naps {
				t.Errorf("Slept() = %v, %d; want %v, %d", total, n, tt.want, tt.naps)
			}
		})
	}
}

func TestFakeCancelledSleep(t *testing.T) {
	f := NewFake(t0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a done context = %v, want Canceled", err)
	}
	if err := SleepUntil(ctx, f, t0.Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("SleepUntil on a done context = %v, want Canceled", err)
	}
	if !f.Now().Equal(t0) {
		t.Errorf("a cancelled sleep moved the clock to %v", f.Now())
	}
}

func TestSleepUntilDoesNotOvershoot(t *testing.T) {
	f := NewFake(t0)
	f.Advance(300 * time.Millisecond) // someone else moved the clock
	if err := SleepUntil(context.Background(), f, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := f.Now(); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("woke at %v, want %v", got.Sub(t0), time.Second)
	}
	if err := SleepUntil(context.Background(), f, t0); err != nil { // in the past: no sleep
		t.Fatal(err)
	}
	if _, n := f.Slept(); n != 1 {
		t.Errorf("%d sleeps, want 1", n)
	}
}

func TestFakeConcurrent(t *testing.T) {
	f := NewFake(t0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				_ = f.Sleep(context.Background(), time.Millisecond)
				_ = f.Now()
			}
		}()
	}
	wg.Wait()
	if got := f.Now().Sub(t0); got != 800*time.Millisecond {
		t.Errorf("clock moved %v, want 800ms", got)
	}
}

func TestRealSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := Real.Now()
		if err := Real.Sleep(context.Background(), 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := Real.Now().Sub(start); got != 3*time.Second {
			t.Errorf("slept %v, want 3s", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := Real.Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep past the deadline = %v", err)
		}
		if got := Real.Now().Sub(start); got != 4*time.Second {
			t.Errorf("cancelled sleep ended after %v, want 4s", got)
		}
	})
	if Or(nil) != Real {
		t.Error("Or(nil) is not Real")
	}
	f := NewFake(t0)
	if Or(f) != f {
		t.Error("Or(f) is not f")
	}
}
