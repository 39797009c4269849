package derive

import (
	"fmt"
	"iter"
	"math"
	"time"
)

// Averager maintains the moving averages (see Window) of every series from
// one sample per series per cycle. Per series it keeps three rings (the raw
// samples of the last 24 hours at the interval, 168 hour buckets and 30 day
// buckets) and the running sum and count of each window, moved as the
// cycle time advances (see running.go). A cycle costs O(1) per series:
// Observe adds each sample and subtracts what left the windows; Averages
// reads the sums. History is never re-read.
//
// Time: the Averager's current time is the newest cycle time it has seen;
// every window ends there. Cycles may arrive late or out of order: a late
// sample goes into the raw ring (within 24h of the current time), its hour
// and day buckets (within 7 and 30 days) and the windows holding it, so the
// averages are exactly those of all samples received. A second sample for
// the same series and time is ignored while the raw ring still holds the
// first; older ones cannot be told apart and are counted again, so callers
// send each (series, time) once.
//
// Restart: feed the stored history with LoadRaw (the last 24 hours of raw
// samples) and LoadBucket (the complete hour buckets of the last 7 days and
// day buckets of the last 30, as the Roller produced them), in any order,
// then continue with Observe. A loaded bucket replaces whatever raw samples
// were loaded for it, so the current partial hour and day come from the raw
// samples and everything complete from the rollups; the result equals the
// incrementally maintained state (exactly, for integer job counts).
//
// An Averager is not safe for concurrent use, and Averages and All update
// the running sums of the series they read, so they need exclusive access
// too.
type Averager struct {
	iv     int64
	rawLen int
	now    int64
	hasNow bool
	series map[Key]*series
}

// NewAverager returns an empty Averager for the interval in cfg (Late is
// not used).
func NewAverager(cfg Config) (*Averager, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	iv := int64(cfg.Interval)
	return &Averager{
		iv:     iv,
		rawLen: int((dayNs + iv - 1) / iv),
		now:    math.MinInt64 / 2,
		series: make(map[Key]*series),
	}, nil
}

// Now returns the Averager's current time, the end of every window, and
// false before the first cycle.
func (a *Averager) Now() (time.Time, bool) { return unixTime(a.now), a.hasNow }

// Len returns the number of series held (including series whose windows
// are all empty until they are dropped).
func (a *Averager) Len() int { return len(a.series) }

// Observe records one cycle: the samples all carry time t, which is floored
// to the interval. A t newer than the current time advances it, even with
// no samples (a good answer without these series). A t at or before it is
// a late cycle and only adds its samples. Non-finite values, times before
// the epoch and samples older than KeepFor are ignored. Series without a
// sample for more than KeepFor are dropped.
func (a *Averager) Observe(t time.Time, samples []Sample) {
	tn := a.align(t)
	a.advance(tn)
	for i := range samples {
		a.add(samples[i].Key, tn, samples[i].Value, false)
	}
}

// LoadRaw feeds one stored raw sample after a restart. It advances the
// current time like Observe. The sample is not added to an hour or day
// bucket that was (or is later) loaded with LoadBucket.
func (a *Averager) LoadRaw(k Key, t time.Time, v float64) {
	tn := a.align(t)
	a.advance(tn)
	a.add(k, tn, v, true)
}

// LoadBucket feeds one stored rollup (size Hour or Day) after a restart; it
// replaces the bucket the Averager holds for that series and start. Buckets
// too old for the rings and empty buckets are ignored.
func (a *Averager) LoadBucket(k Key, size time.Duration, b Bucket) error {
	start := b.Start.UnixNano()
	var ring func(*series) []cell
	switch size {
	case Hour:
		ring = func(sr *series) []cell { return sr.hours[:] }
	case Day:
		ring = func(sr *series) []cell { return sr.days[:] }
	default:
		return fmt.Errorf("load bucket %v of %v: size not %v or %v", b.Start, k, Hour, Day)
	}
	if start%int64(size) != 0 || start < 0 {
		return fmt.Errorf("load bucket %v of %v: start not aligned to %v", b.Start, k, size)
	}
	if b.Samples > math.MaxInt32 {
		return fmt.Errorf("load bucket %v of %v: %d samples", b.Start, k, b.Samples)
	}
	if b.Samples <= 0 || math.IsNaN(b.Sum) || math.IsInf(b.Sum, 0) {
		return nil
	}
	if a.hasNow && start+int64(size) <= a.now-int64(KeepFor) {
		return nil
	}
	sr := a.get(k)
	setCell(ring(sr), start/int64(size), b.Sum, b.Samples)
	sr.last = max(sr.last, start)
	sr.at = invalidAt
	if !isExact(b.Sum, exactBucket) {
		sr.markInexact(start + int64(size))
	}
	return nil
}

// Averages returns the moving averages of series k at the current time, and
// false if the series is unknown or has no sample in any window.
func (a *Averager) Averages(k Key) (Averages, bool) {
	sr, ok := a.series[k]
	if !ok || !a.hasNow {
		return Averages{}, false
	}
	sr.slide(a.now, a.iv)
	return sr.averages(a.now, a.iv)
}

// All yields the averages of every series that has a sample in some
// window, in no particular order. The Averager must not be changed during
// the iteration.
func (a *Averager) All() iter.Seq2[Key, Averages] {
	return func(yield func(Key, Averages) bool) {
		if !a.hasNow {
			return
		}
		for k, sr := range a.series {
			sr.slide(a.now, a.iv)
			if av, ok := sr.averages(a.now, a.iv); ok && !yield(k, av) {
				return
			}
		}
	}
}

func (a *Averager) align(t time.Time) int64 { return floorDiv(t.UnixNano(), a.iv) * a.iv }

// advance moves the current time to tn if it is newer and, once per new
// hour, drops the series not seen for KeepFor.
func (a *Averager) advance(tn int64) {
	if a.hasNow && tn <= a.now {
		return
	}
	newHour := !a.hasNow || floorDiv(tn, hourNs) != floorDiv(a.now, hourNs)
	a.now, a.hasNow = tn, true
	if !newHour {
		return
	}
	for k, sr := range a.series {
		if a.now-sr.last > int64(KeepFor) {
			delete(a.series, k)
		}
	}
}

func (a *Averager) add(k Key, tn int64, v float64, load bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) || tn < 0 || a.now-tn > int64(KeepFor) {
		return
	}
	sr := a.get(k)
	if load {
		sr.at = invalidAt // recomputed from the rings when next used
		sr.add(tn, a.iv, v, true)
		return
	}
	sr.slide(a.now, a.iv)
	sr.add(tn, a.iv, v, false)
}

func (a *Averager) get(k Key) *series {
	sr, ok := a.series[k]
	if !ok {
		sr = newSeries(a.rawLen)
		a.series[k] = sr
	}
	return sr
}
