package promapi

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	cern   = `{__name__="qmonit_queue_jobs", queue="CERN-PROD", site="CERN", state="running"}`
	spaces = `{__name__="qmonit_queue_jobs", queue="queue with spaces", site="<img src=x>", state="running"}`
	zurich = `{__name__="qmonit_queue_jobs", queue="Zürich_日本", site="ZH", state="queued"}`
)

func TestQuery(t *testing.T) {
	_, mux := newTestMux(t)
	at := secs(t0.Add(10 * time.Minute)) // 1704067800
	for _, tt := range []struct {
		name, method string
		form         url.Values
		want         []string
		wantWarning  string
	}{
		{name: "vector", form: url.Values{"query": {`qmonit_queue_jobs{queue="CERN-PROD"}`}, "time": {at}},
			want: []string{"vector " + cern + " 10@1704067800"}},
		{name: "vector all", form: url.Values{"query": {`qmonit_queue_jobs`}, "time": {at}},
			want: []string{"vector " + cern + " 10@1704067800", "vector " + zurich + " 10@1704067800", "vector " + spaces + " 20@1704067800"}},
		{name: "non-ASCII matcher", form: url.Values{"query": {`qmonit_queue_jobs{queue="Zürich_日本"}`}, "time": {at}},
			want: []string{"vector " + zurich + " 10@1704067800"}},
		{name: "HTML label value", form: url.Values{"query": {`sum by (site) (qmonit_queue_jobs{site="<img src=x>"})`}, "time": {at}},
			want: []string{`vector {site="<img src=x>"} 20@1704067800`}},
		{name: "special values", form: url.Values{"query": {`qmonit_special`}, "time": {at}},
			want: []string{
				`vector {__name__="qmonit_special", kind="inf"} +Inf@1704067800`,
				`vector {__name__="qmonit_special", kind="nan"} NaN@1704067800`,
				`vector {__name__="qmonit_special", kind="neginf"} -Inf@1704067800`,
				`vector {__name__="qmonit_special", kind="tiny"} 0.0000001@1704067800`,
			}},
		{name: "RFC 3339 fractional time", form: url.Values{"query": {`up_like_metric`}, "time": {"2024-01-01T00:10:00.5Z"}},
			want: []string{`vector {__name__="up_like_metric", instance="a", job="qmonit"} 1@1704067800.5`}},
		{name: "float time", form: url.Values{"query": {`up_like_metric`}, "time": {"1704067800.25"}},
			want: []string{`vector {__name__="up_like_metric", instance="a", job="qmonit"} 1@1704067800.25`}},
		{name: "default time is now", form: url.Values{"query": {`qmonit_queue_jobs{queue="CERN-PROD"}`}},
			want: []string{"vector " + cern + " 30@1704069000"}},
		{name: "empty vector", form: url.Values{"query": {`no_such_metric`}, "time": {at}}},
		{name: "limit truncates", form: url.Values{"query": {`sort(qmonit_queue_jobs)`}, "time": {at}, "limit": {"1"}},
			want: []string{"vector " + cern + " 10@1704067800"}, wantWarning: "results truncated due to limit"},
		{name: "subquery without step", form: url.Values{"query": {`max_over_time(qmonit_queue_jobs{queue="CERN-PROD"}[10m:])`}, "time": {at}},
			want: []string{`vector {queue="CERN-PROD", site="CERN", state="running"} 10@1704067800`}},
		{name: "scalar", form: url.Values{"query": {`1+1`}, "time": {at}},
			want: []string{"scalar 2@1704067800"}},
		{name: "string", form: url.Values{"query": {`"hello world"`}, "time": {at}},
			want: []string{"string hello world@1704067800"}},
		{name: "POST form", method: http.MethodPost, form: url.Values{"query": {`up_like_metric`}, "time": {at}},
			want: []string{`vector {__name__="up_like_metric", instance="a", job="qmonit"} 1@1704067800`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			method := cmp.Or(tt.method, http.MethodGet)
			ans := do(t, mux, method, "/api/v1/query", tt.form)
			if ans.code != http.StatusOK || ans.Status != "success" {
				t.Fatalf("code %d, status %q, error %q; want 200 success", ans.code, ans.Status, ans.Error)
			}
			if got := render(t, ans.Data); !slices.Equal(got, tt.want) {
				t.Errorf("result:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.wantWarning != "" && !slices.Contains(ans.Warnings, tt.wantWarning) {
				t.Errorf("warnings %q, want %q", ans.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestQueryEncoding(t *testing.T) {
	_, mux := newTestMux(t)
	form := url.Values{"query": {`qmonit_queue_jobs{site="<img src=x>"}`}, "time": {secs(t0)}}
	ans := do(t, mux, http.MethodGet, "/api/v1/query", form)
	if ans.contentType != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ans.contentType)
	}
	if strings.Contains(string(ans.Data), "<img") || !strings.Contains(string(ans.Data), `\u003cimg src=x\u003e`) {
		t.Errorf("label value not HTML-escaped in %s", ans.Data)
	}
	empty := do(t, mux, http.MethodGet, "/api/v1/query", url.Values{"query": {"no_such_metric"}})
	if want := `{"resultType":"vector","result":[]}`; string(empty.Data) != want {
		t.Errorf("empty result %s, want %s", empty.Data, want)
	}
}

func TestQueryRange(t *testing.T) {
	_, mux := newTestMux(t)
	start, end := t0.Add(time.Minute), t0.Add(4*time.Minute)
	cernRange := "matrix " + cern + " 1@1704067260 2@1704067320 3@1704067380 4@1704067440"
	for _, tt := range []struct {
		name, method string
		form         url.Values
		want         []string
	}{
		{name: "matrix", form: url.Values{"query": {`qmonit_queue_jobs{queue="CERN-PROD"}`},
			"start": {secs(start)}, "end": {secs(end)}, "step": {"1m"}}, want: []string{cernRange}},
		{name: "float step and RFC 3339 times", form: url.Values{"query": {`qmonit_queue_jobs{queue="CERN-PROD"}`},
			"start": {start.Format(time.RFC3339)}, "end": {end.Format(time.RFC3339)}, "step": {"60"}}, want: []string{cernRange}},
		{name: "POST form", method: http.MethodPost, form: url.Values{"query": {`qmonit_queue_jobs{queue="CERN-PROD"}`},
			"start": {secs(start)}, "end": {secs(end)}, "step": {"60"}}, want: []string{cernRange}},
		{name: "scalar expression is a matrix", form: url.Values{"query": {`vector(2)`},
			"start": {secs(start)}, "end": {secs(start.Add(time.Minute))}, "step": {"30s"}},
			want: []string{"matrix {} 2@1704067260 2@1704067290 2@1704067320"}},
		{name: "non-ASCII and spaces", form: url.Values{"query": {`qmonit_queue_jobs{queue=~"Zürich.*|queue with spaces"}`},
			"start": {secs(start)}, "end": {secs(start.Add(time.Minute))}, "step": {"1m"}},
			want: []string{"matrix " + zurich + " 10@1704067260 10@1704067320", "matrix " + spaces + " 2@1704067260 4@1704067320"}},
		{name: "start equals end", form: url.Values{"query": {`up_like_metric`},
			"start": {secs(start)}, "end": {secs(start)}, "step": {"1"}},
			want: []string{`matrix {__name__="up_like_metric", instance="a", job="qmonit"} 1@1704067260`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans := do(t, mux, cmp.Or(tt.method, http.MethodGet), "/api/v1/query_range", tt.form)
			if ans.code != http.StatusOK || ans.Status != "success" {
				t.Fatalf("code %d, status %q, error %q; want 200 success", ans.code, ans.Status, ans.Error)
			}
			if got := render(t, ans.Data); !slices.Equal(got, tt.want) {
				t.Errorf("result:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestQueryStats(t *testing.T) {
	_, mux := newTestMux(t)
	ans := do(t, mux, http.MethodGet, "/api/v1/query", url.Values{"query": {"up_like_metric"}, "stats": {"true"}})
	if ans.code != http.StatusOK || !strings.Contains(string(ans.Data), `"stats":{"timings"`) {
		t.Errorf("code %d, data %s; want stats", ans.code, ans.Data)
	}
}
