package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// xss is a queue name that is an HTML payload, as the simulator has.
const xss = `<img src=x onerror=alert(1)>`

const testInterval = 10 * time.Minute

// fixtureQueue is one queue of the test store.
type fixtureQueue struct {
	name, cloud, site, prodSource, disk string
	running, activated                  int64 // per SCORE series
	mcoreRunning                        int64 // MCORE running jobs (corecount 8)
}

var fixtureQueues = []fixtureQueue{
	{name: "CERN-PROD", cloud: "CERN", site: "CERN-PROD", prodSource: "managed", disk: "CERN-PROD_DATADISK", running: 100, activated: 10, mcoreRunning: 5},
	{name: xss, cloud: "DE", site: "BOINC", prodSource: "managed", disk: "", running: 7, activated: 1},
	{name: "ANALY_X", cloud: "FR", site: "IN2P3-CC", prodSource: "user", disk: "IN2P3-CC_DATADISK", running: 40, activated: 4},
}

// fixture is a store holding three hours of cycles of fixtureQueues, and
// a UI over it.
type fixture struct {
	ui    *UI
	mux   *http.ServeMux
	last  time.Time // the newest cycle
	store *tsdb.Store
}

// fakeBackend is a Backend with fixed answers.
type fakeBackend struct {
	status Status
	snap   *Snapshot
}

func (f *fakeBackend) Status() Status      { return f.status }
func (f *fakeBackend) Snapshot() *Snapshot { return f.snap }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := tsdb.Open(t.TempDir(), tsdb.Options{Interval: testInterval}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	last := time.Now().UTC().Truncate(testInterval)
	for i := 18; i >= 0; i-- {
		at := last.Add(-time.Duration(i) * testInterval)
		if err := s.AppendPoints(t.Context(), fixturePoints(at)); err != nil {
			t.Fatalf("append points: %v", err)
		}
		if err := s.Append(t.Context(), fixtureSamples(at)); err != nil {
			t.Fatalf("append samples: %v", err)
		}
	}
	snap := &Snapshot{Time: last, Rows: []SeriesRow{
		{Queue: "CERN-PROD", ProdSource: "managed", Resource: "SCORE", Status: "activated", Cloud: "CERN", Site: "CERN-PROD", SiteState: "online",
			Current: 900, Present: true, Avg: [NumWindows]Average{3: {Mean: 100, Samples: 144, Coverage: 1}}},
		{Queue: xss, ProdSource: "managed", Resource: "SCORE", Status: "running", Cloud: "DE", Site: "BOINC", SiteState: "test",
			Current: 7, Present: true, Avg: [NumWindows]Average{3: {Mean: 7, Samples: 144, Coverage: 1}}},
	}}
	SortRows(snap.Rows)
	b := &fakeBackend{status: Status{LastGoodCycle: last, LastCycle: last, Sources: []SourceStatus{{Name: "panda", Up: true, LastSuccess: last}}}, snap: snap}
	ui, err := New(b, s.Queryable(), s.Engine(), Options{Interval: testInterval, Now: func() time.Time { return last.Add(time.Minute) }},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	return &fixture{ui: ui, mux: mux, last: last, store: s}
}

func fixturePoints(at time.Time) []point.Point {
	var pts []point.Point
	for _, q := range fixtureQueues {
		a := &point.Attrs{}
		for i := range a {
			a[i] = point.NoValue
		}
		a[point.Cloud], a[point.AtlasSite], a[point.SiteState], a[point.Tier] = q.cloud, q.site, "online", "T1"
		add := func(res, state string, n int64) {
			pts = append(pts, point.Point{Time: at, Queue: q.name, ProdSource: q.prodSource, Resource: res, Status: state, Attrs: a, Jobs: n})
		}
		add("SCORE", "running", q.running)
		add("SCORE", "activated", q.activated)
		add("SCORE", "finished", 3)
		add("SCORE", "failed", 1)
		if q.mcoreRunning > 0 {
			add("MCORE", "running", q.mcoreRunning)
		}
	}
	return pts
}

func fixtureSamples(at time.Time) []tsdb.Sample {
	var out []tsdb.Sample
	for _, q := range fixtureQueues {
		ql := tsdb.Label{Name: "panda_queue", Value: q.name}
		out = append(out, tsdb.Sample{Name: tsdb.MetricQueueInfo, T: at, V: 1, Labels: []tsdb.Label{ql,
			{Name: "cloud", Value: q.cloud}, {Name: "atlas_site", Value: q.site}, {Name: "datadisk", Value: q.disk}}})
		if q.mcoreRunning > 0 {
			out = append(out, tsdb.Sample{Name: tsdb.MetricQueueCorecount, T: at, V: 8, Labels: []tsdb.Label{ql}})
		}
	}
	for rse, gb := range map[string]float64{"CERN-PROD_DATADISK": 3000, "IN2P3-CC_DATADISK": 1000} {
		l := []tsdb.Label{{Name: "rse", Value: rse}}
		out = append(out, tsdb.Sample{Name: tsdb.MetricDatadiskBytes, T: at, V: gb * 1e9, Labels: l},
			tsdb.Sample{Name: tsdb.MetricDatadiskFiles, T: at, V: gb, Labels: l})
	}
	return out
}

// get serves one request and returns the recorder.
func (f *fixture) get(t *testing.T, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, req)
	return rec
}

// api fetches an API path and decodes its data into out, failing unless
// the answer has the wanted code.
func (f *fixture) api(t *testing.T, target string, wantCode int, out any) envelopeIn {
	t.Helper()
	rec := f.get(t, target)
	if rec.Code != wantCode {
		t.Fatalf("GET %s: %d, want %d: %s", target, rec.Code, wantCode, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", target, ct)
	}
	checkSecurityHeaders(t, target, rec.Header())
	var env envelopeIn
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("GET %s: decode: %v", target, err)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			t.Fatalf("GET %s: decode data: %v", target, err)
		}
	}
	return env
}

type envelopeIn struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self';") ||
		strings.Contains(csp, "unsafe") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no X-Content-Type-Options: nosniff", what)
	}
}
