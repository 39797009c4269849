package promapi

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzQueryParams sends arbitrary query, start, end and step values to the
// instant and range query endpoints: every answer must be JSON in the
// Prometheus envelope, and none may be a 500 (a recovered panic).
func FuzzQueryParams(f *testing.F) {
	for _, seed := range [][4]string{
		{`qmonit_queue_jobs{queue="CERN-PROD"}`, "1704067200", "1704070800", "60"},
		{`rate(qmonit_queue_jobs[5m])`, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "1m"},
		{`sum by (site) (qmonit_queue_jobs{site="<img src=x>"})`, "1704067200.5", "1704067260", "0.5"},
		{`1+1`, "-1e18", "1e18", "1e-9"},
		{`"str"`, "NaN", "+Inf", "-Inf"},
		{`max_over_time(up_like_metric[1y:1ms])`, "-9e15", "9e15", "1e300"},
		{`qmonit_special @ end() offset -1w`, "9223372036.854775807", "0", "1h"},
		{`sum(`, "", "", ""},
		{`{__name__=~"Zürich.*"}`, "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "-1"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	a := newTestAPI(f, f.TempDir(), Options{Timeout: 2 * time.Second})
	mux := http.NewServeMux()
	a.Register(mux)
	f.Fuzz(func(t *testing.T, query, start, end, step string) {
		forms := map[string]url.Values{
			"/api/v1/query":       {"query": {query}, "time": {start}},
			"/api/v1/query_range": {"query": {query}, "start": {start}, "end": {end}, "step": {step}},
		}
		for path, form := range forms {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				ans := doRequest(t, mux, newRequest(method, path, form))
				switch {
				case ans.Status == "success" && ans.code == http.StatusOK:
				case ans.Status == "error" && ans.ErrorType != "" && ans.code >= 400 && ans.code != http.StatusInternalServerError:
				default:
					t.Fatalf("%s %s %v: %d %s %s %q", method, path, form, ans.code, ans.Status, ans.ErrorType, ans.Error)
				}
			}
		}
	})
}
