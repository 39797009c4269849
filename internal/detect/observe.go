package detect

import (
	"cmp"
	"slices"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// Attribute indexes used for grouping and evidence.
const (
	cloudIdx     = point.Cloud
	siteIdx      = point.AtlasSite
	harvesterIdx = point.Harvester
	pilotIdx     = point.PilotVersion
	stateIdx     = point.SiteState
)

// Detector holds the per-series rings and the open incidents. Memory is
// bounded by the number of series times the ring length (Window/Interval,
// or SeasonalDays*24h/Interval with Seasonal); a series without data for a
// whole ring is forgotten. Per series that is about 600 bytes (struct, map
// entry, its share of the queue's attributes) plus 10 bytes per slot with
// the trailing window (value, write stamp, sorted copy: ~2.2 kB measured at
// 24 h of 10-minute cycles) or 4 bytes per slot with the seasonal baseline
// (the value only: ~4.6 kB at 7 days of 10-minute cycles), so ~55 MB or
// ~115 MB for the default grid's 25,000 watched series (BenchmarkObserve
// reports B/series).
type Detector struct {
	cfg     Config
	slots   int       // ring length: values kept per series
	full    int       // values in a full baseline (for coverage)
	keep    int64     // cycles a flagged series' slot keeps its value (see series)
	period  int64     // cycles per day with Seasonal, else 0 (trailing window)
	half    int64     // cycles either side of the same time of day
	freeze  int64     // FreezeLimit in cycles (seasonal)
	scratch []float32 // the seasonal baseline being computed
	devs    []float64 // its deviations from the median
	states  map[string]bool
	down    map[string]bool
	series  map[point.Key]*series
	queues  map[string]*queueInfo
	open    map[string]*Incident // by identity
	cycle   int64
	started bool
}

// Observe runs one cycle at t (floored to the interval). obs holds the
// cycle's series; a watched series left out counts as missing. A t not after
// the previous cycle changes nothing and returns the open incidents.
func (d *Detector) Observe(t time.Time, obs []Observation) Report {
	t = t.Truncate(d.cfg.Interval)
	c := t.UnixNano() / int64(d.cfg.Interval)
	if d.started && c <= d.cycle {
		return Report{Open: d.openList()}
	}
	d.started, d.cycle = true, c
	d.updateQueues(obs, t, c)
	var findings, signals []Finding
	for i := range obs {
		o := &obs[i]
		if !o.Present || !d.states[o.Key.Status] {
			continue
		}
		s := d.series[o.Key]
		if s == nil || c-s.touched >= int64(d.slots) { // new, or no data for a whole ring: forgotten
			s = newSeries(o.Key, d.slots, c, d.period == 0)
			d.series[o.Key] = s
		}
		if s.touched == c {
			continue // duplicate observation in one cycle: first wins
		}
		if f, ok := d.step(s, o.Value, t, c); ok {
			findings = append(findings, f)
			if f.Active {
				signals = append(signals, f)
			}
		}
	}
	dq, held := d.sweep(t, c)
	findings = append(findings, dq...)
	signals = append(signals, held...)
	sortFindings(findings)
	sortFindings(signals)
	rep := d.reconcile(t, d.assign(signals, dq))
	rep.Findings = findings
	return rep
}

// updateQueues records each queue's attributes once per cycle and forgets
// queues not seen for a window.
func (d *Detector) updateQueues(obs []Observation, t time.Time, c int64) {
	for i := range obs {
		o := &obs[i]
		q := d.queues[o.Key.Queue]
		if q == nil {
			q = &queueInfo{seen: -1}
			d.queues[o.Key.Queue] = q
		}
		if q.seen != c {
			q.update(&o.Attrs, t, c, d.down)
		}
	}
	for name, q := range d.queues {
		if c-q.seen >= int64(d.slots) {
			delete(d.queues, name)
		}
	}
}

// sweep counts missing cycles for series absent at c, forgets series without
// data for a whole window, and returns data-quality findings (missing for K
// cycles or more) and the held findings of active series that are missing.
func (d *Detector) sweep(t time.Time, c int64) (dq, held []Finding) {
	for k, s := range d.series {
		if s.touched == c {
			continue
		}
		if c-s.touched >= int64(d.slots) {
			delete(d.series, k)
			continue
		}
		s.missing++
		if s.missing == 1 {
			s.missSince = t
		}
		if s.missing >= d.cfg.K {
			dq = append(dq, d.missingFinding(s, t, c))
		}
		if s.active && s.held != nil {
			held = append(held, *s.held)
		}
	}
	return dq, held
}

func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Queue, b.Queue),
			cmp.Compare(a.ProdSource, b.ProdSource),
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.State, b.State),
		)
	})
}
