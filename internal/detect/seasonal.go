package detect

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// baseline returns the median, the MAD and the number of values of the
// baseline s is compared with at cycle c: the whole trailing window, or,
// with Seasonal, the values within half cycles either side of c's time of
// day on each of the previous SeasonalDays days.
func (d *Detector) baseline(s *series, c int64) (med, mad float64, n int) {
	if d.period == 0 {
		return s.baseline()
	}
	d.scratch = s.seasonal(d.scratch[:0], c, d.period, d.half)
	return d.selectMedianMAD(d.scratch)
}

// selectMedianMAD returns what medianMAD returns for a once sorted, by
// selection (O(n), against O(n log n) for a sort: the seasonal baseline is
// gathered afresh every cycle). It reorders a.
func (d *Detector) selectMedianMAD(a []float32) (med, mad float64, n int) {
	n = len(a)
	if n == 0 {
		return 0, 0, 0
	}
	k := n / 2
	selectKth(a, k)
	med = float64(a[k])
	if n%2 == 0 {
		med = (float64(maxOf(a[:k])) + med) / 2
	}
	dev := d.devs[:0]
	for _, v := range a {
		dev = append(dev, math.Abs(float64(v)-med))
	}
	d.devs = dev
	selectKth(dev, k)
	mad = dev[k]
	if n%2 == 0 {
		mad = (maxOf(dev[:k]) + mad) / 2
	}
	return med, mad, n
}

// selectKth reorders a so that a[k] is the value a sorted copy holds at k,
// with no greater value before it and no smaller one after (quickselect,
// median-of-three pivot; after 2*log2(n) rounds, as on input crafted
// against the pivot, it sorts what is left). a holds no NaN.
func selectKth[T float32 | float64](a []T, k int) {
	lo, hi := 0, len(a)-1
	for rounds := 2 * bits.Len(uint(len(a))); hi-lo > 8; rounds-- {
		if rounds == 0 {
			slices.Sort(a[lo : hi+1])
			return
		}
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		p := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return // a[j+1:i] all equal the pivot
		}
	}
	for i := lo + 1; i <= hi; i++ { // insertion sort of the last few
		for j := i; j > lo && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func maxOf[T float32 | float64](a []T) T {
	m := a[0]
	for _, v := range a[1:] {
		m = max(m, v)
	}
	return m
}

// seasonal appends to buf the values of the seasonal window at cycle c: for
// each whole day back that the ring spans, the cycles within half of
// c-day. A slot counts only for the cycle it was last passed at (between
// s.last-len(ring) exclusive and s.last), so a slot already rewritten, or
// not yet passed since the day before, is left out; on the oldest day the
// cycles before c-days*period have been rewritten, so that day gives
// half+1 values, the others 2*half+1. The cycles a flagged series passed
// hold the value of a ring earlier (the same time of day).
func (s *series) seasonal(buf []float32, c, period, half int64) []float32 {
	n := int64(len(s.ring))
	lo := s.last - n + 1
	for back := period; back <= n; back += period {
		mid := c - back
		from, to := max(mid-half, lo), min(mid+half, s.last)
		if from > to {
			continue
		}
		i := slot(from, len(s.ring))
		for range to - from + 1 {
			if v := s.ring[i]; v == v {
				buf = append(buf, v)
			}
			if i++; i == len(s.ring) {
				i = 0
			}
		}
	}
	return buf
}

// stepSeasonal is step for a seasonal series. While the series is flagged
// in a flag episode younger than FreezeLimit (or FreezeLimit is 0), the
// slots it passes keep their values from SeasonalDays earlier, the same
// time of day, and the flagged values stay out; later they go in, so a
// lasting change is learnt (its flag clears once the values of more than
// half the days have changed). The freeze goes by the episode's age, not
// the slot's as with the trailing window: a slot is passed once per
// SeasonalDays, longer than a typical FreezeLimit. An episode starts with a
// flag raised more than a day after the series was last active (pending
// blips do not count), so a changed queue whose incident clears for a while
// every day (its new level crosses the old one at some hour) still has its
// change learnt, while short pending blips, as at the edges of a daily
// peak, do not age the next incident's freeze.
func (d *Detector) stepSeasonal(s *series, v float64, t time.Time, c int64) (Finding, bool) {
	keep := int64(0)
	if d.frozen(s, c) {
		keep = 1 // any value: seasonal series have no stamps
	}
	s.advance(c, keep)
	e := d.compare(s, c, v)
	s.touched, s.missing = c, 0
	f, ok := d.transition(s, v, e, t)
	if s.flagged() {
		if c-s.activeAt > d.period {
			s.episode = c - int64(s.streak) + 1 // the flag's first cycle
		}
		if s.active {
			s.activeAt = c
		}
	}
	if d.frozen(s, c) {
		s.last = c // the slot keeps its value from a ring ago
	} else {
		s.put(c, v)
	}
	return f, ok
}

// frozen reports whether a seasonal series' values stay out at cycle c.
func (d *Detector) frozen(s *series, c int64) bool {
	return s.flagged() && (d.freeze == 0 || c-s.episode < d.freeze)
}
