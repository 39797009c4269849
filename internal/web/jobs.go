package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Chart and table limits of the Jobs Monitoring page.
const (
	maxChartGroups = 9    // groups drawn apart; the rest are summed as "other"
	maxTableRows   = 2000 // rows of the current table
	sparkSpan      = day  // sparklines: the last 24 hours, hourly
	sparkStep      = time.Hour
)

// otherGroup names the sum of the groups not drawn apart.
const otherGroup = "other"

// stateOrder is the order of the job-state columns: PanDA's life cycle,
// snapshot states first, then final states. States not listed follow,
// sorted.
var stateOrder = []string{"pending", "defined", "waiting", "assigned", "throttled", "activated", "sent",
	"starting", "running", "holding", "transferring", "merging", "finished", "failed", "cancelled", "closed"}

// isFinal tells whether a state counts jobs that reached it during the
// interval (a rate) rather than jobs in it (a snapshot); see derive.IsFinal.
func isFinal(state string) bool {
	switch state {
	case "finished", "failed", "cancelled", "closed":
		return true
	}
	return false
}

type jobsAnswer struct {
	Range       rangeJSON     `json:"range"`
	Group       string        `json:"group"`
	Times       []int64       `json:"times"`
	Jobs        []chartSeries `json:"jobs"`
	Cores       []chartSeries `json:"cores"`
	States      []string      `json:"states"`
	Rows        []groupRow    `json:"rows"`
	Total       groupRow      `json:"total"`
	RowsOmitted int           `json:"rows_omitted"`
	CurrentTime *time.Time    `json:"current_time"` // of the current numbers; null without data
	SparkTimes  []int64       `json:"spark_times"`
	SparkLabel  string        `json:"spark_label"`

	spark map[string][]float64 // group -> sparkline, for the table
}

