package sim

import (
	"math"
	"time"
)

// jobStates are PanDA's 16 job states in lifecycle order.
var jobStates = [nStates]string{
	"pending", "defined", "waiting", "assigned", "throttled", "activated", "sent", "starting",
	"running", "holding", "transferring", "merging", "finished", "failed", "cancelled", "closed",
}

const (
	stPending = iota
	stDefined
	stWaiting
	stAssigned
	stThrottled
	stActivated
	stSent
	stStarting
	stRunning
	stHolding
	stTransferring
	stMerging
	stFinished
	stFailed
	stCancelled
	stClosed
	nStates
)

// mandatory are the states PanDA zero-fills for every (queue, label,
// resource type) it reports.
const mandatory = 1<<stAssigned | 1<<stActivated | 1<<stRunning | 1<<stFinished | 1<<stFailed

// maxSteps bounds the number of points the final-state integral samples.
const maxSteps = 36

// ratios are the sizes of the minor states of one label: the queued states
// relative to activated, the running-side states relative to running, and
// the cancelled/closed fractions of completed jobs.
type ratios struct {
	pending, defined, waiting, assigned, throttled float64
	sent, starting, holding, transferring, merging float64
	cancelled, closed                              float64
}

var labelRatios = map[string]*ratios{
	"managed": {pending: .006, defined: .02, waiting: .01, assigned: .015,
		sent: .004, starting: .015, holding: .02, transferring: .012, merging: .005, cancelled: .01, closed: .004},
	"user": {pending: .01, defined: .01, waiting: .005, assigned: .006, throttled: .1,
		sent: .005, starting: .02, holding: .015, transferring: .004, cancelled: .03},
	"test":    {defined: .03, assigned: .03, sent: .01, starting: .03, holding: .02, cancelled: .02},
	"unknown": {defined: .02, starting: .02, holding: .03, cancelled: .02},
}

// row is the counts of one (queue, label, resource type).
type row struct {
	q *queue
	s *series
	n [nStates]int64
}

// Stats returns PanDA's answer at time t for a time_window of
// windowMinutes (negative counts as 0): queue -> label -> resource type ->
// job state -> jobs. It is what the statistics endpoints serve.
func (g *Grid) Stats(t time.Time, windowMinutes int) map[string]map[string]map[string]map[string]int64 {
	rows := g.compute(t, windowMinutes, 0)
	out := make(map[string]map[string]map[string]map[string]int64, len(g.queues))
	for i := range rows {
		r := &rows[i]
		byLabel := out[r.q.name]
		if byLabel == nil {
			byLabel = map[string]map[string]map[string]int64{}
			out[r.q.name] = byLabel
		}
		byRes := byLabel[r.s.label]
		if byRes == nil {
			byRes = map[string]map[string]int64{}
			byLabel[r.s.label] = byRes
		}
		m := make(map[string]int64, 10)
		for st, v := range r.n {
			if v != 0 || mandatory&(1<<st) != 0 {
				m[jobStates[st]] = v
			}
		}
		byRes[r.s.res] = m
	}
	return out
}

// compute returns the rows of the answer at t, sorted by queue, label and
// resource type, with the incident kinds in skip switched off.
func (g *Grid) compute(t time.Time, window int, skip kindSet) []row {
	c := g.cycle(t)
	tc := float64(c * g.ivSec)
	steps, step := g.steps(window)
	act := make([][numKinds]*occurrence, max(steps, 1))
	cyc := make([]int64, len(act))
	for j := range act {
		cyc[j] = int64(math.Floor((tc - float64(j)*step) / float64(g.ivSec)))
		act[j] = g.activeAt(cyc[j], skip)
	}
	rows := make([]row, 0, 4096)
	effs := make([]effect, len(act))
	for _, q := range g.queues {
		for j := range act {
			effs[j] = effectOn(&act[j], q, cyc[j])
		}
		for i := range q.series {
			r := row{q: q, s: &q.series[i]}
			g.fill(&r, c, tc, steps, step, effs)
			if r.n != ([nStates]int64{}) {
				rows = append(rows, r)
			}
		}
	}
	return rows
}

// steps splits a window of minutes into the points the final-state
// integral samples: one per cycle, at most maxSteps.
func (g *Grid) steps(window int) (int, float64) {
	if window <= 0 {
		return 0, 0
	}
	sec := float64(window) * 60
	n := min(int(math.Ceil(sec/float64(g.ivSec))), maxSteps)
	return n, sec / float64(n)
}

// level is the running-job multiplier of a series at time tsec: a daily
// cycle in the site's local time, times slow noise.
func level(q *queue, s *series, tsec float64) float64 {
	hour := tsec/3600 + q.tz
	day := 1 + s.amp*math.Cos(2*math.Pi*(hour-15)/24)
	slow := 1 + 0.12*valueNoise(s.key, tsec, 6*3600) + 0.05*valueNoise(s.key^0x9e37, tsec, 3600)
	return day * slow
}

// fill computes the counts of one row at cycle c (time tc).
func (g *Grid) fill(r *row, c int64, tc float64, steps int, step float64, effs []effect) {
	s, q := r.s, r.q
	e := effs[0]
	rt := labelRatios[s.label]
	r0 := s.base * level(q, s, tc)
	run := r0 * e.run
	queued := r0 * s.act * (1 + 0.3*valueNoise(s.key^0xac7, tc, 2*3600)) * e.act
	if q.status == "brokeroff" {
		queued *= .03
	}
	jit := func(st int) float64 { return 1 + 0.25*valueNoise(s.key^uint64(st+1)<<20, tc, 3600) }
	var x [nStates]float64
	x[stRunning] = run * (1 + 0.02*signed(h3(s.key, uint64(c), 99)))
	x[stActivated] = queued
	x[stPending] = queued * rt.pending * jit(stPending)
	x[stDefined] = queued * rt.defined * jit(stDefined)
	x[stWaiting] = queued * rt.waiting * jit(stWaiting)
	x[stAssigned] = queued * rt.assigned * jit(stAssigned)
	if valueNoise(s.key^0x7407, tc, 2*3600) > 0.4 {
		x[stThrottled] = queued * rt.throttled
	}
	x[stSent] = run * rt.sent * jit(stSent)
	x[stStarting] = run * rt.starting * jit(stStarting)
	x[stHolding] = run * rt.holding * jit(stHolding)
	x[stTransferring] = run * rt.transferring * jit(stTransferring)
	x[stMerging] = run * rt.merging * jit(stMerging)
	g.finals(&x, q, s, rt, tc, steps, step, effs, run)
	for st := range x {
		r.n[st] = roundRand(x[st], h3(s.key, uint64(st), uint64(c)))
	}
}

// finals integrates completed jobs over the window: at each sample point
// running/walltime jobs complete per minute, split into the final states.
func (g *Grid) finals(x *[nStates]float64, q *queue, s *series, rt *ratios, tc float64, steps int, step float64, effs []effect, run0 float64) {
	for j := range steps {
		e := effs[j]
		run := run0
		if j > 0 {
			tj := tc - float64(j)*step
			run = s.base * level(q, s, tj) * e.run
		}
		done := run / s.wall * step / 60 * e.compl
		fail := s.fail
		if e.failFrac >= 0 {
			fail = e.failFrac
		}
		fin := max(0, 1-fail-rt.cancelled-rt.closed)
		x[stFinished] += done * fin
		x[stFailed] += done * fail
		x[stCancelled] += done * rt.cancelled
		x[stClosed] += done * rt.closed
	}
}
