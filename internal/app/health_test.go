package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/sim"
)

// TestPipelineHealthPandaDown fails PanDA for three cycles, checks the
// alert on the incidents API and /metrics, then lets PanDA recover.
func TestPipelineHealthPandaDown(t *testing.T) {
	g, cfg := newDaemonEnv(t, 20, t.TempDir())
	cfg.Sources.Panda.Retries = 0
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	iv := time.Duration(cfg.Interval)
	runCycles(t, d, g, day0, 1)
	if rep := d.checkHealth(day0.Add(iv / 2)); len(rep.Open) != 0 {
		t.Fatalf("alerts after a good cycle: %+v", rep.Open)
	}
	g.SetFault(sim.PathPandaV1, sim.Fault{Status: http.StatusServiceUnavailable, Body: "down for maintenance"})
	g.SetFault(sim.PathPandaLegacy, sim.Fault{Status: http.StatusServiceUnavailable, Body: "down for maintenance"})
	for i := 1; i <= 3; i++ {
		at := day0.Add(time.Duration(i) * iv)
		g.set(at)
		d.cycle(t.Context(), at)
		rep := d.checkHealth(at.Add(time.Second))
		if open := len(rep.Open); (i < 3 && open != 0) || (i == 3 && open != 1) {
			t.Fatalf("after %d failed cycles: %d alerts open (%+v)", i, open, rep.Open)
		}
	}
	body := getBody(t, d.handler(), "/api/qmonit/v1/incidents")
	var got struct {
		Pipeline []struct {
			Kind, Severity, Summary string
		} `json:"pipeline"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Pipeline) != 1 || got.Pipeline[0].Kind != "panda" || got.Pipeline[0].Severity != "critical" ||
		!strings.Contains(got.Pipeline[0].Summary, "3 cycles") {
		t.Fatalf("pipeline alerts = %s", body)
	}
	if m := getBody(t, d.handler(), "/metrics"); !strings.Contains(m, `qmonit_pipeline_alert{kind="panda",severity="critical",subject=""} 1`) {
		t.Errorf("/metrics lacks the open alert")
	}
	g.SetFault(sim.PathPandaV1, sim.Fault{})
	g.SetFault(sim.PathPandaLegacy, sim.Fault{})
	at := day0.Add(4 * iv)
	runCycles(t, d, g, at, 1)
	rep := d.checkHealth(at.Add(time.Second))
	if len(rep.Open) != 0 || len(rep.Resolved) != 1 || rep.Resolved[0].Kind != "panda" {
		t.Fatalf("after recovery: open %+v resolved %+v", rep.Open, rep.Resolved)
	}
}

func getBody(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}
