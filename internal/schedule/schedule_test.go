package schedule

import (
	"context"
	"github.com/qmonit/qmonit/internal/point"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestNext(t *testing.T) {
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		now    time.Duration
		offset time.Duration
		want   time.Duration
	}{
		{0, 30 * time.Second, 0},                               // 10:00:00 -> cycle 10:00 starts at 10:00:30
		{30 * time.Second, 30 * time.Second, 10 * time.Minute}, // exactly at the start: next one
		{29 * time.Second, 30 * time.Second, 0},                // just before
		{9*time.Minute + 59*time.Second, 0, 10 * time.Minute},  // plain alignment
		{10*time.Minute + 10*time.Second, 30 * time.Second, 10 * time.Minute},
	} {
		got := Next(base.Add(tt.now), 10*time.Minute, tt.offset)
		if want := base.Add(tt.want); !got.Equal(want) {
			t.Errorf("Next(+%v, offset %v) = %v, want %v", tt.now, tt.offset, got, want)
		}
	}
}

func TestRunAlignedNeverOverlapping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var (
			mu       sync.Mutex
			cycles   []time.Time
			starts   []time.Time
			running  bool
			overlaps int
			skipped  int
		)
		r := &Runner{Interval: 10 * time.Minute, Offset: 30 * time.Second, Timeout: 8 * time.Minute,
			Skipped: func(n int) { skipped += n }}
		done := make(chan error)
		go func() {
			done <- r.Run(ctx, func(ctx context.Context, cycle time.Time) {
				mu.Lock()
				if running {
					overlaps++
				}
				running = true
				cycles = append(cycles, cycle)
				starts = append(starts, time.Now())
				n := len(cycles)
				mu.Unlock()
				if dl, ok := ctx.Deadline(); !ok || !dl.Equal(cycle.Add(30*time.Second+8*time.Minute)) {
					t.Errorf("deadline = %v %v", dl, ok)
				}
				if n == 2 { // the second cycle overruns by 15 minutes: one tick is skipped
					time.Sleep(25 * time.Minute)
				}
				mu.Lock()
				running = false
				mu.Unlock()
			})
		}()
		time.Sleep(61 * time.Minute)
		cancel()
		if err := <-done; err == nil {
			t.Error("Run returned nil after cancel, want the context's error")
		}
		if overlaps != 0 {
			t.Errorf("%d overlapping cycles", overlaps)
		}
		for i, c := range cycles {
			if !c.Equal(point.Floor(c, 10*time.Minute)) || !starts[i].Equal(c.Add(30*time.Second)) {
				t.Errorf("cycle %d at %v started %v: not aligned + offset", i, c, starts[i])
			}
		}
		// Cycles 00:00, 00:10 (overruns to 00:35:30), 00:40, 00:50, 01:00; 00:20 and 00:30 skipped.
		if skipped != 2 || len(cycles) != 5 {
			t.Errorf("cycles = %d, skipped = %d; want 5 and 2", len(cycles), skipped)
		}
	})
}

func TestRunStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		r := &Runner{Interval: time.Minute}
		calls := 0
		go func() { time.Sleep(150 * time.Second); cancel() }()
		err := r.Run(ctx, func(context.Context, time.Time) { calls++ })
		if err == nil || calls != 2 {
			t.Errorf("err = %v, calls = %d; want canceled after 2 calls", err, calls)
		}
	})
}
