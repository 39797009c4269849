package promapi

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPromtoolIntegration runs Prometheus' own client, promtool, against the
// API. promtool comes with Debian's prometheus package.
func TestPromtoolIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test skipped under -short")
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not found: apt-get install prometheus")
	}
	a := newTestAPI(t, t.TempDir(), Options{Version: "1.2.3"})
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	at := t0.Add(10 * time.Minute).Format(time.RFC3339)
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"instant", []string{"query", "instant", "--time=" + at, srv.URL, "up_like_metric"},
			[]string{`up_like_metric{instance="a", job="qmonit"} => 1 @[1704067800]`}},
		{"instant non-ASCII", []string{"query", "instant", "--time=" + at, srv.URL, `qmonit_queue_jobs{queue="Zürich_日本"}`},
			[]string{`queue="Zürich_日本"`, `=> 10 @[1704067800]`}},
		{"range", []string{"query", "range", "--start=1704067200", "--end=1704067380", "--step=1m",
			srv.URL, `qmonit_queue_jobs{queue="CERN-PROD"}`},
			[]string{`queue="CERN-PROD"`, "0 @[1704067200]", "1 @[1704067260]", "2 @[1704067320]", "3 @[1704067380]"}},
		{"series", []string{"query", "series", "--match=qmonit_queue_jobs", "--start=1704067200", "--end=1704070800", srv.URL},
			[]string{`queue="CERN-PROD"`, `queue="queue with spaces"`, `site="<img src=x>"`, `queue="Zürich_日本"`}},
		// promtool's default window is around the wall clock, the data is in 2024.
		{"labels", []string{"query", "labels", "--start=1704067200", "--end=1704070800", srv.URL, "queue"},
			[]string{"CERN-PROD", "Zürich_日本", "queue with spaces"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.CommandContext(t.Context(), promtool, tt.args...).CombinedOutput()
			t.Logf("promtool %s:\n%s", strings.Join(tt.args, " "), out)
			if err != nil {
				t.Fatalf("promtool: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q", w)
				}
			}
		})
	}
}
