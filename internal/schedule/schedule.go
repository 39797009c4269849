// Package schedule runs cycles at aligned times: cycle k starts at
// k*interval + offset (Unix epoch, UTC), never overlapping, each with a
// deadline. A cycle that overruns makes the runner skip the ticks it
// missed rather than queue them.
package schedule

import (
	"context"
	"github.com/qmonit/qmonit/internal/point"
	"time"
)

// Next returns the first cycle time c (aligned) whose start c+offset is
// strictly after now.
func Next(now time.Time, interval, offset time.Duration) time.Time {
	c := point.Floor(now.Add(-offset), interval)
	for !c.Add(offset).After(now) {
		c = c.Add(interval)
	}
	return c
}

// Runner calls a function once per cycle.
type Runner struct {
	Interval time.Duration
	Offset   time.Duration // fixed delay after each aligned tick
	Timeout  time.Duration // per-cycle deadline; 0 or more than Interval means Interval
	// Skipped, if set, is called with the number of ticks skipped because
	// a cycle overran.
	Skipped func(n int)
}

// Run calls fn(ctx, cycle) for every aligned cycle time until ctx is done.
// cycle is the aligned time (without the offset); fn's context carries the
// cycle's deadline. Run returns ctx.Err() after the running cycle, if any,
// has returned: shutdown waits for the cycle to finish or abandon its work
// under the cancelled context.
func (r *Runner) Run(ctx context.Context, fn func(ctx context.Context, cycle time.Time)) error {
	timeout := r.Timeout
	if timeout <= 0 || timeout > r.Interval {
		timeout = r.Interval
	}
	next := Next(time.Now(), r.Interval, r.Offset)
	for {
		t := time.NewTimer(time.Until(next.Add(r.Offset)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		cctx, cancel := context.WithDeadline(ctx, next.Add(r.Offset).Add(timeout))
		fn(cctx, next)
		cancel()
		after := Next(time.Now(), r.Interval, r.Offset)
		if skipped := int(after.Sub(next)/r.Interval) - 1; skipped > 0 && r.Skipped != nil {
			r.Skipped(skipped)
		}
		next = after
	}
}
