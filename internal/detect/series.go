package detect

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// series is the bounded state of one watched series: a ring of the last
// window/interval values (NaN for a missing cycle), the cycle each was
// written at, and the flag state. With the seasonal baseline the ring spans
// SeasonalDays and holds the values only: no stamps (values are frozen by
// the flag's age, see Detector.stepSeasonal) and no sorted copy (the
// baseline is a different subset of the ring every cycle).
//
// While the series is flagged (pending or active) its values stay out of
// the ring: each slot the flagged cycles pass keeps the value it held a
// window earlier (the same time of day, for a one-day window), so the
// baseline stays the one from before the deviation, daily shape included.
// A slot keeps a value for at most keep cycles (Window + FreezeLimit) after
// it was written; after that, or when it holds nothing, the flagged value
// goes in, so a lasting change is learnt and no hole in the baseline (as
// from flags raised on a young, partial baseline) lasts.
type series struct {
	key       point.Key
	ring      []float32 // slot = cycle mod len(ring); NaN = no data
	stamp     []int32   // cycle each slot was written at, minus base; nil when seasonal
	sorted    []float32 // the ring's values, sorted, for O(1) median; nil when seasonal
	base      int64     // cycle the series was created at
	last      int64     // the newest cycle the ring has passed
	touched   int64     // last cycle the series was present
	missing   int       // consecutive observed cycles without data
	missSince time.Time
	streak    int // consecutive cycles over the opening threshold
	active    bool
	dir       string
	first     time.Time // first cycle of the current streak
	held      *Finding  // last finding while active, kept across gaps
	episode   int64     // seasonal: cycle the current flag episode began
	activeAt  int64     // seasonal: last cycle active
}

// newSeries returns an empty series created at cycle; trailing tells a
// trailing-window series (stamps and a sorted copy) from a seasonal one.
func newSeries(key point.Key, slots int, cycle int64, trailing bool) *series {
	s := &series{key: key, ring: make([]float32, slots), base: cycle, last: cycle - 1, touched: cycle - 1,
		activeAt: math.MinInt64 / 2}
	if trailing {
		s.stamp, s.sorted = make([]int32, slots), make([]float32, 0, slots)
	}
	nan := float32(math.NaN())
	for i := range s.ring {
		s.ring[i] = nan
	}
	return s
}

func slot(cycle int64, n int) int {
	m := cycle % int64(n)
	if m < 0 {
		m += int64(n)
	}
	return int(m)
}

// flagged reports whether the series is pending (streak) or active.
func (s *series) flagged() bool { return s.streak > 0 || s.active }

// holds reports whether slot i, passed at cycle, holds a value written
// fewer than keep cycles before (any value, for a series without stamps).
func (s *series) holds(i int, cycle, keep int64) bool {
	return s.ring[i] == s.ring[i] && (s.stamp == nil || cycle-(s.base+int64(s.stamp[i])) < keep)
}

// advance moves the ring over the cycles skipped since the last one, so it
// holds cycles cycle-len..cycle-1 (the current slot holds the oldest,
// cycle-len, until put). A skipped cycle's slot is blanked (no data),
// unless keep > 0 (the series is flagged) and the slot holds a value
// written fewer than keep cycles before.
func (s *series) advance(cycle, keep int64) {
	for c := max(s.last+1, cycle-int64(len(s.ring))); c < cycle; c++ {
		if i := slot(c, len(s.ring)); keep == 0 || !s.holds(i, c, keep) {
			s.evict(i)
		}
	}
	s.last = max(s.last, cycle-1)
}

// put writes v at cycle, replacing the value a window ago.
func (s *series) put(cycle int64, v float64) {
	i := slot(cycle, len(s.ring))
	s.evict(i)
	x := float32(v)
	s.ring[i] = x
	s.last = cycle
	if s.sorted == nil {
		return // seasonal
	}
	s.stamp[i] = int32(cycle - s.base)
	j, _ := slices.BinarySearch(s.sorted, x)
	s.sorted = slices.Insert(s.sorted, j, x)
}

// evict blanks ring slot i and drops its value from the sorted copy.
func (s *series) evict(i int) {
	old := s.ring[i]
	if old != old { // NaN: nothing stored
		return
	}
	s.ring[i] = float32(math.NaN())
	if s.sorted == nil {
		return
	}
	if j, ok := slices.BinarySearch(s.sorted, old); ok {
		s.sorted = slices.Delete(s.sorted, j, j+1)
	}
}

// baseline returns the median, the MAD and the number of values in the
// window, from the sorted copy kept in step with the ring.
func (s *series) baseline() (med, mad float64, n int) { return medianMAD(s.sorted) }

// medianMAD returns the median, the MAD and the length of the sorted a.
func medianMAD(a []float32) (med, mad float64, n int) {
	n = len(a)
	if n == 0 {
		return 0, 0, 0
	}
	k := n / 2
	if n%2 == 1 {
		med = float64(a[k])
	} else {
		med = (float64(a[k-1]) + float64(a[k])) / 2
	}
	lo, hi := kthDeviation(a, med, k)
	if n%2 == 1 {
		return med, hi, n
	}
	return med, (lo + hi) / 2, n
}

// kthDeviation returns the (k-1)-th and k-th smallest |a[i]-med| (0-based)
// of the sorted a, merging the deviations left and right of med.
func kthDeviation(a []float32, med float64, k int) (prev, kth float64) {
	r := sort.Search(len(a), func(i int) bool { return float64(a[i]) >= med })
	l := r - 1
	for idx := 0; idx <= k; idx++ {
		var d float64
		if r < len(a) && (l < 0 || float64(a[r])-med <= med-float64(a[l])) {
			d = float64(a[r]) - med
			r++
		} else {
			d = med - float64(a[l])
			l--
		}
		prev, kth = kth, d
	}
	return prev, kth
}

// queueInfo is the latest CRIC view of a queue and its last state change.
type queueInfo struct {
	attrs  point.Attrs
	change *StateChange // latest site_state change
	downAt time.Time    // latest change into a down state
	seen   int64
}

// update records this cycle's attributes, noting a site_state change.
func (q *queueInfo) update(a *point.Attrs, t time.Time, cycle int64, down map[string]bool) {
	if q.seen >= 0 && q.attrs[point.SiteState] != a[point.SiteState] {
		q.change = &StateChange{From: q.attrs[point.SiteState], To: a[point.SiteState], At: t}
		if down[a[point.SiteState]] {
			q.downAt = t
		}
	}
	q.attrs = *a
	q.seen = cycle
}
