package promapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestErrors(t *testing.T) {
	_, mux := newTestMux(t)
	s, e := secs(t0), secs(t0.Add(time.Hour))
	rng := func(query, start, end, step string) url.Values {
		return url.Values{"query": {query}, "start": {start}, "end": {end}, "step": {step}}
	}
	const points = "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
	for _, tt := range []struct {
		name, path string
		form       url.Values
		wantCode   int
		wantType   string
		wantErr    string
	}{
		{"missing query", "/api/v1/query", nil, 400, "bad_data", `invalid parameter "query"`},
		{"parse error", "/api/v1/query", url.Values{"query": {"sum("}}, 400, "bad_data", "parse error"},
		{"bad time", "/api/v1/query", url.Values{"query": {"1"}, "time": {"yesterday"}}, 400, "bad_data", `invalid parameter "time"`},
		{"NaN time", "/api/v1/query", url.Values{"query": {"1"}, "time": {"NaN"}}, 400, "bad_data", `invalid parameter "time"`},
		{"time beyond int64 ms", "/api/v1/query", url.Values{"query": {"1"}, "time": {"1e30"}}, 400, "bad_data", `invalid parameter "time"`},
		{"negative limit", "/api/v1/query", url.Values{"query": {"1"}, "limit": {"-1"}}, 400, "bad_data", `invalid parameter "limit"`},
		{"bad timeout", "/api/v1/query", url.Values{"query": {"1"}, "timeout": {"soon"}}, 400, "bad_data", `invalid parameter "timeout"`},
		{"negative timeout", "/api/v1/query", url.Values{"query": {"1"}, "timeout": {"-1"}}, 400, "bad_data", "timeout must be positive"},
		{"execution error", "/api/v1/query", url.Values{"query": {"qmonit_queue_jobs + on() qmonit_queue_jobs"}, "time": {e}},
			422, "execution", "many-to-many matching not allowed"},
		{"timeout", "/api/v1/query", url.Values{"query": {"qmonit_queue_jobs"}, "timeout": {"0.000000001"}}, 503, "timeout", "query timed out"},
		{"subquery with too many steps", "/api/v1/query", url.Values{"query": {"max_over_time(up_like_metric[1y:1ms])"}},
			400, "bad_data", "subquery up_like_metric[1y:1ms] would evaluate 31536000000 steps"},
		{"nested subqueries with too many steps", "/api/v1/query_range",
			rng("max_over_time(max_over_time(up_like_metric[1h:1s])[400d:1h])", s, e, "60"), 400, "bad_data", "would evaluate"},
		{"range missing start", "/api/v1/query_range", rng("1", "", e, "60"), 400, "bad_data", `invalid parameter "start"`},
		{"range bad end", "/api/v1/query_range", rng("1", s, "later", "60"), 400, "bad_data", `invalid parameter "end"`},
		{"end before start", "/api/v1/query_range", rng("1", e, s, "60"), 400, "bad_data", "end timestamp must not be before start time"},
		{"bad step", "/api/v1/query_range", rng("1", s, e, "often"), 400, "bad_data", `invalid parameter "step"`},
		{"zero step", "/api/v1/query_range", rng("1", s, e, "0"), 400, "bad_data", "zero or negative query resolution step"},
		{"negative step", "/api/v1/query_range", rng("1", s, e, "-60"), 400, "bad_data", "zero or negative query resolution step"},
		{"NaN step", "/api/v1/query_range", rng("1", s, e, "NaN"), 400, "bad_data", `invalid parameter "step"`},
		{"too many points", "/api/v1/query_range", rng("1", s, e, "0.1"), 400, "bad_data", points},
		{"range over MaxRange", "/api/v1/query_range", rng("1", "0", secs(time.Unix(0, 0).Add(401*24*time.Hour)), "1d"),
			400, "bad_data", "exceeds the maximum of"},
		{"absurd range", "/api/v1/query_range", rng("1", "-1e18", "1e18", "1e-9"), 400, "bad_data", `invalid parameter "start"`},
		{"absurd but parseable range", "/api/v1/query_range", rng("1", "-9e15", "9e15", "1e-9"), 400, "bad_data", points},
		{"huge step", "/api/v1/query_range", rng("1", s, e, "1e300"), 400, "bad_data", "overflows int64"},
		{"range parse error", "/api/v1/query_range", rng("rate(x[5m]", s, e, "60"), 400, "bad_data", "parse error"},
		{"range execution error", "/api/v1/query_range", rng("qmonit_queue_jobs + on() qmonit_queue_jobs", s, e, "60"),
			422, "execution", "many-to-many matching not allowed"},
		{"series without match", "/api/v1/series", nil, 400, "bad_data", "no match[] parameter provided"},
		{"series bad match", "/api/v1/series", url.Values{"match[]": {"{"}}, 400, "bad_data", `invalid parameter "match[]"`},
		{"series empty matcher", "/api/v1/series", url.Values{"match[]": {`{job=""}`}}, 400, "bad_data", "at least one non-empty matcher"},
		{"series bad start", "/api/v1/series", url.Values{"match[]": {"up"}, "start": {"x"}}, 400, "bad_data", `invalid parameter "start"`},
		{"labels bad end", "/api/v1/labels", url.Values{"end": {"x"}}, 400, "bad_data", `invalid parameter "end"`},
		{"labels bad limit", "/api/v1/labels", url.Values{"limit": {"many"}}, 400, "bad_data", `invalid parameter "limit"`},
		{"label values invalid name", "/api/v1/label/%ff/values", nil, 400, "bad_data", "invalid label name"},
		{"exemplars bad query", "/api/v1/query_exemplars", url.Values{"query": {"sum("}}, 400, "bad_data", "parse error"},
		{"metadata bad limit", "/api/v1/metadata", url.Values{"limit": {"x"}}, 400, "bad_data", "limit must be a number"},
		{"unknown endpoint", "/api/v1/nope", nil, 404, "not_found", "unknown API endpoint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans := do(t, mux, http.MethodGet, tt.path, tt.form)
			checkError(t, ans, tt.wantCode, tt.wantType, tt.wantErr)
		})
	}
}

