package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
)

// Metric names read by the UI (written by internal/app; see DESIGN.md).
const (
	metricJobs          = "qmonit_jobs"
	metricJobs1h        = "qmonit_jobs:1h"
	metricJobs1d        = "qmonit_jobs:1d"
	metricQueueInfo     = "qmonit_queue_info"
	metricCorecount     = "qmonit_queue_corecount"
	metricCorepower     = "qmonit_queue_corepower"
	metricDatadiskBytes = "qmonit_datadisk_bytes"
	metricDatadiskFiles = "qmonit_datadisk_files"
	labelQueue          = "panda_queue"
	labelStatus         = "job_status"
	labelProdSource     = "prod_source"
	labelResource       = "resource"
	labelDatadisk       = "datadisk"
	labelRSE            = "rse"
)

// resolution is what a time range reads: raw samples at the interval, or
// a rollup at its bucket size.
type resolution struct {
	Metric   string
	Step     time.Duration
	Bucket   time.Duration // 0 for raw samples
	Interval time.Duration // the collection interval
	Name     string        // "raw", "1h", "1d"
}

// perInterval is how many intervals one point spans: 1 for raw samples,
// bucket/interval for rollups (whose final states are sums).
func (r resolution) perInterval() float64 {
	if r.Bucket == 0 || r.Interval <= 0 {
		return 1
	}
	return float64(r.Bucket) / float64(r.Interval)
}

// Resolution limits: raw samples for ranges up to rawMaxSpan (still within
// the raw retention), hourly rollups up to hourlyMaxSpan, daily beyond.
const (
	rawMaxSpan    = 2 * day
	hourlyMaxSpan = 35 * day
)

// chooseResolution picks the data a range reads: raw samples for short
// recent ranges, hourly rollups up to 35 days, daily rollups beyond.
func chooseResolution(r timeRange, now time.Time, interval, rawRetention time.Duration) resolution {
	span := r.To.Sub(r.From)
	switch {
	case span <= rawMaxSpan && !r.From.Before(now.Add(-rawRetention)):
		return resolution{Metric: metricJobs, Step: interval, Interval: interval, Name: "raw"}
	case span <= hourlyMaxSpan:
		return resolution{Metric: metricJobs1h, Step: time.Hour, Bucket: time.Hour, Interval: interval, Name: "1h"}
	default:
		return resolution{Metric: metricJobs1d, Step: day, Bucket: day, Interval: interval, Name: "1d"}
	}
}

// steps is an evaluation grid: n points, start + i*step.
type steps struct {
	Start time.Time
	Step  time.Duration
	N     int
}

// alignSteps returns the grid of a range at step: it ends at To floored to
// the step (Unix-epoch aligned, so rollups stamped at bucket ends and raw
// samples at cycle times fall on it) and covers From.
func alignSteps(from, to time.Time, step time.Duration) steps {
	end := to.Truncate(step)
	n := int((end.Sub(from) + step - 1) / step)
	n = max(n, 0)
	return steps{Start: end.Add(-time.Duration(n) * step), Step: step, N: n + 1}
}

// End is the grid's last time.
func (s steps) End() time.Time { return s.Start.Add(time.Duration(s.N-1) * s.Step) }

// unixSeconds returns the grid's times in Unix seconds (as uPlot wants).
func (s steps) unixSeconds() []int64 {
	out := make([]int64, s.N)
	for i := range out {
		out[i] = s.Start.Add(time.Duration(i) * s.Step).Unix()
	}
	return out
}

// series is one query result series on a grid; missing points are NaN.
type series struct {
	Labels labels.Labels
	V      []float64
}

// engine runs PromQL over the store. Expressions are built from fixed
// templates; untrusted values only ever enter as label matchers added to
// the parsed expression (see withMatchers), never as PromQL text.
type engine struct {
	q        storage.Queryable
	e        *promql.Engine
	lookback func(parser.Expr) time.Duration
	parser   parser.Parser
	timeout  time.Duration
}

// parse parses a template and adds ms to every selector of a qmonit_jobs
// series (raw or rollup).
func (en *engine) parse(tmpl string, ms []*labels.Matcher) (parser.Expr, error) {
	expr, err := en.parser.ParseExpr(tmpl)
	if err != nil {
		return nil, fmt.Errorf("BUG: query template %q: %w", tmpl, err)
	}
	if len(ms) > 0 {
		withMatchers(expr, ms)
	}
	return expr, nil
}

// withMatchers adds ms to every vector selector of a job-count metric.
func withMatchers(expr parser.Expr, ms []*labels.Matcher) {
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && isJobsMetric(vs.Name) {
			vs.LabelMatchers = append(vs.LabelMatchers, ms...)
		}
		return nil
	})
}

