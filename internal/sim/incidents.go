package sim

import (
	"slices"
	"strings"
	"time"
)

// Incident schedule. Each kind recurs with a fixed period; occurrence n of a
// kind lies inside period n (so occurrences of a kind never overlap), starts
// at an offset drawn from (seed, kind, n), picks its target the same way and
// starts and ends on cycle boundaries:
//
//	kind              period  shape
//	site_drain        24h     running of every queue of one site x0.35, x0.05,
//	                          then 0 for 4-8h, then x0.4, x0.8 (one cycle each);
//	                          activated x0.6 throughout
//	queue_offline     24h     one queue set "offline" in CRIC; its running
//	                          drains as above for 3-6h, activated x0.1; CRIC
//	                          says online again when the ramp-up starts
//	activated_pileup  12h     activated of one queue x5-10 for 2-4h (half
//	                          that in the first and last cycle); running kept
//	failure_burst     12h     one queue: 85% of completed jobs fail and three
//	                          times as many complete, for 1-2h
//	cloud_dip         24h     running of every queue of one cloud x0.5 for 1-2h
//
// So any 7-day window holds about 7 of each daily kind and 14 of each
// half-daily kind. Start is the first affected cycle, End the first normal
// one. Queue incidents hit online queues running >= 150 jobs on average,
// never a site draining at the same time, and pileups and failure bursts
// never the queue taken offline. PanDA-only queues are untouched by site
// and cloud incidents. The schedule needs an interval well under the
// incident lengths (up to about 1h) to keep its shape.

// Incident is one scripted incident.
type Incident struct {
	Start  time.Time  `json:"start"`
	End    *time.Time `json:"end"` // first normal cycle; nil while open at 'to'
	Kind   string     `json:"kind"`
	Queues []string   `json:"queues"`
	Cloud  string     `json:"cloud,omitempty"`
	Site   string     `json:"site,omitempty"`
}

type kind int

const (
	kindDrain kind = iota
	kindOffline
	kindPileup
	kindFailure
	kindCloudDip
	numKinds
)

var kindNames = [numKinds]string{"site_drain", "queue_offline", "activated_pileup", "failure_burst", "cloud_dip"}
var kindPeriod = [numKinds]float64{24, 24, 12, 12, 24} // hours

// kindSet is a set of kinds, used to switch incidents off in tests.
type kindSet uint8

func (s kindSet) has(k kind) bool { return s&(1<<k) != 0 }

// occurrence is one incident on the cycle grid.
type occurrence struct {
	kind       kind
	start, end int64 // cycles, [start, end)
	hold       int64 // cycles at full strength
	site       *site
	q          *queue
	cloud      string
	mag        float64
	cricOffEnd int64 // queue_offline: CRIC says offline in [start, cricOffEnd)
}

// effect is how incidents change one queue at one cycle.
type effect struct {
	run, act, compl float64
	failFrac        float64 // < 0: the series' own failure rate
}

var noEffect = effect{run: 1, act: 1, compl: 1, failFrac: -1}

// chooseTargets lists the sites and queues incidents may hit.
func (g *Grid) chooseTargets() {
	for _, s := range g.sites {
		if slices.ContainsFunc(s.queues, (*queue).normal) {
			g.drainSites = append(g.drainSites, s)
		}
	}
	// Queue incidents hit queues big enough for them to stand out.
	for _, q := range g.queues {
		if q.normal() && q.total >= 150 {
			g.queueTargets = append(g.queueTargets, q)
		}
	}
	if len(g.queueTargets) == 0 {
		for _, q := range g.queues {
			if q.normal() {
				g.queueTargets = append(g.queueTargets, q)
			}
		}
	}
}

// period is the length of a kind's period in cycles.
func (g *Grid) period(k kind) int64 { return max(1, int64(kindPeriod[k]*3600)/g.ivSec) }

// occurrence returns occurrence n of kind k, or nil when the grid has no
// target for it or the interval is too long for incidents.
func (g *Grid) occurrence(k kind, n int64) *occurrence {
	p := g.period(k)
	h := h3(g.seed, uint64(k)+1000, uint64(n))
	o := &occurrence{kind: k}
	var length int64
	switch k {
	case kindDrain:
		o.hold = g.cycles(4 + 4*unit(h2(h, 2)))
		length = 2 + o.hold + 2
	case kindOffline:
		o.hold = g.cycles(3 + 3*unit(h2(h, 2)))
		length = 2 + o.hold + 2
		o.cricOffEnd = 2 + o.hold
	case kindPileup:
		o.hold = g.cycles(2 + 2*unit(h2(h, 2)))
		o.mag = 5 + 5*unit(h2(h, 3))
		length = 1 + o.hold + 1
	case kindFailure, kindCloudDip:
		o.hold = g.cycles(1 + unit(h2(h, 2)))
		length = o.hold
	}
	length = min(length, p-1)
	if length < 1 {
		return nil
	}
	o.start = n*p + int64(h2(h, 9)%uint64(p-length))
	o.end = o.start + length
	o.cricOffEnd += o.start
	if !g.pickTarget(o, h2(h, 1)) {
		return nil
	}
	return o
}

