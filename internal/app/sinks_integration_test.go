package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// The sink integration tests run qmonit's real cycles against the simulated
// grid with a sink pointed at a real engine through a loopback proxy. The
// proxy is stopped (connections refused, as when the engine is down) for
// six cycles, and qmonit is restarted in the middle of the outage. After
// recovery every raw point and rollup of the 18 cycles must be in the
// engine exactly once with the embedded store's values, delivered in cycle
// order, and the spool must be empty. The engines are counted with their
// own query languages (InfluxQL, PromQL, MetricsQL).

const (
	itCycles     = 18
	itQueues     = 30
	itOutageFrom = 6  // first cycle with the engine unreachable
	itRestartAt  = 9  // qmonit restarts before this cycle
	itOutageTo   = 12 // first cycle with the engine back
)

// flakyProxy forwards to an engine and can be stopped and started on the
// same address. It records the time of the first job sample of every raw
// batch it forwards, to check delivery order.
type flakyProxy struct {
	t      *testing.T
	target *url.URL
	addr   string
	raw    func(r *http.Request, body []byte) (time.Time, bool)

	mu    sync.Mutex
	srv   *http.Server
	order []time.Time
}

func newFlakyProxy(t *testing.T, target string, raw func(*http.Request, []byte) (time.Time, bool)) *flakyProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{t: t, target: u, raw: raw, addr: "127.0.0.1:0"}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *flakyProxy) url() string { return "http://" + p.addr }

func (p *flakyProxy) start() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen %s: %v", p.addr, err)
	}
	p.addr = ln.Addr().String()
	rp := httputil.NewSingleHostReverseProxy(p.target)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w}
		rp.ServeHTTP(rec, r)
		if rec.status/100 == 2 {
			if ts, ok := p.raw(r, body); ok {
				p.mu.Lock()
				p.order = append(p.order, ts)
				p.mu.Unlock()
			}
		}
	})
	p.mu.Lock()
	p.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	srv := p.srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (p *flakyProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		_ = p.srv.Close()
		p.srv = nil
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// checkOrder fails unless raw batches arrived in cycle order and every
// cycle arrived.
func (p *flakyProxy) checkOrder(t *testing.T, start time.Time, iv time.Duration) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.IsSortedFunc(p.order, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Errorf("raw batches delivered out of cycle order: %v", p.order)
	}
	seen := map[time.Time]bool{}
	for _, ts := range p.order {
		seen[ts] = true
	}
	for i := range itCycles {
		if at := start.Add(time.Duration(i) * iv); !seen[at] {
			t.Errorf("no raw batch of cycle %d (%s) went through", i, at.Format(time.RFC3339))
		}
	}
}

// runOutageScenario runs the 18 cycles with the outage and the restart and
// returns the last daemon (still open) and the last cycle time.
func runOutageScenario(t *testing.T, cfg *config.Config, g *clockedGrid, proxy *flakyProxy, start time.Time) (*daemon, time.Time) {
	t.Helper()
	iv := time.Duration(cfg.Interval)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * iv) }
	d := openTestDaemon(t, cfg, at(0))
	s := d.sinks[0]
	runCycles(t, d, g, at(0), itOutageFrom)
	if err := s.replay(t.Context()); err != nil {
		t.Fatalf("replay with the engine up: %v", err)
	}
	proxy.stop()
	runCycles(t, d, g, at(itOutageFrom), itRestartAt-itOutageFrom)
	if err := s.replay(t.Context()); err == nil {
		t.Fatal("replay succeeded with the engine unreachable")
	}
	b1, _, _ := s.sp.Backlog()
	d.close() // restart qmonit in the middle of the outage
	d = openTestDaemon(t, cfg, at(itRestartAt))
	s = d.sinks[0]
	if b2, _, _ := s.sp.Backlog(); b2 != b1 || b1 == 0 {
		t.Fatalf("spool after restart holds %d batches, before %d (want the same, > 0)", b2, b1)
	}
	runCycles(t, d, g, at(itRestartAt), itOutageTo-itRestartAt)
	if err := s.replay(t.Context()); err == nil {
		t.Fatal("replay succeeded with the engine unreachable after the restart")
	}
	proxy.start()
	last := runCycles(t, d, g, at(itOutageTo), itCycles-itOutageTo)
	if err := s.replay(t.Context()); err != nil {
		t.Fatalf("replay after recovery: %v", err)
	}
	if n, bytes, _ := s.sp.Backlog(); n != 0 {
		t.Errorf("spool holds %d batches (%d bytes) after recovery, want none", n, bytes)
	}
	proxy.checkOrder(t, start, iv)
	return d, last
}