// addMatchers adds ms to every vector selector of metric.
func addMatchers(expr parser.Expr, metric string, ms []*labels.Matcher) {
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && vs.Name == metric {
			vs.LabelMatchers = append(vs.LabelMatchers, ms...)
		}
		return nil
	})
}

func isJobsMetric(name string) bool {
	return name == metricJobs || name == metricJobs1h || name == metricJobs1d
}

// opts are the query options of expr: the rollup lookback when it reads
// rollups, else the engine's default.
func (en *engine) opts(expr parser.Expr) promql.QueryOpts {
	var lb time.Duration
	if en.lookback != nil {
		lb = en.lookback(expr)
	}
	return promql.NewPrometheusQueryOpts(false, lb, nil)
}

// rangeQuery evaluates expr on the grid. The result is copied out of the
// engine's pooled memory before the query is closed.
func (en *engine) rangeQuery(ctx context.Context, expr parser.Expr, g steps) ([]series, error) {
	ctx, cancel := context.WithTimeout(ctx, en.timeout)
	defer cancel()
	qs := expr.String()
	qry, err := en.e.NewRangeQuery(ctx, en.q, en.opts(expr), qs, g.Start, g.End(), g.Step)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", qs, err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("query %q: %w", qs, res.Err)
	}
	m, err := res.Matrix()
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", qs, err)
	}
	out := make([]series, 0, len(m))
	start, step := g.Start.UnixMilli(), g.Step.Milliseconds()
	for _, s := range m {
		v := nanSlice(g.N)
		for _, p := range s.Floats {
			if i := (p.T - start) / step; i >= 0 && i < int64(g.N) && (p.T-start)%step == 0 {
				v[i] = p.F
			}
		}
		out = append(out, series{Labels: s.Metric, V: v})
	}
	return out, nil
}

// sample is one instant-query result.
type sample struct {
	Labels labels.Labels
	V      float64
}

// instantQuery evaluates expr at t. lookback, when positive, overrides the
// lookback (to find the last sample of a series written rarely).
func (en *engine) instantQuery(ctx context.Context, expr parser.Expr, t time.Time, lookback time.Duration) ([]sample, error) {
	ctx, cancel := context.WithTimeout(ctx, en.timeout)
	defer cancel()
	qs := expr.String()
	opts := en.opts(expr)
	if lookback > 0 {
		opts = promql.NewPrometheusQueryOpts(false, lookback, nil)
	}
	qry, err := en.e.NewInstantQuery(ctx, en.q, opts, qs, t)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", qs, err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("query %q: %w", qs, res.Err)
	}
	v, err := res.Vector()
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", qs, err)
	}
	out := make([]sample, len(v))
	for i, s := range v {
		out[i] = sample{Labels: s.Metric, V: s.F}
	}
	return out, nil
}

// labelValues returns the values of label name among the series of metric
// with samples in [from, to], sorted.
func (en *engine) labelValues(ctx context.Context, metric, name string, from, to time.Time) ([]string, error) {
	q, err := en.q.Querier(from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("label values %q: %w", name, err)
	}
	defer q.Close()
	vals, _, err := q.LabelValues(ctx, name, nil, labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, metric))
	if err != nil {
		return nil, fmt.Errorf("label values %q of %s: %w", name, metric, err)
	}
	return vals, nil
}

// filterMatchers turns validated filters into label matchers: equality for
// one value, an anchored alternation of quoted literals for several. The
// filter of dimension skip (if any) is left out.
func filterMatchers(fs []filter, skip string) ([]*labels.Matcher, error) {
	var ms []*labels.Matcher
	for _, f := range fs {
		if f.Dim.Name == skip {
			continue
		}
		var (
			m   *labels.Matcher
			err error
		)
		if len(f.Values) == 1 {
			m, err = labels.NewMatcher(labels.MatchEqual, f.Dim.Label, f.Values[0])
		} else {
			quoted := make([]string, len(f.Values))
			for i, v := range f.Values {
				quoted[i] = regexp.QuoteMeta(v)
			}
			m, err = labels.NewMatcher(labels.MatchRegexp, f.Dim.Label, "(?:"+strings.Join(quoted, "|")+")")
		}
		if err != nil {
			return nil, badParam(f.Dim.Name, "%v", err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// isTimeout tells whether err is a query that ran out of time.
func isTimeout(err error) bool {
	var te promql.ErrQueryTimeout
	return errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded)
}

func nanSlice(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}
