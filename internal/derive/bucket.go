package derive

import "time"

// Bucket is a rollup of one series over [Start, Start+size): the sum of the
// samples present and how many there were. The size (Hour or Day) travels
// next to it (see Rollup).
type Bucket struct {
	Start   time.Time
	Sum     float64
	Samples int
}

// Mean returns Sum/Samples, or 0 for an empty bucket.
func (b Bucket) Mean() float64 {
	if b.Samples == 0 {
		return 0
	}
	return b.Sum / float64(b.Samples)
}

// Value returns the rollup value with the seed's arithmetic: the sum of the
// samples for a final state (jobs that reached the state in the bucket),
// their mean for a snapshot state (jobs in the state on average).
func (b Bucket) Value(status string) float64 {
	if IsFinal(status) {
		return b.Sum
	}
	return b.Mean()
}

// Coverage returns the fraction of the bucket's interval slots that hold a
// sample: Samples / (size/interval), 0 when the bucket has no slot.
func (b Bucket) Coverage(size, interval time.Duration) float64 {
	start := b.Start.UnixNano()
	n := slotsIn(start-1, start+int64(size)-1, int64(interval))
	if n <= 0 {
		return 0
	}
	return float64(b.Samples) / float64(n)
}

// BucketStart returns the start of the bucket of the given size holding t:
// t floored to a multiple of size since the Unix epoch, in UTC. Buckets of
// an hour and a day therefore start at UTC hours and midnights whatever t's
// location or daylight saving. size must be positive.
func BucketStart(t time.Time, size time.Duration) time.Time {
	s := int64(size)
	return unixTime(floorDiv(t.UnixNano(), s) * s)
}

// Rollup is one complete bucket of one series, ready for the stores.
type Rollup struct {
	Key    Key
	Size   time.Duration // Hour or Day
	Bucket Bucket
}

// Value is the rollup value of the bucket for its series' status.
func (r Rollup) Value() float64 { return r.Bucket.Value(r.Key.Status) }
