package detect

import (
	"cmp"
	"slices"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// SeriesState is the detector's view of one watched series: its baseline
// and its flag. It is what a restart must restore (see Snapshot).
type SeriesState struct {
	Key       point.Key
	Median    float64 // of the baseline the next cycle is compared with
	MAD       float64
	Samples   int // values in that baseline
	Streak    int // consecutive flagged cycles
	Active    bool
	Direction string
	FirstSeen time.Time // first cycle of the current streak
	Missing   int       // consecutive cycles without data
}

// Snapshot is the detector's state at its last cycle.
type Snapshot struct {
	Cycle  time.Time // the last cycle observed; zero before the first
	Series []SeriesState
	Open   []Incident
}

// Config returns the configuration the detector runs with.
func (d *Detector) Config() Config { return d.cfg }

// Snapshot returns the baselines and flags of every tracked series, sorted
// by key, and the open incidents. It copies everything; it is meant for
// tests and diagnostics (a restart is checked against it), not for every
// cycle.
func (d *Detector) Snapshot() Snapshot {
	var snap Snapshot
	if d.started {
		snap.Cycle = time.Unix(0, d.cycle*int64(d.cfg.Interval)).UTC()
	}
	snap.Series = make([]SeriesState, 0, len(d.series))
	for k, s := range d.series {
		med, mad, n := d.baseline(s, d.cycle+1)
		st := SeriesState{Key: k, Median: med, MAD: mad, Samples: n, Streak: s.streak, Active: s.active, Missing: s.missing}
		if s.flagged() {
			st.Direction, st.FirstSeen = s.dir, s.first
		}
		snap.Series = append(snap.Series, st)
	}
	slices.SortFunc(snap.Series, func(a, b SeriesState) int {
		return cmp.Or(
			cmp.Compare(a.Key.Queue, b.Key.Queue),
			cmp.Compare(a.Key.ProdSource, b.Key.ProdSource),
			cmp.Compare(a.Key.Resource, b.Key.Resource),
			cmp.Compare(a.Key.Status, b.Key.Status),
		)
	})
	snap.Open = d.openList()
	return snap
}
