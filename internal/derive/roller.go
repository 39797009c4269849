package derive

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"time"
)

// Roller turns cycles into hour and day rollups. It accumulates each
// series' samples per bucket and reports a bucket once it is complete: once
// a cycle at or after the bucket's end has been seen. A late sample (a cycle
// older than the newest) is accepted while it is at most Late behind the
// newest cycle; if its bucket was already reported the bucket becomes dirty
// and is reported again with the corrected values. A day is rolled from its
// 24 hour buckets, so a late sample re-rolls both.
//
// Memory is bounded: per series a ring of hour buckets covering Late plus a
// day, and series whose newest sample can no longer share a bucket with an
// accepted sample are dropped.
//
// Restart: buckets are values, so re-reporting one is an idempotent
// overwrite. To rebuild after a restart, replay the stored raw samples from
// the start of the current day (the raw store keeps at least 24 hours) with
// Observe, in time order, before the first live cycle; otherwise the first
// day bucket reported would miss the hours before the restart.
//
// A Roller is not safe for concurrent use.
type Roller struct {
	iv, late int64
	latest   int64
	started  bool
	nHours   int
	nDays    int
	series   map[Key]*rollSeries
	pending  []Key
}

type rollState uint8

const (
	stateEmpty    rollState = iota
	stateOpen               // has samples, not reported
	stateReported           // reported, unchanged since
	stateDirty              // reported, changed since
)

// rollCell is one hour bucket: the sum of its samples and a bit per
// interval slot telling which are present (at most 60 slots: the interval
// is at least a minute), so a repeated sample is recognised.
type rollCell struct {
	sum   float64
	mask  uint64
	hour  int32
	state rollState
}

type rollDay struct {
	day   int32
	state rollState
}

type rollSeries struct {
	hours   []rollCell
	days    []rollDay
	last    int64 // newest sample time, Unix ns
	pending bool  // in Roller.pending
}

// Report is what one Observe produced.
type Report struct {
	// Rollups are the buckets complete at the newest cycle time that were
	// not reported yet or changed since, sorted by size, start and key.
	Rollups []Rollup
	// Duplicates counts samples for a series and time already counted.
	Duplicates int
	// Dropped counts samples more than Late behind the newest cycle, with a
	// non-finite value or before the epoch.
	Dropped int
}

// NewRoller returns an empty Roller.
func NewRoller(cfg Config) (*Roller, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	late := int64(cfg.Late)
	return &Roller{
		iv:     int64(cfg.Interval),
		late:   late,
		nHours: int((late+dayNs+hourNs-1)/hourNs) + 1,
		nDays:  int((late+dayNs+dayNs-1)/dayNs) + 1,
		series: make(map[Key]*rollSeries),
	}, nil
}

// Len returns the number of series held.
func (r *Roller) Len() int { return len(r.series) }

// Observe records one cycle at time t (floored to the interval) and returns
// the buckets to write. A t newer than any before first completes the
// buckets ending at or before it; the samples then go into their buckets.
func (r *Roller) Observe(t time.Time, samples []Sample) Report {
	tn := floorDiv(t.UnixNano(), r.iv) * r.iv
	var rep Report
	if !r.started || tn > r.latest {
		newHour := !r.started || floorDiv(tn, hourNs) != floorDiv(r.latest, hourNs)
		r.latest, r.started = tn, true
		if newHour {
			for k, sr := range r.series {
				rep.Rollups = r.collect(rep.Rollups, k, sr)
			}
			r.sweep()
		}
	}
	for i := range samples {
		r.add(&rep, samples[i], tn)
	}
	for _, k := range r.pending {
		sr := r.series[k]
		sr.pending = false
		rep.Rollups = r.collect(rep.Rollups, k, sr)
	}
	r.pending = r.pending[:0]
	sortRollups(rep.Rollups)
	return rep
}

// Reroll returns series k's bucket of the given size (Hour or Day) starting
// at start with its current values, for rewriting it, and false when the
// Roller does not hold it (never seen, or dropped after Late).
func (r *Roller) Reroll(k Key, size time.Duration, start time.Time) (Rollup, bool) {
	sr, ok := r.series[k]
	s := start.UnixNano()
	if !ok || s < 0 || (size != Hour && size != Day) || s%int64(size) != 0 {
		return Rollup{}, false
	}
	if size == Hour {
		c := &sr.hours[mod(s/hourNs, r.nHours)]
		if c.state == stateEmpty || int64(c.hour) != s/hourNs {
			return Rollup{}, false
		}
		b := Bucket{Start: unixTime(s), Sum: c.sum, Samples: bits.OnesCount64(c.mask)}
		return Rollup{Key: k, Size: Hour, Bucket: b}, true
	}
	d := &sr.days[mod(s/dayNs, r.nDays)]
	if d.state == stateEmpty || int64(d.day) != s/dayNs {
		return Rollup{}, false
	}
	return Rollup{Key: k, Size: Day, Bucket: r.daySum(sr, s/dayNs)}, true
}