func checkError(t *testing.T, ans answer, code int, typ, msg string) {
	t.Helper()
	if ans.code != code || ans.Status != "error" || ans.ErrorType != typ || !strings.Contains(ans.Error, msg) {
		t.Errorf("got %d %s %s %q; want %d error %s containing %q", ans.code, ans.Status, ans.ErrorType, ans.Error, code, typ, msg)
	}
	if ans.Data != nil {
		t.Errorf("error answer has data %s", ans.Data)
	}
}

func TestCanceled(t *testing.T) {
	_, mux := newTestMux(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := newRequest(http.MethodGet, "/api/v1/query?query=qmonit_queue_jobs", nil).WithContext(ctx)
	checkError(t, doRequest(t, mux, req), 499, "canceled", "canceled")
}

func TestBodyTooLarge(t *testing.T) {
	_, mux := newTestMux(t)
	form := url.Values{"query": {"1"}, "pad": {strings.Repeat("x", maxFormBytes)}}
	checkError(t, do(t, mux, http.MethodPost, "/api/v1/query", form), 400, "bad_data", "request body too large")
}

func TestMethodNotAllowed(t *testing.T) {
	_, mux := newTestMux(t)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/v1/query", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, POST" {
		t.Errorf("DELETE: %d, Allow %q; want 405, GET, POST", rec.Code, rec.Header().Get("Allow"))
	}
	ans := do(t, mux, http.MethodPost, "/api/v1/label/job/values", nil)
	checkError(t, ans, http.StatusMethodNotAllowed, "bad_data", "method POST not allowed")
}

func TestPanicIsInternalError(t *testing.T) {
	a, _ := newTestMux(t)
	h := a.wrap("/api/v1/panic", func(*http.Request) (result, error) { panic("boom") })
	checkError(t, do(t, h, http.MethodGet, "/api/v1/panic", nil), 500, "internal", "internal error")

	h = a.wrap("/api/v1/unencodable", func(*http.Request) (result, error) {
		return result{data: func() {}}, nil
	})
	checkError(t, do(t, h, http.MethodGet, "/api/v1/unencodable", nil), 500, "internal", "encode answer")

	h = a.wrap("/api/v1/storage", func(*http.Request) (result, error) {
		return result{}, classify(errors.New("disk on fire"))
	})
	checkError(t, do(t, h, http.MethodGet, "/api/v1/storage", nil), 422, "execution", "disk on fire")
}

func TestMetrics(t *testing.T) {
	a, mux := newTestMux(t)
	do(t, mux, http.MethodGet, "/api/v1/query", url.Values{"query": {"1"}})
	do(t, mux, http.MethodGet, "/api/v1/query", url.Values{"query": {"sum("}})
	do(t, mux, http.MethodGet, "/api/v1/label/job/values", nil)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(a.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()+labelString(m)] = m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	for key, want := range map[string]float64{
		`qmonit_api_requests_total{code="200",path="/api/v1/query"}`:               1,
		`qmonit_api_requests_total{code="400",path="/api/v1/query"}`:               1,
		`qmonit_api_requests_total{code="200",path="/api/v1/label/{name}/values"}`: 1,
		`qmonit_api_request_duration_seconds{path="/api/v1/query"}`:                2,
		`qmonit_api_request_duration_seconds{path="/api/v1/label/{name}/values"}`:  1,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v (all: %v)", key, got[key], want, got)
		}
	}
}

func labelString(m *dto.Metric) string {
	var parts []string
	for _, lp := range m.GetLabel() {
		parts = append(parts, lp.GetName()+`="`+lp.GetValue()+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}
