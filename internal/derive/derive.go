// Package derive owns the numbers qmonit computes from its own job counts:
// hourly and daily rollups (the seed's arithmetic: mean of the snapshot
// states, sum of the final states, with the number of samples kept so
// coverage is known) and the per-series moving averages over 1h, 6h, 12h,
// 24h, 7d and 30d that the SQL snapshot and the detector read.
//
// Everything here is pure arithmetic on times and values handed in by the
// cycle: no I/O, no clock, no logging. Times are aligned to the Unix epoch in
// UTC, so buckets never move with time zones or daylight saving. A Roller
// turns cycles into complete buckets for the stores; an Averager keeps
// compact per-series rings and answers the moving averages at the newest
// cycle time. Neither is safe for concurrent use: the cycle owns them.
package derive

import (
	"errors"
	"fmt"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// Key identifies a series: panda_queue, prod_source, resource, job_status.
type Key = point.Key

// Sample is one series' value in one cycle (the point's job count).
type Sample struct {
	Key   Key
	Value float64
}

// AppendSamples appends one Sample per point (its key and job count) to dst.
func AppendSamples(dst []Sample, pts []point.Point) []Sample {
	for i := range pts {
		dst = append(dst, Sample{Key: pts[i].Key(), Value: float64(pts[i].Jobs)})
	}
	return dst
}

// IsFinal reports whether status is a final state: finished, failed,
// cancelled or closed, whose count is the number of jobs that reached the
// state during the interval (PanDA's time_window). Every other state
// (pending, defined, waiting, assigned, throttled, activated, sent,
// starting, running, holding, transferring, merging) is a snapshot of the
// jobs in it at the cycle time.
func IsFinal(status string) bool {
	switch status {
	case "finished", "failed", "cancelled", "closed":
		return true
	}
	return false
}

// Bucket sizes the Roller produces and the Averager loads.
const (
	Hour = time.Hour
	Day  = 24 * time.Hour
)

// DefaultLate is the Roller's late-acceptance window when Config.Late is 0.
const DefaultLate = 48 * time.Hour

// KeepFor is how long the Averager keeps a series without a sample; it is
// the longest moving-average window, so nothing visible is lost.
const KeepFor = 30 * Day

// Limits on Config.Interval, as the config package validates them.
const (
	MinInterval = time.Minute
	MaxInterval = time.Hour
)

// Config is shared by the Roller and the Averager.
type Config struct {
	// Interval is the cycle period; sample times are floored to it (the
	// cycle already does) and coverage counts interval slots.
	Interval time.Duration
	// Late is how far behind the newest cycle a sample may be and still
	// re-roll its buckets (Roller only); 0 means DefaultLate.
	Late time.Duration
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid derive config")

func (c Config) validate() (Config, error) {
	if c.Interval < MinInterval || c.Interval > MaxInterval {
		return c, fmt.Errorf("%w: interval %v not in [%v, %v]", ErrConfig, c.Interval, MinInterval, MaxInterval)
	}
	if c.Late < 0 {
		return c, fmt.Errorf("%w: late %v is negative", ErrConfig, c.Late)
	}
	if c.Late == 0 {
		c.Late = DefaultLate
	}
	return c, nil
}

const (
	hourNs = int64(Hour)
	dayNs  = int64(Day)
)

// floorDiv is a/b rounded towards minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// mod is a modulo n in [0, n) (n > 0).
func mod(a int64, n int) int {
	m := int(a % int64(n))
	if m < 0 {
		m += n
	}
	return m
}

// slotsIn counts the interval slots (multiples of iv since the epoch) in
// the time range (lo, hi], in Unix nanoseconds.
func slotsIn(lo, hi, iv int64) int {
	if hi <= lo {
		return 0
	}
	return int(floorDiv(hi, iv) - floorDiv(lo, iv))
}

func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }
