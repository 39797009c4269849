package web

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// tailSlots is how many of its last slots an aggregation keeps per group
// and state, to find the newest cycle with data (the current numbers).
const tailSlots = 3

// jobsAgg sums job-count series by group on a grid of time slots, in one
// pass over the series: the jobs of the kept states per slot, running
// cores per slot, failed and finished jobs over the chart's slots, and each
// state's values in the last slots. A sample goes to the first slot at or
// after its time (the newest one wins), so samples on the grid (cycle
// times, rollups at bucket ends) land on their own slot and a missed cycle
// is a gap, not a copy of the previous one.
//
// It is the Jobs Monitoring page's query: over the default grid it reads
// each sample once, where PromQL evaluates every series at every step.
type jobsAgg struct {
	group     string // label grouped by
	g         steps
	chartFrom int     // first slot of the chart (failure % is over the chart)
	per       float64 // final states hold sums over per intervals (rollups)
	// keep tells whether a state counts in the jobs (the state filter);
	// running series are read for the cores whatever the filter.
	keep func(state string) bool
	// factor is a running series' cores per job; nil skips the cores.
	factor func(queue, resource string) float64

	totals map[string][]float64            // group -> jobs per slot; NaN = no sample
	cores  map[string][]float64            // group -> running cores per slot
	finals map[string]*[2]float64          // group -> failed, finished over the chart
	tail   map[string]map[string][]float64 // group -> state -> last tailSlots slots
	buf    []float64                       // one series' values per slot, reused
}

func newJobsAgg(group string, g steps, chartFrom int, per float64) *jobsAgg {
	return &jobsAgg{
		group: group, g: g, chartFrom: chartFrom, per: per,
		keep:   func(string) bool { return true },
		totals: map[string][]float64{}, cores: map[string][]float64{}, finals: map[string]*[2]float64{},
		tail: map[string]map[string][]float64{}, buf: make([]float64, g.N),
	}
}

// add reads one series' samples.
func (a *jobsAgg) add(lbls labels.Labels, it chunkenc.Iterator) error {
	buf := a.buf
	for i := range buf {
		buf[i] = math.NaN()
	}
	start, step := a.g.Start.UnixMilli(), a.g.Step.Milliseconds()
	end := start + int64(a.g.N-1)*step
	hasData := false
	for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
		if vt != chunkenc.ValFloat {
			continue
		}
		t, v := it.At()
		if t > end || t <= start-step || math.IsNaN(v) { // NaN: a staleness marker
			continue
		}
		slot := (t - start + step - 1) / step
		buf[slot] = v
		hasData = true
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("read %s: %w", lbls, err)
	}
	if !hasData {
		return nil
	}
	grp, st := lbls.Get(a.group), lbls.Get(labelStatus)
	if st == "running" && a.factor != nil {
		f := a.factor(lbls.Get(labelQueue), lbls.Get(labelResource))
		a.cores[grp] = addScaled(a.cores[grp], buf, f)
	}
	if !a.keep(st) {
		return nil
	}
	scale := 1.0
	if isFinal(st) && a.per > 1 {
		scale = 1 / a.per
	}
	a.totals[grp] = addScaled(a.totals[grp], buf, scale)
	if st == "failed" || st == "finished" {
		f := a.finals[grp]
		if f == nil {
			f = &[2]float64{}
			a.finals[grp] = f
		}
		i := 1
		if st == "failed" {
			i = 0
		}
		f[i] += sumFinite(buf[a.chartFrom:]) * scale
	}
	byState := a.tail[grp]
	if byState == nil {
		byState = map[string][]float64{}
		a.tail[grp] = byState
	}
	byState[st] = addInto(byState[st], buf[max(0, len(buf)-tailSlots):])
	return nil
}

// addScaled adds src*f into dst (NaN is missing, see addInto); a nil dst
// is allocated.
func addScaled(dst, src []float64, f float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(src))
		for i := range dst {
			dst[i] = math.NaN()
		}
	}
	for i, v := range src {
		switch {
		case math.IsNaN(v):
		case math.IsNaN(dst[i]):
			dst[i] = v * f
		default:
			dst[i] += v * f
		}
	}
	return dst
}

// current returns the counts of the newest slot among the last ones with
// any sample: per group and state, and that slot's time. ok is false when
// no slot has data.
func (a *jobsAgg) current() (cur []sample, at time.Time, ok bool) {
	newest := -1
	for _, byState := range a.tail {
		for _, v := range byState {
			for i := len(v) - 1; i > newest; i-- {
				if !math.IsNaN(v[i]) {
					newest = i
					break
				}
			}
		}
	}
	if newest < 0 {
		return nil, time.Time{}, false
	}
	for grp, byState := range a.tail {
		for st, v := range byState {
			if i := newest; i < len(v) && !math.IsNaN(v[i]) {
				cur = append(cur, sample{Labels: labels.FromStrings(a.group, grp, labelStatus, st), V: v[i]})
			}
		}
	}
	tailStart := a.g.N - min(tailSlots, a.g.N)
	return cur, a.g.Start.Add(time.Duration(tailStart+newest) * a.g.Step), true
}

// eachSeries calls fn for every series matching ms with samples in
// [from, to]; the iterator is valid during the call only.
func (en *engine) eachSeries(ctx context.Context, from, to time.Time, ms []*labels.Matcher, fn func(labels.Labels, chunkenc.Iterator) error) error {
	ctx, cancel := context.WithTimeout(ctx, en.timeout)
	defer cancel()
	mint, maxt := from.UnixMilli(), to.UnixMilli()
	q, err := en.q.Querier(mint, maxt)
	if err != nil {
		return fmt.Errorf("select %v: %w", ms, err)
	}
	defer q.Close()
	ss := q.Select(ctx, false, &storage.SelectHints{Start: mint, End: maxt}, ms...)
	var it chunkenc.Iterator
	for n := 0; ss.Next(); n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return fmt.Errorf("select %v: %w", ms, ctx.Err())
		}
		s := ss.At()
		it = s.Iterator(it)
		if err := fn(s.Labels(), it); err != nil {
			return err
		}
	}
	if err := ss.Err(); err != nil {
		return fmt.Errorf("select %v: %w", ms, err)
	}
	return nil
}

// nameMatcher selects one metric.
func nameMatcher(metric string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, metric)
}
