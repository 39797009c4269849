package derive

import "math"

// The Averager keeps, per series, the sum and count of every window at
// time at and moves them as time advances (slide) or samples arrive
// (series.add), so a cycle costs O(1) per series instead of a pass over its
// rings. Running sums subtract as well as add, which is exact only when
// every partial sum is an integer below 2^53: job counts are. A series that
// received any other value (a fraction, or a magnitude past exactLimit)
// recomputes its sums from the rings on every use until that value has left
// the 30d window, so it gets plain sums and no residue of values that left.

// invalidAt marks running sums that must be recomputed from the rings.
const invalidAt = math.MinInt64

// Limits under which sums stay exact: 43,200 samples (30 days at 1m) below
// 2^32 and 168 hour buckets below 2^45 both sum below 2^53.
const (
	exactSample = 1 << 32
	exactBucket = 1 << 45
)

func isExact(v, limit float64) bool { return v == math.Trunc(v) && math.Abs(v) < limit }

// markInexact records a value that running sums cannot carry exactly, seen
// in data up to time end: the sums are recomputed until it leaves.
func (sr *series) markInexact(end int64) {
	sr.inexactUntil = max(sr.inexactUntil, end+int64(KeepFor))
}

// slide moves the running sums from sr.at to now: the raw samples and
// buckets that left a window are subtracted, buckets that entered one (only
// loaded ones can be non-empty) added. After a gap of a day or more, when
// invalid, or when an inexact value may be in the sums (they were last set
// before it left every window), the sums are recomputed from the rings.
func (sr *series) slide(now, iv int64) {
	switch {
	case sr.inexactUntil >= sr.at || sr.at == invalidAt || now < sr.at || now-sr.at >= dayNs:
		sr.rebase(now, iv)
		return
	case sr.at == now:
		return
	}
	for w := Window1h; w <= Window24h; w++ {
		left := sr.rawBetween(windowStart(w, sr.at)-1, windowStart(w, now), iv)
		sr.wins[w].add(-left.sum, -left.n)
	}
	sr.wins[Window7d].move(sr.hours[:], hourNs, windowStart(Window7d, sr.at), windowStart(Window7d, now), sr.at, now)
	sr.wins[Window30d].move(sr.days[:], dayNs, windowStart(Window30d, sr.at), windowStart(Window30d, now), sr.at, now)
	sr.at = now
}

// move updates a bucket window's sum when its start moves from start0 to
// start1 and its end from end0 to end1 (buckets of size, in ring).
func (s *sum) move(ring []cell, size, start0, start1, end0, end1 int64) {
	if start1 > start0 {
		left := sumCells(ring, start0/size, start1/size-1)
		s.add(-left.sum, -left.n)
	}
	if b0, b1 := floorDiv(end0, size), floorDiv(end1, size); b1 > b0 {
		entered := sumCells(ring, b0+1, b1)
		s.add(entered.sum, entered.n)
	}
}

// rebase recomputes every window's sum at now from the rings.
func (sr *series) rebase(now, iv int64) {
	for w := Window1h; w <= Window24h; w++ {
		sr.wins[w] = sr.rawBetween(windowStart(w, now)-1, now+1, iv)
	}
	h, d := floorDiv(now, hourNs), floorDiv(now, dayNs)
	sr.wins[Window7d] = sumCells(sr.hours[:], h-167, h)
	sr.wins[Window30d] = sumCells(sr.days[:], d-29, d)
	sr.at = now
}
