package promapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/tsdb"
)

// t0 is the first sample of the test store: 2024-01-01T00:00:00Z.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// testMinutes is how many one-minute samples each float series holds
// after t0 (inclusive of both ends).
const testMinutes = 60

// testSeries are the series of the test store with their value at minute i.
var testSeries = []struct {
	lset  labels.Labels
	value func(i int) float64
}{
	{labels.FromStrings("__name__", "qmonit_queue_jobs", "queue", "CERN-PROD", "site", "CERN", "state", "running"),
		func(i int) float64 { return float64(i) }},
	{labels.FromStrings("__name__", "qmonit_queue_jobs", "queue", "queue with spaces", "site", "<img src=x>", "state", "running"),
		func(i int) float64 { return float64(2 * i) }},
	{labels.FromStrings("__name__", "qmonit_queue_jobs", "queue", "Zürich_日本", "site", "ZH", "state", "queued"),
		func(int) float64 { return 10 }},
	{labels.FromStrings("__name__", "up_like_metric", "instance", "a", "job", "qmonit"),
		func(int) float64 { return 1 }},
	{labels.FromStrings("__name__", "qmonit_special", "kind", "nan"), func(int) float64 { return math.NaN() }},
	{labels.FromStrings("__name__", "qmonit_special", "kind", "inf"), func(int) float64 { return math.Inf(1) }},
	{labels.FromStrings("__name__", "qmonit_special", "kind", "neginf"), func(int) float64 { return math.Inf(-1) }},
	{labels.FromStrings("__name__", "qmonit_special", "kind", "tiny"), func(int) float64 { return 1e-7 }},
}

// openTestDB opens a TSDB in dir filled with testSeries; tb's cleanup
// closes it.
func openTestDB(tb testing.TB, dir string) *tsdb.DB {
	tb.Helper()
	opts := tsdb.DefaultOptions()
	opts.RetentionDuration = 0
	db, err := tsdb.Open(dir, slog.New(slog.DiscardHandler), nil, opts, nil)
	if err != nil {
		tb.Fatalf("open tsdb: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	app := db.Appender(context.Background())
	for i := 0; i <= testMinutes; i++ {
		ts := t0.Add(time.Duration(i) * time.Minute).UnixMilli()
		for _, s := range testSeries {
			if _, err := app.Append(0, s.lset, ts, s.value(i)); err != nil {
				tb.Fatalf("append %s: %v", s.lset, err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		tb.Fatalf("commit: %v", err)
	}
	return db
}

// newTestAPI returns an API over a fresh test store with now at t0+30m.
func newTestAPI(tb testing.TB, dir string, o Options) *API {
	tb.Helper()
	db := openTestDB(tb, dir)
	engine := promql.NewEngine(promql.EngineOpts{
		MaxSamples:           1_000_000,
		Timeout:              time.Minute,
		LookbackDelta:        5 * time.Minute,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		// Prometheus' global evaluation_interval; without it "x[1h:]" panics.
		NoStepSubqueryIntervalFn: func(int64) int64 { return time.Minute.Milliseconds() },
	})
	a := New(db, engine, o, slog.New(slog.DiscardHandler))
	a.now = func() time.Time { return t0.Add(30 * time.Minute) }
	return a
}

// newTestMux returns a mux with the API of a fresh test store registered.
func newTestMux(t *testing.T) (*API, *http.ServeMux) {
	t.Helper()
	a := newTestAPI(t, t.TempDir(), Options{Version: "1.2.3", Revision: "abc123"})
	mux := http.NewServeMux()
	a.Register(mux)
	return a, mux
}

// answer is a decoded API answer.
type answer struct {
	code        int
	contentType string
	Status      string          `json:"status"`
	Data        json.RawMessage `json:"data"`
	ErrorType   string          `json:"errorType"`
	Error       string          `json:"error"`
	Warnings    []string        `json:"warnings"`
	Infos       []string        `json:"infos"`
}

// do sends a GET with form as query string, or a POST with form as body,
// and decodes the answer, failing t when it is not JSON.
func do(t testing.TB, h http.Handler, method, path string, form url.Values) answer {
	t.Helper()
	return doRequest(t, h, newRequest(method, path, form))
}

func newRequest(method, path string, form url.Values) *http.Request {
	if method == http.MethodPost {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	if len(form) > 0 {
		path += "?" + form.Encode()
	}
	return httptest.NewRequest(method, path, nil)
}

func doRequest(t testing.TB, h http.Handler, req *http.Request) answer {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var ans answer
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatalf("%s %s: answer %d is not JSON: %v\n%s", req.Method, req.URL, rec.Code, err, rec.Body)
	}
	ans.code = rec.Code
	ans.contentType = rec.Header().Get("Content-Type")
	return ans
}

// decode unmarshals raw into v, failing t.
func decode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// secs formats t as Unix seconds, as Grafana sends times.
func secs(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// render turns the data of a query answer into one line per sample or
// series, for instance
//
//	vector {__name__="up", job="a"} 1@1704067200
//	matrix {job="a"} 1@1704067200 2@1704067260
//	scalar 2@1704067200
//
// with labels sorted and lines sorted, so tests can compare plain strings.
func render(t *testing.T, data json.RawMessage) []string {
	t.Helper()
	var qd struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	decode(t, data, &qd)
	var lines []string
	switch qd.ResultType {
	case "vector":
		var v []struct {
			Metric map[string]string  `json:"metric"`
			Value  [2]json.RawMessage `json:"value"`
		}
		decode(t, qd.Result, &v)
		for _, s := range v {
			lines = append(lines, fmt.Sprintf("vector %s %s", renderLabels(s.Metric), renderPoint(t, s.Value)))
		}
	case "matrix":
		var m []struct {
			Metric map[string]string    `json:"metric"`
			Values [][2]json.RawMessage `json:"values"`
		}
		decode(t, qd.Result, &m)
		for _, s := range m {
			line := "matrix " + renderLabels(s.Metric)
			for _, p := range s.Values {
				line += " " + renderPoint(t, p)
			}
			lines = append(lines, line)
		}
	case "scalar", "string":
		var p [2]json.RawMessage
		decode(t, qd.Result, &p)
		lines = append(lines, qd.ResultType+" "+renderPoint(t, p))
	default:
		t.Fatalf("unknown resultType %q in %s", qd.ResultType, data)
	}
	slices.Sort(lines)
	return lines
}

func renderLabels(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%q", k, v))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

// renderPoint renders [<unix seconds>, "<value>"] as value@seconds, failing
// t unless the timestamp is a JSON number and the value a JSON string.
func renderPoint(t *testing.T, p [2]json.RawMessage) string {
	t.Helper()
	var ts json.Number
	var v string
	decode(t, p[0], &ts)
	decode(t, p[1], &v)
	return v + "@" + ts.String()
}
