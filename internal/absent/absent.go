// Package absent applies "missing is not zero" across cycles: a series that
// was in a good PanDA answer and is absent from a later good answer means the
// queue drained, so it reads 0 until it has been absent for the stale time,
// and is then marked stale. A failed PanDA call never reaches this package
// (nothing is written for it), so gaps stay gaps. Pure: no I/O, no clock.
package absent

import (
	"slices"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// Tracker remembers, per series, the last point seen and when. It is not
// safe for concurrent use; the cycle owns it.
type Tracker struct {
	staleAfter time.Duration
	seen       map[point.Key]entry
}

type entry struct {
	last     point.Point // the last point of the series in a good answer
	lastSeen time.Time
}

// New returns a tracker that zero-fills absent series for staleAfter.
func New(staleAfter time.Duration) *Tracker {
	return &Tracker{staleAfter: staleAfter, seen: make(map[point.Key]entry)}
}

// Result is what one good answer adds.
type Result struct {
	// Zeros are points with Jobs 0 at the cycle time for series absent from
	// this answer but seen within the stale time; their tags and other
	// fields are those of the series' last point.
	Zeros []point.Point
	// Stale lists series absent for the stale time or longer, seen for the
	// last time now; the caller marks them stale in its stores. Sorted.
	Stale []point.Point
}

// Observe records a good answer's points at time t and returns the zero
// points and the series that went stale. pts must all carry time t. Calls
// must come in time order; an older t is ignored (nothing is zero-filled
// from a backfilled past cycle).
func (tr *Tracker) Observe(t time.Time, pts []point.Point) Result {
	present := make(map[point.Key]struct{}, len(pts))
	for i := range pts {
		k := pts[i].Key()
		present[k] = struct{}{}
		if e, ok := tr.seen[k]; ok && e.lastSeen.After(t) {
			continue
		}
		tr.seen[k] = entry{last: pts[i], lastSeen: t}
	}
	var res Result
	for k, e := range tr.seen {
		if _, ok := present[k]; ok || !t.After(e.lastSeen) {
			continue
		}
		if t.Sub(e.lastSeen) >= tr.staleAfter {
			p := e.last
			p.Time = t
			res.Stale = append(res.Stale, p)
			delete(tr.seen, k)
			continue
		}
		z := e.last
		z.Time, z.Jobs = t, 0
		res.Zeros = append(res.Zeros, z)
	}
	sortPoints(res.Zeros)
	sortPoints(res.Stale)
	return res
}

// Restore seeds the tracker after a restart with a series' last point and
// the time it was last seen (in practice: its last stored sample).
func (tr *Tracker) Restore(p point.Point, lastSeen time.Time) {
	if e, ok := tr.seen[p.Key()]; ok && !lastSeen.After(e.lastSeen) {
		return
	}
	tr.seen[p.Key()] = entry{last: p, lastSeen: lastSeen}
}

// Len returns the number of series tracked.
func (tr *Tracker) Len() int { return len(tr.seen) }

func sortPoints(ps []point.Point) {
	slices.SortFunc(ps, func(a, b point.Point) int {
		ka, kb := a.Key(), b.Key()
		for _, c := range [][2]string{{ka.Queue, kb.Queue}, {ka.ProdSource, kb.ProdSource}, {ka.Resource, kb.Resource}, {ka.Status, kb.Status}} {
			if c[0] != c[1] {
				if c[0] < c[1] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
}
