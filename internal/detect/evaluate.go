package detect

import (
	"math"
	"time"
)

// madScale turns a MAD into a standard-deviation estimate for normal data.
const madScale = 1.4826

// evidence is the baseline comparison of one value.
type evidence struct {
	med, mad, abs, rel, score float64
	n                         int
}

// compare sets v, observed at cycle c, against the baseline of s.
func (d *Detector) compare(s *series, c int64, v float64) evidence {
	med, mad, n := d.baseline(s, c)
	e := evidence{med: med, mad: mad, n: n, abs: v - med}
	e.rel = e.abs / math.Max(med, 1)
	e.score = math.Abs(e.abs) / math.Max(madScale*mad, 1)
	return e
}

// relative, floor and minScore are the state's thresholds: the per-state
// override when there is one, else the global one.
func (d *Detector) relative(state string) float64 {
	if r, ok := d.cfg.StateRelative[state]; ok {
		return r
	}
	return d.cfg.Relative
}

func (d *Detector) floor(state string) float64 {
	if f, ok := d.cfg.StateFloor[state]; ok {
		return f
	}
	return d.cfg.Floor
}

func (d *Detector) minScore(state string) float64 {
	if m, ok := d.cfg.StateMinScore[state]; ok {
		return m
	}
	return d.cfg.MinScore
}

// exceeds reports whether e is over the opening thresholds of state.
func (d *Detector) exceeds(e evidence, state string) bool {
	return math.Abs(e.rel) > d.relative(state) && math.Abs(e.abs) >= d.floor(state) && e.score >= d.minScore(state)
}

// cleared reports whether e is back within the closing thresholds of state.
func (d *Detector) cleared(e evidence, state string) bool {
	return math.Abs(e.rel) <= d.cfg.ClearRelative || math.Abs(e.abs) < d.floor(state)/2
}

// step evaluates a present value at cycle c and returns its finding when the
// series is flagged (streak >= 1 or active). While the series is flagged
// after this cycle, the value stays out of the baseline and its slot keeps
// the value of a window ago (see series), so a deviation, pending or
// active, does not become its own baseline.
func (d *Detector) step(s *series, v float64, t time.Time, c int64) (Finding, bool) {
	if d.period > 0 {
		return d.stepSeasonal(s, v, t, c)
	}
	keep := int64(0)
	if s.flagged() {
		keep = d.keep
	}
	s.advance(c, keep)
	e := d.compare(s, c, v)
	s.touched, s.missing = c, 0
	f, ok := d.transition(s, v, e, t)
	if !s.flagged() || !s.holds(slot(c, d.slots), c, d.keep) {
		s.put(c, v)
	} else {
		s.last = c // the slot keeps its value from a window ago
	}
	return f, ok
}

// transition moves the flag state of s on the evidence e of value v.
func (d *Detector) transition(s *series, v float64, e evidence, t time.Time) (Finding, bool) {
	if e.n < d.cfg.MinHistory {
		s.streak, s.active, s.held = 0, false, nil
		return Finding{}, false
	}
	dir := Rise
	if e.abs < 0 {
		dir = Drop
	}
	switch {
	case s.active && d.cleared(e, s.key.Status):
		s.active, s.streak, s.held = false, 0, nil
		return Finding{}, false
	case s.active:
		s.streak++
	case d.exceeds(e, s.key.Status):
		if s.streak == 0 || s.dir != dir {
			s.streak, s.dir, s.first = 0, dir, t
		}
		s.streak++
		s.active = s.streak >= d.cfg.K
	default:
		s.streak = 0
		return Finding{}, false
	}
	f := d.finding(s, v, e, t)
	if s.active {
		held := f
		s.held = &held
	}
	return f, true
}

// finding builds the evidence for s; the direction is the streak's.
func (d *Detector) finding(s *series, v float64, e evidence, t time.Time) Finding {
	f := Finding{
		Kind:          KindDeviation,
		Queue:         s.key.Queue,
		ProdSource:    s.key.ProdSource,
		Resource:      s.key.Resource,
		State:         s.key.Status,
		Direction:     s.dir,
		Value:         v,
		Baseline:      e.med,
		MAD:           e.mad,
		WindowSeconds: d.cfg.Span().Seconds(),
		Samples:       e.n,
		Coverage:      float64(e.n) / float64(d.full),
		AbsDeviation:  e.abs,
		RelDeviation:  e.rel,
		Score:         e.score,
		Seasonal:      d.cfg.Seasonal,
		FirstSeen:     s.first,
		Cycles:        s.streak,
		Active:        s.active,
	}
	d.describe(&f, t)
	f.Expected = f.Direction == Drop && d.expected(s.key.Queue, t)
	return f
}

// describe fills the queue's attributes and recent CRIC state change.
func (d *Detector) describe(f *Finding, t time.Time) {
	q := d.queues[f.Queue]
	if q == nil {
		return
	}
	f.Cloud = q.attrs[cloudIdx]
	f.Site = q.attrs[siteIdx]
	f.Harvester = q.attrs[harvesterIdx]
	f.PilotVersion = q.attrs[pilotIdx]
	f.SiteState = q.attrs[stateIdx]
	if q.change != nil && t.Sub(q.change.At) <= d.cfg.Window {
		c := *q.change
		f.StateChange = &c
	}
}

// expected reports whether a drain of queue is explained by CRIC: the queue
// is in a down state or entered one within the window.
func (d *Detector) expected(queue string, t time.Time) bool {
	q := d.queues[queue]
	if q == nil {
		return false
	}
	if d.down[q.attrs[stateIdx]] {
		return true
	}
	return !q.downAt.IsZero() && t.Sub(q.downAt) <= d.cfg.Window
}

// missingFinding is the data-quality evidence for a series absent for
// s.missing observed cycles, up to cycle c; the baseline is the one c's
// value would have been compared with.
func (d *Detector) missingFinding(s *series, t time.Time, c int64) Finding {
	med, mad, n := d.baseline(s, c)
	f := Finding{
		Kind:          KindDataQuality,
		Queue:         s.key.Queue,
		ProdSource:    s.key.ProdSource,
		Resource:      s.key.Resource,
		State:         s.key.Status,
		Baseline:      med,
		MAD:           mad,
		WindowSeconds: d.cfg.Span().Seconds(),
		Samples:       n,
		Coverage:      float64(n) / float64(d.full),
		Seasonal:      d.cfg.Seasonal,
		FirstSeen:     s.missSince,
		Cycles:        s.missing,
	}
	d.describe(&f, t)
	return f
}
