package promapi

import (
	"net/http"
	"net/url"
	"runtime"
	"testing"
)

func TestBuildInfo(t *testing.T) {
	_, mux := newTestMux(t)
	ans := do(t, mux, http.MethodGet, "/api/v1/status/buildinfo", nil)
	var got map[string]string
	decode(t, ans.Data, &got)
	want := map[string]string{"version": "1.2.3", "revision": "abc123", "branch": "", "buildUser": "",
		"buildDate": "", "goVersion": runtime.Version()}
	if ans.code != http.StatusOK || !mapsEqual(got, want) {
		t.Errorf("%d %v, want 200 %v", ans.code, got, want)
	}
}

// TestGrafanaEndpoints checks the answers Grafana's Prometheus data source
// asks for on "Save & test" and in its query editor.
func TestGrafanaEndpoints(t *testing.T) {
	_, mux := newTestMux(t)
	for _, tt := range []struct {
		method, path string
		form         url.Values
		want         string
	}{
		{http.MethodPost, "/api/v1/query", url.Values{"query": {"1+1"}, "time": {"1704067200"}},
			`{"resultType":"scalar","result":[1704067200,"2"]}`},
		{http.MethodGet, "/api/v1/metadata", url.Values{"metric": {"up"}, "limit": {"10"}}, `{}`},
		{http.MethodGet, "/api/v1/query_exemplars", url.Values{"query": {"up"}, "start": {"0"}, "end": {"1"}}, `[]`},
		{http.MethodGet, "/api/v1/rules", nil, `{"groups":[]}`},
		{http.MethodGet, "/api/v1/alerts", nil, `{"alerts":[]}`},
		{http.MethodGet, "/api/v1/status/flags", nil, `{"query.timeout":"2m0s"}`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			ans := do(t, mux, tt.method, tt.path, tt.form)
			if ans.code != http.StatusOK || ans.Status != "success" || string(ans.Data) != tt.want {
				t.Errorf("%d %s %s, want 200 success %s", ans.code, ans.Status, ans.Data, tt.want)
			}
		})
	}
}

func TestRuntimeInfo(t *testing.T) {
	_, mux := newTestMux(t)
	ans := do(t, mux, http.MethodGet, "/api/v1/status/runtimeinfo", nil)
	var got struct {
		GoroutineCount int    `json:"goroutineCount"`
		ServerTime     string `json:"serverTime"`
	}
	decode(t, ans.Data, &got)
	if ans.code != http.StatusOK || got.GoroutineCount == 0 || got.ServerTime != "2024-01-01T00:30:00Z" {
		t.Errorf("%d %s", ans.code, ans.Data)
	}
}
