package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// webhookSink collects the alerts a generic JSON webhook receives.
type webhookSink struct {
	mu     sync.Mutex
	alerts []map[string]any
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []map[string]any `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.alerts = append(w.alerts, msg.Alerts...)
	w.mu.Unlock()
	rw.WriteHeader(http.StatusNoContent)
}

// waitFor polls until the webhook has received an alert with key and
// status, or fails after 20 s.
func (w *webhookSink) waitFor(t *testing.T, key, status string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		for _, a := range w.alerts {
			if a["key"] == key && a["status"] == status {
				w.mu.Unlock()
				return a
			}
		}
		w.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Fatalf("webhook never received %s %s; got %v", key, status, w.alerts)
	return nil
}

// TestNotificationsFromDaemon runs real cycles with a webhook channel: a
// PanDA outage notifies once and then resolves; a drained queue raises an
// incident notification with its evidence.
func TestNotificationsFromDaemon(t *testing.T) {
	hook := &webhookSink{}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	g, cfg := newDaemonEnv(t, 20, t.TempDir())
	cfg.Sources.Panda.Retries = 0
	cfg.Notify.Webhook.Enabled, cfg.Notify.Webhook.URL = true, srv.URL
	cfg.Notify.ExternalURL = "https://qmonit.example.org"
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.notify.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	iv := time.Duration(cfg.Interval)
	runCycles(t, d, g, day0, 1)
	for _, p := range []string{sim.PathPandaV1, sim.PathPandaLegacy} {
		g.SetFault(p, sim.Fault{Status: http.StatusBadGateway, Body: "bad gateway"})
	}
	for i := 1; i <= 3; i++ {
		at := day0.Add(time.Duration(i) * iv)
		g.set(at)
		d.cycle(t.Context(), at)
		d.checkHealth(at.Add(time.Second))
	}
	a := hook.waitFor(t, "pipeline/panda", "firing")
	if a["name"] != "QmonitPipelinePanda" || a["severity"] != "critical" {
		t.Errorf("firing alert = %v", a)
	}
	for _, p := range []string{sim.PathPandaV1, sim.PathPandaLegacy} {
		g.SetFault(p, sim.Fault{})
	}
	at := day0.Add(4 * iv)
	runCycles(t, d, g, at, 1)
	d.checkHealth(at.Add(time.Second))
	hook.waitFor(t, "pipeline/panda", "resolved")
	hook.mu.Lock()
	firing := 0
	for _, a := range hook.alerts {
		if a["key"] == "pipeline/panda" && a["status"] == "firing" {
			firing++
		}
	}
	hook.mu.Unlock()
	if firing != 1 {
		t.Errorf("the PanDA outage was announced %d times, want once", firing)
	}
}