type rangeJSON struct {
	Name        string    `json:"name"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	StepSeconds float64   `json:"step_seconds"`
	Resolution  string    `json:"resolution"` // raw, 1h, 1d
}

type chartSeries struct {
	Name   string `json:"name"`
	Other  bool   `json:"other,omitempty"`
	Values []num  `json:"values"`
}

// groupRow is one row of the current table: the count of each state (in
// the order of jobsAnswer.States) at the current time, their total, the
// failure percentage over the range and the last 24 hours of the total.
type groupRow struct {
	Group      string `json:"group"`
	Current    []num  `json:"current"`
	Total      num    `json:"total"`
	FailurePct num    `json:"failure_pct"`
	Spark      []num  `json:"spark"`
}

// apiJobs answers /api/qmonit/v1/jobs: the stacked jobs and cores charts
// and the current table of the Jobs Monitoring page. Answers are cached
// per parameters, grid and last good cycle: the data changes with cycles.
func (u *UI) apiJobs(r *http.Request) (any, error) {
	now := u.o.Now()
	p, err := parseJobsParams(r.URL.Query(), now)
	if err != nil {
		return nil, err
	}
	res := chooseResolution(p.Range, now, u.o.Interval, u.o.RawRetention)
	chart := alignSteps(p.Range.From, p.Range.To, res.Step)
	key := jobsKey(p, chart, u.b.Status().LastGoodCycle, p.Range.To.Truncate(u.o.Interval))
	body, err := u.cache.get(r.Context(), key, func(ctx context.Context) ([]byte, error) {
		ans, err := u.jobs(ctx, p, res, chart)
		if err != nil {
			return nil, err
		}
		return json.Marshal(ans)
	})
	if err != nil {
		return nil, err
	}
	return json.RawMessage(body), nil
}

// jobsKey identifies a Jobs Monitoring answer: the filters (values
// sorted), group, grid, the cycle of the current numbers and the data
// generation (the last good cycle).
func jobsKey(p jobsParams, chart steps, generation, current time.Time) string {
	var b strings.Builder
	for _, f := range p.Filters {
		vals := slices.Sorted(slices.Values(f.Values))
		b.WriteString(f.Dim.Name)
		for _, v := range vals {
			b.WriteString("\x00")
			b.WriteString(v)
		}
		b.WriteString("\x01")
	}
	fmt.Fprintf(&b, "group=%s\x01grid=%d/%d/%d\x01current=%d\x01gen=%d",
		p.Group.Name, chart.Start.Unix(), chart.Step, chart.N, current.Unix(), generation.UnixNano())
	return b.String()
}

// jobs computes a Jobs Monitoring answer.
func (u *UI) jobs(ctx context.Context, p jobsParams, res resolution, chart steps) (jobsAnswer, error) {
	// Raw data is read for at least the 24 hours of the sparklines.
	g := chart
	if res.Bucket == 0 && chart.End().Sub(chart.Start) < sparkSpan {
		g = alignSteps(chart.End().Add(-sparkSpan), chart.End(), res.Step)
	}
	agg := newJobsAgg(p.Group.Label, g, g.N-chart.N, res.perInterval())
	var cur *jobsAgg
	if res.Bucket > 0 { // the current numbers come from the newest raw samples
		end := p.Range.To.Truncate(u.o.Interval)
		cur = newJobsAgg(p.Group.Label, alignSteps(end.Add(-(tailSlots-1)*u.o.Interval), end, u.o.Interval), 0, 1)
	}
	if err := u.aggregateJobs(ctx, p, res.Metric, agg, cur); err != nil {
		return jobsAnswer{}, err
	}
	if cur == nil {
		cur = agg
	}
	ans := buildJobs(agg, chart, res)
	current, at, ok := cur.current()
	ans.States, ans.Rows, ans.Total = currentTable(p.Group.Label, current, agg.finals, ans.spark)
	if len(ans.Rows) > maxTableRows {
		ans.RowsOmitted = len(ans.Rows) - maxTableRows
		ans.Rows = ans.Rows[:maxTableRows]
	}
	ans.Range = rangeJSON{Name: p.Range.Name, From: chart.Start.UTC(), To: chart.End().UTC(), StepSeconds: res.Step.Seconds(), Resolution: res.Name}
	ans.Group = p.Group.Name
	if ok {
		ans.CurrentTime = timePtr(at)
	}
	return ans, nil
}

// aggregateJobs reads the filtered series once into agg (and the newest
// raw samples into cur, when not nil). The state filter is applied while
// summing, so running series are read for the cores whatever it is.
func (u *UI) aggregateJobs(ctx context.Context, p jobsParams, metric string, agg, cur *jobsAgg) error {
	ms, err := filterMatchers(p.Filters, labelStatus)
	if err != nil {
		return err
	}
	for _, f := range p.Filters {
		if f.Dim.Label != labelStatus {
			continue
		}
		wanted := map[string]bool{}
		for _, v := range f.Values {
			wanted[v] = true
		}
		keep := func(st string) bool { return wanted[st] }
		agg.keep = keep
		if cur != nil {
			cur.keep = keep
		}
		states := slices.Clone(f.Values)
		if !wanted["running"] {
			states = append(states, "running")
		}
		sm, err := filterMatchers([]filter{{Dim: f.Dim, Values: states}}, "")
		if err != nil {
			return err
		}
		ms = append(ms, sm...)
	}
	if agg.factor, err = u.coresFactor(ctx, agg.g.End()); err != nil {
		return err
	}
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		return u.en.eachSeries(ctx, agg.g.Start.Add(-agg.g.Step), agg.g.End(), append(ms, nameMatcher(metric)), agg.add)
	})
	if cur != nil {
		eg.Go(func() error {
			return u.en.eachSeries(ctx, cur.g.Start.Add(-cur.g.Step), cur.g.End(), append(slices.Clip(ms), nameMatcher(metricJobs)), cur.add)
		})
	}
	return eg.Wait()
}

// coresFactor returns a running series' cores per job, enrich's rule: the
// queue's CRIC corecount for MCORE* resources when positive, else 8; 1 for
// every other resource. Corecounts are the newest within a day of t.
func (u *UI) coresFactor(ctx context.Context, t time.Time) (func(queue, resource string) float64, error) {
	expr, err := u.en.parse(fmt.Sprintf("max by (%s) (%s)", labelQueue, metricCorecount), nil)
	if err != nil {
		return nil, err
	}
	s, err := u.en.instantQuery(ctx, expr, t, infoLookback)
	if err != nil {
		return nil, err
	}
	cc := byLabel(s, labelQueue)
	return func(queue, resource string) float64 {
		if !strings.HasPrefix(resource, "MCORE") {
			return 1
		}
		if c := cc[queue]; c > 0 {
			return c
		}
		return 8
	}, nil
}

// buildJobs turns an aggregation into the charts (the chart's slots of
// the grid) and the sparklines (the last 24 hours, hourly; or the last
// 25 points of rollups).
func buildJobs(agg *jobsAgg, chart steps, res resolution) jobsAnswer {
	ans := jobsAnswer{Times: chart.unixSeconds()}
	from := agg.chartFrom
	totals := make(map[string][]float64, len(agg.totals))
	for grp, v := range agg.totals {
		totals[grp] = v[from:]
	}
	cores := make(map[string][]float64, len(agg.cores))
	for grp, v := range agg.cores {
		cores[grp] = v[from:]
	}
	top := topGroups(totals, maxChartGroups)
	ans.Jobs = chartOf(totals, top)
	ans.Cores = chartOf(cores, top)
	every, n := 1, min(25, agg.g.N)
	ans.SparkLabel = "last 24 h"
	switch {
	case res.Bucket == 0:
		every = max(1, int(sparkStep/agg.g.Step))
		n = int(sparkSpan/sparkStep) + 1
	case res.Bucket != time.Hour:
		ans.SparkLabel = fmt.Sprintf("last %d points", n)
	}
	idx := sparkIndexes(agg.g.N, every, n)
	ans.spark = make(map[string][]float64, len(agg.totals))
	for grp, v := range agg.totals {
		ans.spark[grp] = pick(v, idx)
	}
	ans.SparkTimes = make([]int64, len(idx))
	for i, j := range idx {
		ans.SparkTimes[i] = agg.g.Start.Add(time.Duration(j) * agg.g.Step).Unix()
	}
	return ans
}

// sparkIndexes returns up to n slot indexes, every apart, ending at the
// last of n slots, in time order.
func sparkIndexes(slots, every, n int) []int {
	var out []int
	for i := slots - 1; i >= 0 && len(out) < n; i -= every {
		out = append(out, i)
	}
	slices.Reverse(out)
	return out
}

func pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

// Warm computes the Jobs Monitoring answers of the page's default view
// (grouped by cloud, no filter) for each range into the cache, so the first
// browser after a cycle finds them ready. Errors are logged at debug level:
// a later request computes the answer itself.
func (u *UI) Warm(ctx context.Context, ranges ...string) {
	for _, r := range ranges {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/api/qmonit/v1/jobs?group=cloud&range="+url.QueryEscape(r), nil)
		if err != nil {
			continue
		}
		if _, err := u.apiJobs(req); err != nil {
			u.logger.Debug("cache warm-up failed", "range", r, "err", err)
		}
	}
}