// add puts one sample at time tn into its hour and day buckets.
func (r *Roller) add(rep *Report, smp Sample, tn int64) {
	if tn < 0 || tn < r.latest-r.late || math.IsNaN(smp.Value) || math.IsInf(smp.Value, 0) {
		rep.Dropped++
		return
	}
	sr, ok := r.series[smp.Key]
	if !ok {
		sr = &rollSeries{hours: make([]rollCell, r.nHours), days: make([]rollDay, r.nDays)}
		r.series[smp.Key] = sr
	}
	h, d := floorDiv(tn, hourNs), floorDiv(tn, dayNs)
	c, ds := &sr.hours[mod(h, r.nHours)], &sr.days[mod(d, r.nDays)]
	if (c.state != stateEmpty && int64(c.hour) > h) || (ds.state != stateEmpty && int64(ds.day) > d) {
		panic("BUG: derive: roller ring shorter than the late window")
	}
	if c.state == stateEmpty || int64(c.hour) < h {
		// The ring is longer than Late plus a day, so the bucket this
		// replaces has been reported (see Observe) and cannot take samples.
		*c = rollCell{hour: int32(h), state: stateOpen}
	}
	bit := uint64(1) << uint((tn-h*hourNs)/r.iv)
	if c.mask&bit != 0 {
		rep.Duplicates++
		return
	}
	c.mask |= bit
	c.sum += smp.Value
	c.state = touched(c.state)
	if ds.state == stateEmpty || int64(ds.day) < d {
		*ds = rollDay{day: int32(d), state: stateOpen}
	}
	ds.state = touched(ds.state)
	sr.last = max(sr.last, tn)
	if (h+1)*hourNs <= r.latest && !sr.pending {
		sr.pending = true
		r.pending = append(r.pending, smp.Key)
	}
}

// touched returns the state of a bucket that just got a sample.
func touched(s rollState) rollState {
	if s == stateReported || s == stateDirty {
		return stateDirty
	}
	return stateOpen
}

// collect appends sr's complete buckets that are open or dirty and marks
// them reported.
func (r *Roller) collect(out []Rollup, k Key, sr *rollSeries) []Rollup {
	for i := range sr.hours {
		c := &sr.hours[i]
		if (c.state == stateOpen || c.state == stateDirty) && (int64(c.hour)+1)*hourNs <= r.latest {
			start := int64(c.hour) * hourNs
			b := Bucket{Start: unixTime(start), Sum: c.sum, Samples: bits.OnesCount64(c.mask)}
			out = append(out, Rollup{Key: k, Size: Hour, Bucket: b})
			c.state = stateReported
		}
	}
	for i := range sr.days {
		d := &sr.days[i]
		if (d.state == stateOpen || d.state == stateDirty) && (int64(d.day)+1)*dayNs <= r.latest {
			if b := r.daySum(sr, int64(d.day)); b.Samples > 0 {
				out = append(out, Rollup{Key: k, Size: Day, Bucket: b})
			}
			d.state = stateReported
		}
	}
	return out
}

// daySum rolls day d from its hour buckets.
func (r *Roller) daySum(sr *rollSeries, d int64) Bucket {
	b := Bucket{Start: unixTime(d * dayNs)}
	for h := d * 24; h < (d+1)*24; h++ {
		c := &sr.hours[mod(h, r.nHours)]
		if c.state != stateEmpty && int64(c.hour) == h {
			b.Sum += c.sum
			b.Samples += bits.OnesCount64(c.mask)
		}
	}
	return b
}

// sweep drops the series whose newest sample is before the first day that
// can still accept a sample: all their buckets are reported and final.
func (r *Roller) sweep() {
	firstDay := floorDiv(r.latest-r.late, dayNs) * dayNs
	for k, sr := range r.series {
		if sr.last < firstDay {
			delete(r.series, k)
		}
	}
}

func sortRollups(rs []Rollup) {
	slices.SortFunc(rs, func(a, b Rollup) int {
		return cmp.Or(
			cmp.Compare(a.Size, b.Size),
			a.Bucket.Start.Compare(b.Bucket.Start),
			cmp.Compare(a.Key.Queue, b.Key.Queue),
			cmp.Compare(a.Key.ProdSource, b.Key.ProdSource),
			cmp.Compare(a.Key.Resource, b.Key.Resource),
			cmp.Compare(a.Key.Status, b.Key.Status),
		)
	})
}
