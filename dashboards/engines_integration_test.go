package dashboards

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/qmonit/qmonit/internal/app"
	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/sim"
)

const (
	// engineHours of simulated history feed the engines, from 22:00 to
	// 01:00 the day after next: a day for the moving averages, and two
	// midnights, so the daily rollup series exist on two days.
	// VictoriaMetrics (1.79) does not find a series at t = 00:00 exactly
	// (where Grafana aligns a daily step) from that day's index alone, and
	// a daily series' only sample is at 00:00.
	engineHours  = 27
	engineQueues = 25
	// isolationLabel is the remote-write external label that keeps this
	// test's series apart from other writers of the same VictoriaMetrics.
	isolationLabel = "qmonit_dash"
)

// TestEnginesIntegration feeds VictoriaMetrics (remote write) and InfluxDB
// 1.x (line protocol, rollups and datadisks in their retention policies)
// with 27 hours of simulated history through qmonit's own cycle and sink
// path (app.RunCycles with sinks.remote_write and sinks.influxdb enabled),
// then runs every dashboard of the matching flavour against each engine.
//
// VictoriaMetrics is shared: the series carry the external label
// qmonit_dash=<run>, every query gets that matcher added, and the series
// are deleted at the end. InfluxDB gets a database of its own, dropped at
// the end.
func TestEnginesIntegration(t *testing.T) {
	vmURL, influxURL := os.Getenv("VM_URL"), os.Getenv("INFLUX_URL")
	if vmURL == "" && influxURL == "" {
		t.Skip("VM_URL and INFLUX_URL not set: start the engines with scripts/services-start.sh DIR influxdb victoriametrics and source DIR/services.env")
	}
	if testing.Short() {
		t.Skip("feeds the engines 27 hours of simulated cycles")
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	env := map[string]string{}
	if vmURL != "" {
		write := os.Getenv("VM_REMOTE_WRITE_URL")
		if write == "" {
			write = vmURL + "/api/v1/write"
		}
		env["QMONIT_SINKS_REMOTE_WRITE_ENABLED"] = "true"
		env["QMONIT_SINKS_REMOTE_WRITE_URL"] = write
		env["QMONIT_SINKS_REMOTE_WRITE_EXTERNAL_LABELS"] = isolationLabel + "=" + run
		t.Cleanup(func() { deleteVMSeries(t, vmURL, run) })
	}
	influxDB := ""
	if influxURL != "" {
		influxDB = strings.ReplaceAll(envOr("INFLUX_DB", "qmonit"), "-", "_") + "_dash_" + run
		createInfluxDB(t, influxURL, influxDB)
		env["QMONIT_SINKS_INFLUXDB_ENABLED"] = "true"
		env["QMONIT_SINKS_INFLUXDB_URL"] = influxURL
		env["QMONIT_SINKS_INFLUXDB_DATABASE"] = influxDB
	}
	last := feedEngines(t, env)
	to := last.Add(5 * time.Minute)
	client := &http.Client{Timeout: 2 * time.Minute}

	t.Run("victoriametrics", func(t *testing.T) {
		if vmURL == "" {
			t.Skip("VM_URL not set: start VictoriaMetrics with scripts/services-start.sh DIR victoriametrics")
		}
		forceFlush(t, vmURL)
		eng := &promEngine{base: vmURL, client: client, extra: url.Values{"nocache": {"1"}},
			isolate: labels.MustNewMatcher(labels.MatchEqual, isolationLabel, run)}
		runFlavour(t, &liveRun{ctx: t.Context(), eng: eng, to: to}, promFlavour, "VictoriaMetrics")
	})
	t.Run("influxdb", func(t *testing.T) {
		if influxURL == "" {
			t.Skip("INFLUX_URL not set: start InfluxDB with scripts/services-start.sh DIR influxdb")
		}
		eng := &influxEngine{base: influxURL, db: influxDB, client: client}
		runFlavour(t, &liveRun{ctx: t.Context(), eng: eng, to: to}, influxFlavour, "InfluxDB")
	})
}

func runFlavour(t *testing.T, r *liveRun, flavour, name string) {
	t.Helper()
	for _, d := range loadDashboards(t) {
		if d.flavour != flavour {
			continue
		}
		t.Run(d.file, func(t *testing.T) {
			r.t = t
			r.dashboard(d)
		})
	}
	t.Logf("%d requests to %s; slowest %v: %s", r.queries, name, r.slowest.Round(time.Millisecond), r.slowestWhat)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// feedEngines runs qmonit's cycles over engineHours of simulated history,
// ending at 01:00 today (yesterday before 01:00), with the sinks of env,
// and returns the last cycle's time.
func feedEngines(t *testing.T, env map[string]string) time.Time {
	t.Helper()
	var clock atomic.Int64
	grid := sim.New(sim.Options{Seed: 1, Queues: engineQueues, Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	srv := httptest.NewServer(grid.Handler())
	t.Cleanup(srv.Close)
	env["QMONIT_DATA_DIR"] = t.TempDir()
	for _, line := range grid.Env(srv.URL) {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	cfg, err := config.Load("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	iv := time.Duration(cfg.Interval)
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	if time.Since(midnight) < time.Hour {
		midnight = midnight.Add(-24 * time.Hour)
	}
	end := midnight.Add(time.Hour)
	var times []time.Time
	for at := end.Add(-engineHours * time.Hour); at.Before(end); at = at.Add(iv) {
		times = append(times, at)
	}
	began := time.Now()
	if err := app.RunCycles(t.Context(), cfg, slog.New(slog.DiscardHandler), times,
		func(at time.Time) { clock.Store(at.UnixNano()) }); err != nil {
		t.Fatalf("feed the engines: %v", err)
	}
	t.Logf("%d cycles of %d queues through the sinks in %v", len(times), engineQueues, time.Since(began).Round(time.Millisecond))
	return times[len(times)-1]
}

// createInfluxDB creates db with the seed's retention policies (raw 10m as
// the default, 1h and 1d) and drops it when the test ends.
func createInfluxDB(t *testing.T, base, db string) {
	t.Helper()
	for _, q := range []string{
		"CREATE DATABASE " + db,
		fmt.Sprintf(`CREATE RETENTION POLICY "10m" ON %s DURATION INF REPLICATION 1 DEFAULT`, db),
		fmt.Sprintf(`CREATE RETENTION POLICY "1h" ON %s DURATION INF REPLICATION 1`, db),
		fmt.Sprintf(`CREATE RETENTION POLICY "1d" ON %s DURATION INF REPLICATION 1`, db),
	} {
		if err := influxAdmin(context.Background(), base, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := influxAdmin(context.Background(), base, "DROP DATABASE "+db); err != nil {
			t.Error(err)
		}
	})
}

func influxAdmin(ctx context.Context, base, q string) error {
	e := &influxEngine{base: base, client: &http.Client{Timeout: time.Minute}}
	if _, err := e.run(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

// forceFlush makes VictoriaMetrics' recent samples searchable now.
func forceFlush(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/internal/force_flush")
	if err != nil {
		t.Fatalf("flush VictoriaMetrics: %v", err)
	}
	resp.Body.Close()
}

// deleteVMSeries deletes this run's series from VictoriaMetrics.
func deleteVMSeries(t *testing.T, base, run string) {
	v := url.Values{"match[]": {fmt.Sprintf(`{%s=%q}`, isolationLabel, run)}}
	resp, err := http.PostForm(base+"/api/v1/admin/tsdb/delete_series", v)
	if err != nil {
		t.Errorf("delete this run's series from VictoriaMetrics: %v", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Errorf("delete this run's series from VictoriaMetrics: status %d", resp.StatusCode)
	}
}
