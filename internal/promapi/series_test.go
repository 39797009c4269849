package promapi

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestSeries(t *testing.T) {
	_, mux := newTestMux(t)
	cernLabels := map[string]string{"__name__": "qmonit_queue_jobs", "queue": "CERN-PROD", "site": "CERN", "state": "running"}
	upLabels := map[string]string{"__name__": "up_like_metric", "instance": "a", "job": "qmonit"}
	for _, tt := range []struct {
		name, method string
		form         url.Values
		want         []map[string]string
		wantWarning  string
	}{
		{name: "one matcher", form: url.Values{"match[]": {`qmonit_queue_jobs{queue="CERN-PROD"}`}},
			want: []map[string]string{cernLabels}},
		{name: "two matchers merged and deduplicated", form: url.Values{"match[]": {
			`up_like_metric`, `qmonit_queue_jobs{site="CERN"}`, `{job="qmonit"}`}},
			want: []map[string]string{cernLabels, upLabels}},
		{name: "non-ASCII and HTML values", form: url.Values{"match[]": {`qmonit_queue_jobs{state="queued"}`, `{site="<img src=x>"}`}},
			want: []map[string]string{ // sorted by label set: "Z" < "q"
				{"__name__": "qmonit_queue_jobs", "queue": "Zürich_日本", "site": "ZH", "state": "queued"},
				{"__name__": "qmonit_queue_jobs", "queue": "queue with spaces", "site": "<img src=x>", "state": "running"},
			}},
		{name: "inside time range", form: url.Values{"match[]": {`up_like_metric`},
			"start": {secs(t0.Add(-time.Hour))}, "end": {secs(t0)}}, want: []map[string]string{upLabels}},
		{name: "outside time range", form: url.Values{"match[]": {`up_like_metric`},
			"start": {secs(t0.Add(2 * time.Hour))}, "end": {secs(t0.Add(3 * time.Hour))}}, want: []map[string]string{}},
		{name: "limit", form: url.Values{"match[]": {`qmonit_queue_jobs`}, "limit": {"1"}},
			want: []map[string]string{cernLabels}, wantWarning: "results truncated due to limit"},
		{name: "POST form", method: http.MethodPost, form: url.Values{"match[]": {`up_like_metric`}},
			want: []map[string]string{upLabels}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans := do(t, mux, cmp.Or(tt.method, http.MethodGet), "/api/v1/series", tt.form)
			if ans.code != http.StatusOK {
				t.Fatalf("code %d, error %q", ans.code, ans.Error)
			}
			var got []map[string]string
			decode(t, ans.Data, &got)
			if !slices.EqualFunc(got, tt.want, mapsEqual) {
				t.Errorf("series %v, want %v", got, tt.want)
			}
			if tt.wantWarning != "" && !slices.Contains(ans.Warnings, tt.wantWarning) {
				t.Errorf("warnings %q, want %q", ans.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestSeriesMaxSeries(t *testing.T) {
	a := newTestAPI(t, t.TempDir(), Options{MaxSeries: 2})
	ans := do(t, a.wrap("/api/v1/series", a.series), http.MethodGet, "/api/v1/series",
		url.Values{"match[]": {`{__name__=~".+"}`}, "limit": {"100"}})
	var got []map[string]string
	decode(t, ans.Data, &got)
	if len(got) != 2 || !slices.Contains(ans.Warnings, "results truncated due to limit") {
		t.Errorf("%d series, warnings %q; want 2 and a truncation warning", len(got), ans.Warnings)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLabels(t *testing.T) {
	_, mux := newTestMux(t)
	late := url.Values{"start": {secs(t0.Add(2 * time.Hour))}}
	for _, tt := range []struct {
		name, method, path string
		form               url.Values
		want               []string
		wantWarning        string
	}{
		{name: "all names", path: "/api/v1/labels",
			want: []string{"__name__", "instance", "job", "kind", "queue", "site", "state"}},
		{name: "names with match", path: "/api/v1/labels", form: url.Values{"match[]": {"up_like_metric"}},
			want: []string{"__name__", "instance", "job"}},
		{name: "names with two matches", path: "/api/v1/labels", form: url.Values{"match[]": {"up_like_metric", "qmonit_special"}},
			want: []string{"__name__", "instance", "job", "kind"}},
		{name: "names POST", method: http.MethodPost, path: "/api/v1/labels", form: url.Values{"match[]": {"qmonit_special"}},
			want: []string{"__name__", "kind"}},
		{name: "names limit", path: "/api/v1/labels", form: url.Values{"limit": {"2"}},
			want: []string{"__name__", "instance"}, wantWarning: "results truncated due to limit"},
		{name: "names outside range", path: "/api/v1/labels", form: late, want: []string{}},
		{name: "metric names", path: "/api/v1/label/__name__/values",
			want: []string{"qmonit_queue_jobs", "qmonit_special", "up_like_metric"}},
		{name: "values sorted with spaces and non-ASCII", path: "/api/v1/label/queue/values",
			want: []string{"CERN-PROD", "Zürich_日本", "queue with spaces"}},
		{name: "values with match", path: "/api/v1/label/site/values", form: url.Values{"match[]": {`{state="running"}`}},
			want: []string{"<img src=x>", "CERN"}},
		{name: "values with two matches", path: "/api/v1/label/kind/values",
			form: url.Values{"match[]": {`qmonit_special{kind="nan"}`, `qmonit_special{kind=~"n.*"}`}},
			want: []string{"nan", "neginf"}},
		{name: "values limit", path: "/api/v1/label/kind/values", form: url.Values{"limit": {"1"}},
			want: []string{"inf"}, wantWarning: "results truncated due to limit"},
		{name: "values of unknown label", path: "/api/v1/label/nope/values", want: []string{}},
		{name: "values outside range", path: "/api/v1/label/job/values", form: late, want: []string{}},
		{name: "escaped name", path: "/api/v1/label/U__k_69_nd/values", want: []string{"inf", "nan", "neginf", "tiny"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans := do(t, mux, cmp.Or(tt.method, http.MethodGet), tt.path, tt.form)
			if ans.code != http.StatusOK {
				t.Fatalf("code %d, error %q", ans.code, ans.Error)
			}
			var got []string
			decode(t, ans.Data, &got)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tt.wantWarning != "" && !slices.Contains(ans.Warnings, tt.wantWarning) {
				t.Errorf("warnings %q, want %q", ans.Warnings, tt.wantWarning)
			}
		})
	}
}
