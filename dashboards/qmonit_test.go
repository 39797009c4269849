package dashboards

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/app"
)

// TestQmonitAPI runs every Prometheus-flavour dashboard against qmonit's own
// /api/v1: `qmonit demo` in-process, with two days of simulated history
// backfilled for 100 queues, queried over HTTP as Grafana would.
func TestQmonitAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("backfills two days of simulated history (about 30 s with -race)")
	}
	base := startDemo(t)
	r := &liveRun{t: t, ctx: t.Context(), to: time.Now(), eng: &promEngine{base: base, client: &http.Client{Timeout: time.Minute}}}
	for _, d := range loadDashboards(t) {
		if d.flavour != promFlavour {
			continue
		}
		t.Run(d.file, func(t *testing.T) {
			r.t = t
			r.dashboard(d)
		})
	}
	t.Logf("%d requests to qmonit's /api/v1; slowest %v: %s", r.queries, r.slowest.Round(time.Millisecond), r.slowestWhat)
}

// startDemo runs `qmonit demo` until the test ends and returns its base URL.
func startDemo(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Demo(ctx, app.DemoOptions{
			Listen: "127.0.0.1:0", DataDir: t.TempDir(), Days: 2, Queues: 100, Seed: 1,
			Logger: slog.New(slog.DiscardHandler), Ready: func(u string) { ready <- u },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	select {
	case u := <-ready:
		return u
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("demo stopped before it was ready: %v", err)
	case <-time.After(5 * time.Minute):
		t.Fatal("demo not ready within 5 minutes")
	}
	return ""
}
