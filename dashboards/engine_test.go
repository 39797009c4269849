package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// maxAnswerBytes caps one engine answer.
const maxAnswerBytes = 64 << 20

// engine runs Grafana's requests against one query engine.
type engine interface {
	// values runs a variable query over [from, to] and returns the values
	// Grafana would list.
	values(ctx context.Context, q string, from, to time.Time) ([]string, error)
	// query runs one panel target.
	query(ctx context.Context, r request) (*result, error)
}

// request is one interpolated panel target with its time range.
type request struct {
	q        string
	instant  bool
	from, to time.Time
	step     time.Duration
}

// result is an engine's answer reduced to what the checks read.
type result struct {
	series []series
}

// series is one series of an answer: Prometheus labels (without
// __name__) or InfluxDB tags, the columns (InfluxDB; "time" first) and how
// many non-null values each value column holds ("value" for Prometheus).
type series struct {
	labels  map[string]string
	columns []string
	nonNull map[string]int
}

// points is the number of non-null values in r.
func (r *result) points() int {
	n := 0
	for _, s := range r.series {
		for _, c := range s.nonNull {
			n += c
		}
	}
	return n
}

// getJSON sends req and decodes a JSON answer of at most maxAnswerBytes
// into v; a non-2xx status is an error quoting the body.
func getJSON(client *http.Client, req *http.Request, v any) error {
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	if len(body) > maxAnswerBytes {
		return fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Path, maxAnswerBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s %s: status %d, decode %q: %w", req.Method, req.URL.Path, resp.StatusCode, truncate(string(body), 300), err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, truncate(string(body), 500))
	}
	return nil
}

// promEngine speaks Prometheus' HTTP API as Grafana's Prometheus data
// source does (POST for queries and series, GET for label values). When
// isolate is set, every selector also gets that matcher, so a test sees
// only its own series in an engine others write to as well.
type promEngine struct {
	base    string
	client  *http.Client
	isolate *labels.Matcher
	extra   url.Values // sent with every query (VictoriaMetrics: nocache)
}

type promAnswer struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

func (e *promEngine) call(ctx context.Context, method, path string, form url.Values) (json.RawMessage, error) {
	for k, v := range e.extra {
		form[k] = v
	}
	var req *http.Request
	var err error
	if method == http.MethodPost {
		req, err = http.NewRequestWithContext(ctx, method, e.base+path, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, method, e.base+path+"?"+form.Encode(), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("build request %s: %w", path, err)
	}
	var a promAnswer
	if err := getJSON(e.client, req, &a); err != nil {
		return nil, err
	}
	if a.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", path, a.ErrorType, a.Error)
	}
	return a.Data, nil
}

// rewrite adds the isolation matcher to every selector of q.
func (e *promEngine) rewrite(q string) (string, error) {
	if e.isolate == nil {
		return q, nil
	}
	expr, err := promParser.ParseExpr(q)
	if err != nil {
		return "", fmt.Errorf("parse %q: %w", q, err)
	}
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			vs.LabelMatchers = append(vs.LabelMatchers, e.isolate)
		}
		return nil
	})
	return expr.String(), nil
}

func promTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// values answers label_values(selector, label) with /api/v1/label/<label>/values
// and match[], and checks /api/v1/series agrees (every value of a series is
// listed).
func (e *promEngine) values(ctx context.Context, q string, from, to time.Time) ([]string, error) {
	sel, label, err := splitLabelValues(q)
	if err != nil {
		return nil, err
	}
	if sel, err = e.rewrite(sel); err != nil {
		return nil, err
	}
	form := url.Values{"match[]": {sel}, "start": {promTime(from)}, "end": {promTime(to)}}
	data, err := e.call(ctx, http.MethodGet, "/api/v1/label/"+label+"/values", form)
	if err != nil {
		return nil, err
	}
	var vals []string
	if err := json.Unmarshal(data, &vals); err != nil {
		return nil, fmt.Errorf("label values of %q: %w", label, err)
	}
	form = url.Values{"match[]": {sel}, "start": {promTime(from)}, "end": {promTime(to)}}
	if data, err = e.call(ctx, http.MethodPost, "/api/v1/series", form); err != nil {
		return nil, err
	}
	var ss []map[string]string
	if err := json.Unmarshal(data, &ss); err != nil {
		return nil, fmt.Errorf("series of %s: %w", sel, err)
	}
	for _, s := range ss {
		if v, ok := s[label]; ok && !slices.Contains(vals, v) {
			return nil, fmt.Errorf("label_values(%s, %s): series has %q, label values endpoint does not", sel, label, v)
		}
	}
	slices.Sort(vals)
	return vals, nil
}

