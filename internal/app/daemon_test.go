package app

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/sim"
	"github.com/qmonit/qmonit/internal/testutil"
)

// clockedGrid is a simulated grid whose "now" the test moves.
type clockedGrid struct {
	*sim.Grid
	now atomic.Int64
}

func (g *clockedGrid) set(t time.Time) { g.now.Store(t.UnixNano()) }

func newDaemonEnv(t *testing.T, queues int, dataDir string) (*clockedGrid, *config.Config) {
	t.Helper()
	cg := &clockedGrid{}
	cg.Grid = sim.New(sim.Options{Seed: 1, Queues: queues, Now: func() time.Time { return time.Unix(0, cg.now.Load()).UTC() }})
	srv := httptest.NewServer(cg.Handler())
	t.Cleanup(srv.Close)
	env := map[string]string{"QMONIT_DATA_DIR": dataDir}
	for _, line := range cg.Env(srv.URL) {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	cfg, err := config.Load("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cg, cfg
}

func openTestDaemon(t *testing.T, cfg *config.Config, now time.Time) *daemon {
	t.Helper()
	d, err := openDaemon(t.Context(), cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.rebuild(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	return d
}

// runCycles runs n cycles from start at the interval, moving the grid's clock.
func runCycles(t *testing.T, d *daemon, g *clockedGrid, start time.Time, n int) time.Time {
	t.Helper()
	iv := time.Duration(d.cfg.Interval)
	var at time.Time
	for i := range n {
		at = start.Add(time.Duration(i) * iv)
		g.set(at)
		d.cycle(context.Background(), at)
		if st := d.status.Load(); st.LastError != "" {
			t.Fatalf("cycle %v: %s", at, st.LastError)
		}
	}
	return at
}

func apiQuery(t *testing.T, h http.Handler, q string, at time.Time) []map[string]any {
	t.Helper()
	v := url.Values{"query": {q}, "time": {at.Format(time.RFC3339)}}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/query?"+v.Encode(), nil))
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Result []map[string]any `json:"result"`
		} `json:"data"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Status != "success" {
		t.Fatalf("query %q: %v %s", q, err, rec.Body.String())
	}
	return resp.Data.Result
}

var day0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func TestServeCyclesWriteStoreRollupsAndSnapshot(t *testing.T) {
	g, cfg := newDaemonEnv(t, 60, t.TempDir())
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	last := runCycles(t, d, g, day0, 8) // 00:00 .. 01:10: the 00:00 hour rolls up
	h := d.handler()

	byCloud := apiQuery(t, h, `sum by (cloud) (qmonit_jobs{job_status="running"})`, last)
	if len(byCloud) < 3 {
		t.Fatalf("sum by cloud: %v", byCloud)
	}
	// Rollups are stamped at their bucket's end: 01:00 holds 00:00-01:00.
	hourly := apiQuery(t, h, `count(qmonit_jobs:1h{job_status="running"})`, day0.Add(time.Hour))
	if len(hourly) != 1 {
		t.Fatalf("no hourly rollups: %v", hourly)
	}
	samples := apiQuery(t, h, `max(qmonit_jobs_samples:1h)`, day0.Add(time.Hour))
	// Within the hour after its stamp a rollup is still found (lookback of
	// one bucket), as dashboards with unaligned steps need.
	if late := apiQuery(t, h, `count(qmonit_jobs:1h{job_status="running"})`, day0.Add(time.Hour+50*time.Minute)); len(late) != 1 {
		t.Errorf("hourly rollup not found 50 minutes after its stamp: %v", late)
	}
	if v := samples[0]["value"].([]any)[1]; v != "6" {
		t.Errorf("hourly bucket samples = %v, want 6", v)
	}
	info := apiQuery(t, h, `count(qmonit_queue_info)`, last)
	if len(info) != 1 {
		t.Errorf("no queue info: %v", info)
	}
	rows, err := d.snap.Rows(t.Context())
	if err != nil || len(rows) == 0 {
		t.Fatalf("snapshot rows: %d, %v", len(rows), err)
	}
	withAvg := 0
	for _, r := range rows {
		if r.Avg["1h_running"] != nil {
			withAvg++
		}
	}
	if withAvg == 0 {
		t.Error("no snapshot row has avg1h_running_jobs")
	}
	for _, path := range []string{"/-/healthy", "/metrics"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 200 {
			t.Errorf("%s: %d", path, rec.Code)
		}
		if path != "/metrics" {
			continue
		}
		for _, want := range []string{`qmonit_cycles_total{result="ok"} 8`, `qmonit_catalog_age_seconds{dump="cric_pandaqueue"}`,
			`qmonit_source_up{source="panda"} 1`, `qmonit_store_size_bytes`, `qmonit_points_written_total{kind="jobs"}`} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}
}

func TestFailedCycleWritesNothing(t *testing.T) {
	g, cfg := newDaemonEnv(t, 30, t.TempDir())
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	runCycles(t, d, g, day0, 1)
	g.SetFault(sim.PathPandaV1, sim.Fault{Status: 500})
	g.SetFault(sim.PathPandaLegacy, sim.Fault{Status: 500})
	at := day0.Add(10 * time.Minute)
	g.set(at)
	d.cycle(context.Background(), at)
	if st := d.status.Load(); st.LastError == "" || !st.LastGoodCycle.Equal(day0) {
		t.Fatalf("status after a failed cycle: %+v", st)
	}
	got := apiQuery(t, d.handler(), `count(qmonit_jobs @ `+itoa(at.Unix())+`)`, at)
	prev := apiQuery(t, d.handler(), `count(qmonit_jobs @ `+itoa(day0.Unix())+`)`, at)
	if len(got) != 1 || len(prev) != 1 {
		t.Fatalf("counts: %v %v", got, prev)
	}
	// Nothing at the failed cycle's time: the only samples are the earlier ones.
	ts := apiQuery(t, d.handler(), `max(timestamp(qmonit_jobs))`, at)
	if v := ts[0]["value"].([]any)[1]; v != itoa(day0.Unix()) {
		t.Errorf("newest sample at %v, want the last good cycle %d", v, day0.Unix())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestAveragesSurviveCrash copies the data directory while the daemon is
// running (what a kill -9 leaves), reopens the copy, and checks that the
// rebuilt moving averages equal the ones held before.
func TestAveragesSurviveCrash(t *testing.T) {
	dir := t.TempDir()
	g, cfg := newDaemonEnv(t, 40, dir)
	d := openTestDaemon(t, cfg, day0)
	last := runCycles(t, d, g, day0.Add(-26*time.Hour), 26*6+3)
	before := map[point.Key]derive.Averages{}
	for k, a := range d.avg.All() {
		before[k] = a
	}
	crashed := t.TempDir()
	testutil.CopyDir(t, dir, crashed)
	d.close()

	cfg2 := *cfg
	cfg2.DataDir = crashed
	d2 := openTestDaemon(t, &cfg2, last)
	defer d2.close()
	if len(before) == 0 || d2.avg.Len() == 0 {
		t.Fatalf("averages: %d before, %d after", len(before), d2.avg.Len())
	}
	diffs := 0
	for k, want := range before {
		got, ok := d2.avg.Averages(k)
		if !ok {
			if want.Of[derive.Window24h].Samples > 0 {
				diffs++
			}
			continue
		}
		for w := range derive.NumWindows {
			a, b := want.Of[w], got.Of[w]
			if a.Samples != b.Samples || !near(a.Mean, b.Mean) {
				if diffs < 5 {
					t.Errorf("%v %v: before %+v, after %+v", k, w, a, b)
				}
				diffs++
			}
		}
	}
	if diffs > 0 {
		t.Fatalf("%d averages differ after the restart", diffs)
	}
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(1, a, -a)
}

func TestRetentionDeletesOldRaw(t *testing.T) {
	g, cfg := newDaemonEnv(t, 20, t.TempDir())
	cfg.Storage.Retention.Raw = config.Duration(2 * time.Hour)
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	last := runCycles(t, d, g, day0, 19) // 00:00 .. 03:00
	h := d.handler()
	old := apiQuery(t, h, `count(qmonit_jobs @ `+itoa(day0.Unix())+`)`, last)
	recent := apiQuery(t, h, `count(qmonit_jobs)`, last)
	hourly := apiQuery(t, h, `count(qmonit_jobs:1h @ `+itoa(day0.Add(time.Hour).Unix())+`)`, last)
	if len(old) != 0 || len(recent) != 1 || len(hourly) != 1 {
		t.Fatalf("after retention: raw at 00:00 %v (want none), raw now %v, hourly rollup %v", old, recent, hourly)
	}
}

func TestReloadKeepsOldConfigOnError(t *testing.T) {
	g, cfg := newDaemonEnv(t, 20, t.TempDir())
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	old := d.up()
	d.reload(func() (*config.Config, error) { return nil, os.ErrNotExist })
	if d.up() != old || gaugeValue(t, d, "qmonit_config_last_reload_successful") != 0 {
		t.Fatal("a failed reload replaced the upstreams or did not set the gauge to 0")
	}
	// SIGHUP arrives while a cycle runs (the race detector checks the swap).
	g.set(day0)
	cycled := make(chan struct{})
	go func() { d.cycle(context.Background(), day0); close(cycled) }()
	d.reload(func() (*config.Config, error) { return cfg, nil })
	<-cycled
	if d.up() == old || gaugeValue(t, d, "qmonit_config_last_reload_successful") != 1 {
		t.Fatal("a good reload did not take effect")
	}
}

func gaugeValue(t *testing.T, d *daemon, name string) float64 {
	t.Helper()
	mfs, err := d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

func TestIncidentsEndpointReportsADrain(t *testing.T) {
	g, cfg := newDaemonEnv(t, 20, t.TempDir())
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	answer := func(running int) string {
		return `{"success": true, "message": "", "data": {"QDRAIN": {"managed": {"SCORE": {"assigned": 0, "activated": 5, "running": ` +
			strconv.Itoa(running) + `, "finished": 10, "failed": 1}}}}}`
	}
	g.SetFault(sim.PathPandaV1, sim.Fault{Body: answer(100)})
	runCycles(t, d, g, day0, 16)
	g.SetFault(sim.PathPandaV1, sim.Fault{Body: answer(0)})
	last := runCycles(t, d, g, day0.Add(16*10*time.Minute), 3)

	rec := httptest.NewRecorder()
	d.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/qmonit/v1/incidents", nil))
	var got struct {
		UpdatedAt time.Time `json:"updated_at"`
		Open      []struct {
			Kind      string   `json:"kind"`
			State     string   `json:"state"`
			Direction string   `json:"direction"`
			Queues    []string `json:"queues"`
			Evidence  []struct {
				Value    float64 `json:"value"`
				Baseline float64 `json:"baseline"`
			} `json:"evidence"`
		} `json:"open"`
		Recent []json.RawMessage `json:"recent"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%d %v: %s", rec.Code, err, rec.Body.String())
	}
	if !got.UpdatedAt.Equal(last) || len(got.Open) != 1 {
		t.Fatalf("incidents = %s", rec.Body.String())
	}
	inc := got.Open[0]
	if inc.State != "running" || inc.Direction != "drop" || len(inc.Queues) != 1 || inc.Queues[0] != "QDRAIN" ||
		len(inc.Evidence) == 0 || inc.Evidence[0].Value != 0 || inc.Evidence[0].Baseline != 100 {
		t.Errorf("incident = %+v", inc)
	}
}

// countLines counts line-protocol lines, not comments.
func countLines(b []byte) int {
	n := 0
	for l := range strings.Lines(string(b)) {
		if !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

// fakeInflux counts the line-protocol lines it accepts and can be down.
type fakeInflux struct {
	lines atomic.Int64
	down  atomic.Bool
}

func (f *fakeInflux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		http.Error(w, `{"error":"overloaded"}`, http.StatusServiceUnavailable)
		return
	}
	body := r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	f.lines.Add(int64(countLines(b)))
	w.WriteHeader(http.StatusNoContent)
}

func TestInfluxSinkSurvivesOutageAndRestart(t *testing.T) {
	fake := &fakeInflux{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	g, cfg := newDaemonEnv(t, 20, dir)
	cfg.Sinks.InfluxDB.Enabled, cfg.Sinks.InfluxDB.URL = true, srv.URL
	d := openTestDaemon(t, cfg, day0)
	s := d.sinks[0]
	var enqueued int64
	encode := s.encode
	s.encode = func(c *sinkCycle) [][]byte {
		out := encode(c)
		for _, b := range out {
			enqueued += int64(countLines(b))
		}
		return out
	}
	runCycles(t, d, g, day0, 2)
	if err := s.replay(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fake.lines.Load() != enqueued || enqueued == 0 {
		t.Fatalf("delivered %d lines, enqueued %d", fake.lines.Load(), enqueued)
	}
	fake.down.Store(true)
	runCycles(t, d, g, day0.Add(20*time.Minute), 3)
	if err := s.replay(t.Context()); err == nil {
		t.Fatal("replay succeeded against a down server")
	}
	if batches, _, _ := s.sp.Backlog(); batches == 0 {
		t.Fatal("nothing spooled during the outage")
	}
	d.close() // restart while the server is still down

	fake.down.Store(false)
	d2 := openTestDaemon(t, cfg, day0.Add(time.Hour))
	defer d2.close()
	if err := d2.sinks[0].replay(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := fake.lines.Load(); got != enqueued {
		t.Errorf("delivered %d lines after recovery, want %d (every point of 5 cycles, once)", got, enqueued)
	}
	if batches, _, _ := d2.sinks[0].sp.Backlog(); batches != 0 {
		t.Errorf("%d batches left in the spool", batches)
	}
}

func TestServeReturnsWhenHTTPFails(t *testing.T) {
	fake := &fakeInflux{}
	sink := httptest.NewServer(fake)
	t.Cleanup(sink.Close)
	_, cfg := newDaemonEnv(t, 10, t.TempDir())
	cfg.Sinks.InfluxDB.Enabled, cfg.Sinks.InfluxDB.URL = true, sink.URL
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // the HTTP server fails at once
	done := make(chan error, 1)
	go func() {
		done <- Serve(t.Context(), ServeOptions{Config: cfg, Logger: slog.New(slog.DiscardHandler), Listener: ln})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "http server") {
			t.Fatalf("Serve = %v, want the HTTP server's error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its HTTP server failed (workers not stopped)")
	}
}
