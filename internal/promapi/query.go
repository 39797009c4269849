package promapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/stats"
)

// queryData is the "data" of a query answer.
type queryData struct {
	ResultType parser.ValueType `json:"resultType"`
	Result     parser.Value     `json:"result"`
	Stats      stats.QueryStats `json:"stats,omitempty"`
}

// rangeParams are the validated parameters of a range query.
type rangeParams struct {
	start, end time.Time
	step       time.Duration
}

// query serves /api/v1/query: query, time (default now), timeout, limit.
func (a *API) query(r *http.Request) (result, error) {
	limit, err := limitParam(r)
	if err != nil {
		return result{}, err
	}
	ts, err := timeParam(r, "time", a.now())
	if err != nil {
		return result{}, err
	}
	ctx, cancel, opts, err := a.queryContext(r)
	if err != nil {
		return result{}, err
	}
	defer cancel()
	qs := r.Form.Get("query")
	qry, err := a.engine.NewInstantQuery(ctx, a.q, opts, qs, ts)
	if err != nil {
		return result{}, constructionError(err)
	}
	return a.exec(ctx, r, qry, qs, limit)
}

// queryRange serves /api/v1/query_range: query, start, end, step, timeout,
// limit.
func (a *API) queryRange(r *http.Request) (result, error) {
	limit, err := limitParam(r)
	if err != nil {
		return result{}, err
	}
	p, err := a.rangeParams(r)
	if err != nil {
		return result{}, err
	}
	ctx, cancel, opts, err := a.queryContext(r)
	if err != nil {
		return result{}, err
	}
	defer cancel()
	qs := r.Form.Get("query")
	qry, err := a.engine.NewRangeQuery(ctx, a.q, opts, qs, p.start, p.end, p.step)
	if err != nil {
		return result{}, constructionError(err)
	}
	return a.exec(ctx, r, qry, qs, limit)
}

// rangeParams validates start, end and step in Prometheus' order and with
// its messages, then applies MaxRange.
func (a *API) rangeParams(r *http.Request) (rangeParams, error) {
	var p rangeParams
	var err error
	if p.start, err = parseTime(r.Form.Get("start")); err != nil {
		return p, invalidParam("start", err)
	}
	if p.end, err = parseTime(r.Form.Get("end")); err != nil {
		return p, invalidParam("end", err)
	}
	if p.end.Before(p.start) {
		return p, invalidParam("end", errors.New("end timestamp must not be before start time"))
	}
	if p.step, err = parseDuration(r.Form.Get("step")); err != nil {
		return p, invalidParam("step", err)
	}
	if p.step <= 0 {
		return p, invalidParam("step", errors.New("zero or negative query resolution step widths are not accepted. Try a positive integer"))
	}
	// Sub saturates at the largest Duration, so absurd ranges cannot wrap.
	span := p.end.Sub(p.start)
	if span/p.step > time.Duration(a.opts.MaxPoints) {
		return p, badData(fmt.Errorf("exceeded maximum resolution of %s points per timeseries. Try decreasing the query resolution (?step=XX)",
			thousands(a.opts.MaxPoints)))
	}
	if span > a.opts.MaxRange {
		return p, invalidParam("end", fmt.Errorf("query range %s exceeds the maximum of %s",
			span, a.opts.MaxRange))
	}
	return p, nil
}

// queryContext applies the timeout parameter, never beyond Options.Timeout,
// and builds the engine options (lookback_delta, stats=all).
func (a *API) queryContext(r *http.Request) (context.Context, context.CancelFunc, promql.QueryOpts, error) {
	timeout := a.opts.Timeout
	if v := r.Form.Get("timeout"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return nil, nil, nil, invalidParam("timeout", err)
		}
		if d <= 0 {
			return nil, nil, nil, invalidParam("timeout", fmt.Errorf("timeout must be positive, got %s", d))
		}
		timeout = min(timeout, d)
	}
	lookback := a.opts.LookbackDelta
	if v := r.Form.Get("lookback_delta"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return nil, nil, nil, badData(fmt.Errorf("error parsing lookback delta duration: %w", err))
		}
		lookback = d
	} else if a.opts.LookbackFor != nil {
		if expr, err := a.parser.ParseExpr(r.Form.Get("query")); err == nil {
			if d := a.opts.LookbackFor(expr); d > 0 {
				lookback = d
			}
		}
	}
	opts := promql.NewPrometheusQueryOpts(r.Form.Get("stats") == "all", lookback, nil)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	return ctx, cancel, opts, nil
}

// exec runs qry and hands its closing to the wrapper, which closes it after
// encoding because the result points into the query's memory.
func (a *API) exec(ctx context.Context, r *http.Request, qry promql.Query, qs string, limit int) (res result, err error) {
	defer func() {
		if res.close == nil {
			qry.Close()
		}
	}()
	if err := checkSubqueries(qry.Statement()); err != nil {
		return result{}, err
	}
	out := qry.Exec(ctx)
	if out.Err != nil {
		return result{}, classify(out.Err)
	}
	warnings := out.Warnings
	val, truncated := truncate(out.Value, limit)
	if truncated {
		warnings.Add(errors.New("results truncated due to limit"))
	}
	data := &queryData{ResultType: val.Type(), Result: val}
	if r.Form.Get("stats") != "" {
		data.Stats = stats.NewQueryStats(qry.Stats())
	}
	return result{data: data, warnings: warnings, query: qs, close: qry.Close}, nil
}

// truncate keeps the first limit series of a vector or matrix; empty
// results encode as [] rather than null.
func truncate(v parser.Value, limit int) (parser.Value, bool) {
	switch v := v.(type) {
	case promql.Vector:
		if v == nil {
			return promql.Vector{}, false
		}
		if limit > 0 && len(v) > limit {
			return v[:limit], true
		}
	case promql.Matrix:
		if v == nil {
			return promql.Matrix{}, false
		}
		if limit > 0 && len(v) > limit {
			return v[:limit], true
		}
	}
	return v, false
}

// thousands formats a non-negative n with comma separators, as in "11,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