func (e *promEngine) query(ctx context.Context, r request) (*result, error) {
	q, err := e.rewrite(r.q)
	if err != nil {
		return nil, err
	}
	form := url.Values{"query": {q}}
	path := "/api/v1/query_range"
	if r.instant {
		path = "/api/v1/query"
		form.Set("time", promTime(r.to))
	} else {
		form.Set("start", promTime(r.from))
		form.Set("end", promTime(r.to))
		form.Set("step", strconv.FormatFloat(r.step.Seconds(), 'f', -1, 64))
	}
	data, err := e.call(ctx, http.MethodPost, path, form)
	if err != nil {
		return nil, err
	}
	return decodePromData(data)
}

// decodePromData reduces a query answer (vector, matrix or scalar).
func decodePromData(data json.RawMessage) (*result, error) {
	var d struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode query data: %w", err)
	}
	res := &result{}
	switch d.ResultType {
	case "vector", "matrix":
		var ss []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
			Values [][]any           `json:"values"`
		}
		if err := json.Unmarshal(d.Result, &ss); err != nil {
			return nil, fmt.Errorf("decode %s: %w", d.ResultType, err)
		}
		for _, s := range ss {
			pts := s.Values
			if s.Value != nil {
				pts = append(pts, s.Value)
			}
			n := 0
			for _, p := range pts {
				if len(p) == 2 && finite(p[1]) {
					n++
				}
			}
			delete(s.Metric, model.MetricNameLabel)
			res.series = append(res.series, series{labels: s.Metric, nonNull: map[string]int{"value": n}})
		}
	case "scalar":
		var p []any
		if err := json.Unmarshal(d.Result, &p); err != nil {
			return nil, fmt.Errorf("decode scalar: %w", err)
		}
		n := 0
		if len(p) == 2 && finite(p[1]) {
			n = 1
		}
		res.series = append(res.series, series{labels: map[string]string{}, nonNull: map[string]int{"value": n}})
	default:
		return nil, fmt.Errorf("result type %q not expected", d.ResultType)
	}
	return res, nil
}

func finite(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// influxEngine speaks InfluxDB 1.x's /query as Grafana's InfluxQL data
// source does (epoch=ms, POST when configured so).
type influxEngine struct {
	base, db string
	client   *http.Client
}

type influxAnswer struct {
	Results []struct {
		Series []struct {
			Name    string            `json:"name"`
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
		Error string `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

func (e *influxEngine) run(ctx context.Context, q string) (*influxAnswer, error) {
	form := url.Values{"db": {e.db}, "q": {q}, "epoch": {"ms"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var a influxAnswer
	if err := getJSON(e.client, req, &a); err != nil {
		return nil, err
	}
	if a.Error != "" {
		return nil, errors.New("influxdb: " + a.Error)
	}
	if len(a.Results) != 1 {
		return nil, fmt.Errorf("influxdb: %d results for one statement", len(a.Results))
	}
	if a.Results[0].Error != "" {
		return nil, errors.New("influxdb: " + a.Results[0].Error)
	}
	return &a, nil
}

// values answers SHOW TAG VALUES: the value column of every row.
func (e *influxEngine) values(ctx context.Context, q string, _, _ time.Time) ([]string, error) {
	a, err := e.run(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range a.Results[0].Series {
		i := slices.Index(s.Columns, "value")
		if i < 0 {
			return nil, fmt.Errorf("SHOW TAG VALUES answer without a value column: %v", s.Columns)
		}
		for _, row := range s.Values {
			if v, ok := row[i].(string); ok && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func (e *influxEngine) query(ctx context.Context, r request) (*result, error) {
	a, err := e.run(ctx, r.q)
	if err != nil {
		return nil, err
	}
	res := &result{}
	for _, s := range a.Results[0].Series {
		nn := map[string]int{}
		for _, row := range s.Values {
			for i, v := range row {
				if i > 0 && i < len(s.Columns) && v != nil {
					nn[s.Columns[i]]++
				}
			}
		}
		tags := s.Tags
		if tags == nil {
			tags = map[string]string{}
		}
		res.series = append(res.series, series{labels: tags, columns: s.Columns, nonNull: nn})
	}
	return res, nil
}