// itStart is an hour-aligned start recent enough for Prometheus' head
// (its out-of-order window is 24 h in scripts/services-start.sh).
func itStart() time.Time { return time.Now().UTC().Truncate(time.Hour).Add(-4 * time.Hour) }

// countSum is the number and the sum of one series' samples.
type countSum struct{ n, sum float64 }

func seriesID(m map[string]string) string {
	return m["panda_queue"] + "|" + m["prod_source"] + "|" + m["resource"] + "|" + m["job_status"]
}

// embeddedCounts counts each series of metric over (from, to] in qmonit's
// own store, with PromQL through its API.
func embeddedCounts(t *testing.T, d *daemon, metric string, window time.Duration, at time.Time) map[string]countSum {
	t.Helper()
	out := map[string]countSum{}
	w := promDuration(window)
	for _, fn := range []string{"count_over_time", "sum_over_time"} {
		for _, r := range apiQuery(t, d.handler(), fmt.Sprintf("%s(%s[%s])", fn, metricSelector(metric, ""), w), at) {
			addResult(t, out, fn, r["metric"], r["value"])
		}
	}
	return out
}

func metricSelector(metric, extra string) string {
	return fmt.Sprintf(`{__name__=%q%s}`, metric, extra)
}

func promDuration(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) + "s" }

func addResult(t *testing.T, out map[string]countSum, fn string, metric, value any) {
	t.Helper()
	ls := map[string]string{}
	if m, ok := metric.(map[string]any); ok {
		for k, v := range m {
			ls[k], _ = v.(string)
		}
	}
	pair, ok := value.([]any)
	if !ok || len(pair) != 2 {
		t.Fatalf("bad value %v", value)
	}
	s, _ := pair[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad value %v: %v", value, err)
	}
	id := seriesID(ls)
	cs := out[id]
	// A queue whose CRIC attributes change mid-run is two series with the
	// same identity; InfluxQL's GROUP BY merges them, so merge here too.
	if fn == "count_over_time" {
		cs.n += v
	} else {
		cs.sum += v
	}
	out[id] = cs
}

// compareCounts fails unless got has every series of want with the same
// count and sum, and nothing else.
// Series come and go in the simulator, so only the longest must have a
// sample in every cycle (wantMost; 0 skips that check).
func compareCounts(t *testing.T, what string, want, got map[string]countSum, wantMost float64) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the embedded store has no series", what)
	}
	var total, most float64
	bad := 0
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			bad++
			if bad <= 5 {
				t.Errorf("%s: series %s missing", what, id)
			}
		case g.n != w.n || math.Abs(g.sum-w.sum) > 1e-9*math.Max(1, math.Abs(w.sum)):
			bad++
			if bad <= 5 {
				t.Errorf("%s: series %s has %v samples summing to %v, the embedded store %v summing to %v", what, id, g.n, g.sum, w.n, w.sum)
			}
		}
		most = max(most, w.n)
		total += g.n
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			bad++
			if bad <= 5 {
				t.Errorf("%s: unexpected series %s", what, id)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d series differ", what, bad, len(want))
	}
	if wantMost > 0 && most != wantMost {
		t.Errorf("%s: the longest series has %v samples, want one per cycle (%v)", what, most, wantMost)
	}
	t.Logf("%s: %d series, %.0f samples, each exactly once with the embedded store's values", what, len(want), total)
}

