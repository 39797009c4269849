package derive

import "math"

// Ring sizes of the Averager: the 7d window needs the hours of the current
// hour and the 167 before it, the 30d window the current day and 29 before.
const (
	hourCells = 168
	dayCells  = 30
)

// sum is a sum of samples and their count.
type sum struct {
	sum float64
	n   int
}

func (s *sum) add(v float64, dn int) { s.sum += v; s.n += dn }

// cell accumulates the samples of one bucket (an hour or a day). A ring
// slot is reused by later buckets; tag tells which bucket it holds:
// (bucket number + 1) << 1, with bit 0 set when the value was loaded from a
// stored rollup, 0 for a slot never used. Bucket numbers count hours or
// days since the epoch and fit in 31 bits for the next 240,000 years.
type cell struct {
	sum float64
	n   int32
	tag uint32
}

func tagOf(b int64) uint32 { return uint32(b+1) << 1 }

// bucket returns the bucket number the cell holds, -1 when unused.
func (c *cell) bucket() int64 { return int64(c.tag>>1) - 1 }

func (c *cell) loaded() bool { return c.tag&1 == 1 }

// sumCells sums buckets from..to (inclusive) of ring, skipping those the
// ring no longer (or not yet) holds.
func sumCells(ring []cell, from, to int64) sum {
	var out sum
	if to < from {
		return out
	}
	from = max(from, to-int64(len(ring))+1, 0)
	i := mod(from, len(ring))
	for b := from; b <= to; b++ {
		if c := &ring[i]; c.tag&^1 == tagOf(b) {
			out.sum += c.sum
			out.n += int(c.n)
		}
		if i++; i == len(ring) {
			i = 0
		}
	}
	return out
}

// slot returns the cell for bucket b, reset if it held an older bucket, or
// nil if it holds a newer one (b is too old for the ring).
func slot(ring []cell, b int64) *cell {
	c := &ring[mod(b, len(ring))]
	switch cur := c.bucket(); {
	case cur > b:
		return nil
	case cur < b:
		*c = cell{tag: tagOf(b)}
	}
	return c
}

// addCell adds v to bucket b and reports whether it did. A sample being
// loaded (load) is skipped when the bucket itself was loaded from a stored
// rollup, which already has it.
func addCell(ring []cell, b int64, v float64, load bool) bool {
	c := slot(ring, b)
	if c == nil || (load && c.loaded()) {
		return false
	}
	c.sum += v
	c.n++
	return true
}

// setCell replaces bucket b with a stored rollup.
func setCell(ring []cell, b int64, s float64, n int) {
	if c := slot(ring, b); c != nil {
		*c = cell{sum: s, n: int32(n), tag: tagOf(b) | 1}
	}
}

// series is the Averager's state for one key: the raw samples of the last
// 24 hours, the hour and day buckets of the last 7 and 30 days, and the
// running sums of every window at time at (see slide).
type series struct {
	at           int64 // time the running sums are for; invalidAt: recompute
	inexactUntil int64 // recompute the sums until then (see running.go)
	wins         [NumWindows]sum
	// raw is a ring over interval slots (slot = time / interval): slot s
	// lives at raw[s mod len(raw)] while rawEnd-len(raw) < s <= rawEnd.
	// NaN marks a missing sample.
	raw    []float64
	rawEnd int64
	last   int64 // newest sample time, Unix ns
	hours  [hourCells]cell
	days   [dayCells]cell
}

func newSeries(rawLen int) *series {
	sr := &series{
		at:           invalidAt,
		inexactUntil: math.MinInt64 / 2,
		raw:          make([]float64, rawLen),
		rawEnd:       math.MinInt64 / 2,
		last:         math.MinInt64 / 2,
	}
	for i := range sr.raw {
		sr.raw[i] = math.NaN()
	}
	return sr
}

// putRaw stores v at slot s. It returns false for a duplicate (the slot
// already holds a sample: the first one wins) and true otherwise, including
// for a slot older than the ring, where duplicates cannot be told.
func (sr *series) putRaw(s int64, v float64) bool {
	n := len(sr.raw)
	switch {
	case s > sr.rawEnd:
		for x := max(sr.rawEnd+1, s-int64(n)+1); x < s; x++ {
			sr.raw[mod(x, n)] = math.NaN()
		}
		sr.rawEnd = s
	case s <= sr.rawEnd-int64(n):
		return true
	case !math.IsNaN(sr.raw[mod(s, n)]):
		return false
	}
	sr.raw[mod(s, n)] = v
	return true
}

// rawBetween sums the raw samples with time in (lo, hi), Unix ns.
func (sr *series) rawBetween(lo, hi, iv int64) sum {
	n := int64(len(sr.raw))
	first := max(floorDiv(lo, iv)+1, sr.rawEnd-n+1)
	last := min(floorDiv(hi-1, iv), sr.rawEnd)
	var out sum
	if first > last {
		return out
	}
	i := mod(first, len(sr.raw))
	for range last - first + 1 {
		if v := sr.raw[i]; v == v { // not NaN
			out.sum += v
			out.n++
		}
		if i++; i == len(sr.raw) {
			i = 0
		}
	}
	return out
}

// add records sample v at time t (aligned, Unix ns, at most sr.at) in the
// raw ring, in its hour and day buckets and in the running sums of the
// windows holding it. A duplicate of a sample still in the raw ring is
// ignored.
func (sr *series) add(t, iv int64, v float64, load bool) {
	if !sr.putRaw(floorDiv(t, iv), v) {
		return
	}
	inHour := addCell(sr.hours[:], floorDiv(t, hourNs), v, load)
	inDay := addCell(sr.days[:], floorDiv(t, dayNs), v, load)
	sr.last = max(sr.last, t)
	if !isExact(v, exactSample) {
		sr.markInexact(t)
	}
	if sr.at == invalidAt {
		return
	}
	for w := Window1h; w <= Window24h; w++ {
		if t >= windowStart(w, sr.at) {
			sr.wins[w].add(v, 1)
		}
	}
	if inHour && t >= windowStart(Window7d, sr.at) {
		sr.wins[Window7d].add(v, 1)
	}
	if inDay && t >= windowStart(Window30d, sr.at) {
		sr.wins[Window30d].add(v, 1)
	}
}