// pickTarget chooses the target of o from hash h. Queue incidents avoid a
// site draining at the same time, and pileups and failure bursts avoid a
// queue taken offline, so each incident shows on its own.
func (g *Grid) pickTarget(o *occurrence, h uint64) bool {
	switch o.kind {
	case kindDrain:
		if len(g.drainSites) == 0 {
			return false
		}
		o.site = g.drainSites[pick(h, len(g.drainSites))]
		return true
	case kindCloudDip:
		o.cloud = g.clouds[pick(h, len(g.clouds))]
		return true
	}
	var busy []*occurrence
	busy = append(busy, g.overlapping(kindDrain, o.start, o.end)...)
	if o.kind != kindOffline {
		busy = append(busy, g.overlapping(kindOffline, o.start, o.end)...)
	}
	n := len(g.queueTargets)
	for i := range n {
		q := g.queueTargets[(pick(h, max(n, 1))+i)%n]
		if !slices.ContainsFunc(busy, func(b *occurrence) bool { return b.q == q || b.site == q.site }) {
			o.q = q
			return true
		}
	}
	return false
}

// overlapping returns the occurrences of kind k overlapping [start, end).
func (g *Grid) overlapping(k kind, start, end int64) []*occurrence {
	var out []*occurrence
	p := g.period(k)
	for n := floorDiv(start, p); n <= floorDiv(end-1, p); n++ {
		if o := g.occurrence(k, n); o != nil && o.start < end && start < o.end {
			out = append(out, o)
		}
	}
	return out
}

// activeAt returns the occurrences of every kind running at cycle c,
// leaving out the kinds in skip.
func (g *Grid) activeAt(c int64, skip kindSet) (a [numKinds]*occurrence) {
	for k := range numKinds {
		if skip.has(k) {
			continue
		}
		o := g.occurrence(k, floorDiv(c, g.period(k)))
		if o != nil && c >= o.start && c < o.end {
			a[k] = o
		}
	}
	return a
}

// drainFactor is the running multiplier of a drain-shaped incident.
func (o *occurrence) drainFactor(c int64) float64 {
	i := c - o.start
	switch {
	case i < 2:
		return [2]float64{.35, .05}[i]
	case i < 2+o.hold:
		return 0
	}
	return [2]float64{.4, .8}[min(i-2-o.hold, 1)]
}

// effectOn is what the active occurrences a do to queue q at cycle c.
func effectOn(a *[numKinds]*occurrence, q *queue, c int64) effect {
	e := noEffect
	if o := a[kindDrain]; o != nil && !q.orphan && q.site == o.site {
		e.run *= o.drainFactor(c)
		e.act *= .6
	}
	if o := a[kindOffline]; o != nil && q == o.q {
		e.run *= o.drainFactor(c)
		if c < o.cricOffEnd {
			e.act *= .1
		}
	}
	if o := a[kindPileup]; o != nil && q == o.q {
		m := o.mag
		if c == o.start || c == o.end-1 {
			m = 1 + (m-1)/2
		}
		e.act *= m
	}
	if o := a[kindFailure]; o != nil && q == o.q {
		e.failFrac = .85
		e.compl *= 3
	}
	if o := a[kindCloudDip]; o != nil && !q.orphan && q.site.cloud == o.cloud {
		e.run *= .5
	}
	return e
}

// offlineAt is the queue_offline occurrence keeping a queue offline in CRIC
// at cycle c, or nil.
func (g *Grid) offlineAt(c int64) *occurrence {
	o := g.occurrence(kindOffline, floorDiv(c, g.period(kindOffline)))
	if o == nil || c < o.start || c >= o.cricOffEnd {
		return nil
	}
	return o
}

// Incidents returns the scripted incidents active at some time in
// [from, to], sorted by start then kind. End is nil for incidents still
// open at to.
func (g *Grid) Incidents(from, to time.Time) []Incident {
	if to.Before(from) {
		return nil
	}
	out := []Incident{}
	for k := range numKinds {
		p := g.period(k)
		for n := floorDiv(g.cycle(from), p) - 1; n <= floorDiv(g.cycle(to), p); n++ {
			o := g.occurrence(k, n)
			if o == nil {
				continue
			}
			start, end := g.cycleTime(o.start), g.cycleTime(o.end)
			if start.After(to) || !end.After(from) {
				continue
			}
			out = append(out, g.incident(o, start, end, to))
		}
	}
	slices.SortFunc(out, func(a, b Incident) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	return out
}

// incident describes occurrence o for Incidents.
func (g *Grid) incident(o *occurrence, start, end, to time.Time) Incident {
	in := Incident{Start: start, Kind: kindNames[o.kind], Queues: []string{}}
	if !end.After(to) {
		in.End = &end
	}
	switch {
	case o.q != nil:
		in.Queues = append(in.Queues, o.q.name)
		in.Site, in.Cloud = o.q.site.name, o.q.site.cloud
	case o.site != nil:
		in.Site, in.Cloud = o.site.name, o.site.cloud
		for _, q := range o.site.queues {
			if q.reports() {
				in.Queues = append(in.Queues, q.name)
			}
		}
	default:
		in.Cloud = o.cloud
		for _, q := range g.queues {
			if !q.orphan && q.reports() && q.site.cloud == o.cloud {
				in.Queues = append(in.Queues, q.name)
			}
		}
	}
	return in
}