func TestInfluxDBSinkExactlyOnceThroughOutageIntegration(t *testing.T) {
	base := os.Getenv("INFLUX_URL")
	if base == "" {
		t.Skip("INFLUX_URL not set: start InfluxDB with scripts/services-start.sh DIR influxdb and source DIR/services.env")
	}
	db := fmt.Sprintf("qmonit_sink_%d", time.Now().UnixNano())
	influxQuery(t, base, "", "CREATE DATABASE "+db)
	t.Cleanup(func() { influxQuery(t, base, "", "DROP DATABASE "+db) })
	for _, rp := range []string{"10m", "1h", "1d"} {
		influxQuery(t, base, "", fmt.Sprintf(`CREATE RETENTION POLICY %q ON %s DURATION INF REPLICATION 1`, rp, db))
	}
	raw := func(r *http.Request, body []byte) (time.Time, bool) {
		if r.URL.Query().Get("rp") != "10m" {
			return time.Time{}, false
		}
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				return time.Time{}, false
			}
			if body, err = io.ReadAll(zr); err != nil {
				return time.Time{}, false
			}
		}
		line, _, _ := bytes.Cut(body, []byte{'\n'})
		ns, err := strconv.ParseInt(string(line[bytes.LastIndexByte(line, ' ')+1:]), 10, 64)
		return time.Unix(0, ns).UTC(), err == nil
	}
	proxy := newFlakyProxy(t, base, raw)
	g, cfg := newDaemonEnv(t, itQueues, t.TempDir())
	in := &cfg.Sinks.InfluxDB
	in.Enabled, in.URL, in.Database, in.BatchSize = true, proxy.url(), db, 500
	start := itStart()
	d, last := runOutageScenario(t, cfg, g, proxy, start)
	defer d.close()
	iv := time.Duration(cfg.Interval)
	window := time.Duration(itCycles) * iv

	// Raw points, counted with InfluxQL.
	compareCounts(t, "influxdb raw", embeddedCounts(t, d, tsdb.MetricJobs, window, last),
		influxCounts(t, base, db, "10m", start, last), itCycles)
	// Rollups: the embedded store stamps a bucket at its end, InfluxDB at
	// its start, as the seed did.
	for _, r := range []struct {
		rp     string
		metric string
		size   time.Duration
	}{{"1h", tsdb.MetricJobs1h, time.Hour}} {
		want := embeddedCounts(t, d, r.metric, window, last)
		compareCounts(t, "influxdb rollups "+r.rp, want, influxCounts(t, base, db, r.rp, start.Add(-r.size), last.Add(-r.size)), 0)
	}
	// The datadisks measurement, hourly.
	res := influxQuery(t, base, db, `SELECT count("occupied_gb"), sum("running_avg1h") FROM "1h"."datadisks"`)
	if !strings.Contains(res, `"count"`) || strings.Contains(res, `[0,0,`) {
		t.Errorf("datadisks measurement: %s", res)
	}
	t.Logf("datadisks: %s", res)
}

// influxCounts counts and sums jobs per series in rp between from and to
// (inclusive), with InfluxQL.
func influxCounts(t *testing.T, base, db, rp string, from, to time.Time) map[string]countSum {
	t.Helper()
	q := fmt.Sprintf(`SELECT count("jobs"), sum("jobs") FROM %q."jobs" WHERE time >= '%s' AND time <= '%s' GROUP BY "panda_queue","prod_source","resource","job_status"`,
		rp, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	var resp struct {
		Results []struct {
			Series []struct {
				Tags   map[string]string `json:"tags"`
				Values [][]any           `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(influxQuery(t, base, db, q)), &resp); err != nil {
		t.Fatal(err)
	}
	out := map[string]countSum{}
	for _, r := range resp.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				n, _ := v[1].(float64)
				sum, _ := v[2].(float64)
				out[seriesID(s.Tags)] = countSum{n, sum}
			}
		}
	}
	return out
}

// remoteWriteRaw decodes a remote write body and returns the time of its
// first qmonit_jobs sample.
func remoteWriteRaw(_ *http.Request, body []byte) (time.Time, bool) {
	pb, err := snappy.Decode(nil, body)
	if err != nil {
		return time.Time{}, false
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(pb); err != nil || len(req.Timeseries) == 0 {
		return time.Time{}, false
	}
	ts := req.Timeseries[0]
	for _, l := range ts.Labels {
		if l.Name == "__name__" && l.Value == tsdb.MetricJobs && len(ts.Samples) > 0 && !math.IsNaN(ts.Samples[0].Value) {
			return time.UnixMilli(ts.Samples[0].Timestamp).UTC(), true
		}
	}
	return time.Time{}, false
}

func TestRemoteWriteExactlyOnceThroughOutageIntegration(t *testing.T) {
	for _, eng := range []struct {
		name, queryEnv, writeEnv string
		flush                    string
	}{
		{"victoriametrics", "VM_URL", "VM_REMOTE_WRITE_URL", "/internal/force_flush"},
		{"prometheus", "PROM_URL", "PROM_REMOTE_WRITE_URL", ""},
	} {
		t.Run(eng.name, func(t *testing.T) {
			qbase, wurl := os.Getenv(eng.queryEnv), os.Getenv(eng.writeEnv)
			if qbase == "" || wurl == "" {
				t.Skipf("%s and %s not set: start %s with scripts/services-start.sh DIR %s and source DIR/services.env",
					eng.queryEnv, eng.writeEnv, eng.name, eng.name)
			}
			wu, err := url.Parse(wurl)
			if err != nil {
				t.Fatal(err)
			}
			proxy := newFlakyProxy(t, wu.Scheme+"://"+wu.Host, remoteWriteRaw)
			g, cfg := newDaemonEnv(t, itQueues, t.TempDir())
			run := fmt.Sprintf("it%d", time.Now().UnixNano())
			rw := &cfg.Sinks.RemoteWrite
			rw.Enabled, rw.URL, rw.BatchSize, rw.ExternalLabels = true, proxy.url()+wu.Path, 500, "qmonit_test="+run
			start := itStart()
			d, last := runOutageScenario(t, cfg, g, proxy, start)
			defer d.close()
			if eng.flush != "" {
				if resp, err := http.Get(qbase + eng.flush); err == nil {
					resp.Body.Close()
				}
			}
			window := time.Duration(itCycles) * time.Duration(cfg.Interval)
			extra := fmt.Sprintf(`,qmonit_test=%q`, run)
			for _, m := range []struct {
				metric string
				each   float64
			}{{tsdb.MetricJobs, itCycles}, {tsdb.MetricJobs1h, 0}, {tsdb.MetricJobsSamples1h, 0}} {
				want := embeddedCounts(t, d, m.metric, window, last)
				got := promCounts(t, qbase, metricSelector(m.metric, extra), window, last)
				compareCounts(t, eng.name+" "+m.metric, want, got, m.each)
			}
			// Queue metadata arrived too, with the datadisk label.
			info := promCounts(t, qbase, metricSelector(tsdb.MetricQueueInfo, extra), window, last)
			if len(info) == 0 {
				t.Errorf("%s: no %s series", eng.name, tsdb.MetricQueueInfo)
			}
		})
	}
}

// promCounts counts and sums each series of sel over window at at, with
// the engine's PromQL (MetricsQL) API.
func promCounts(t *testing.T, base, sel string, window time.Duration, at time.Time) map[string]countSum {
	t.Helper()
	out := map[string]countSum{}
	for _, fn := range []string{"count_over_time", "sum_over_time"} {
		v := url.Values{"query": {fmt.Sprintf("%s(%s[%s])", fn, sel, promDuration(window))},
			"time": {strconv.FormatInt(at.Unix(), 10)}, "nocache": {"1"}}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?"+v.Encode(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var body struct {
			Status string `json:"status"`
			Data   struct {
				Result []map[string]any `json:"result"`
			} `json:"data"`
			Error string `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		cancel()
		if err != nil || body.Status != "success" {
			t.Fatalf("%s: %v %s", v.Get("query"), err, body.Error)
		}
		for _, r := range body.Data.Result {
			addResult(t, out, fn, r["metric"], r["value"])
		}
	}
	return out
}
