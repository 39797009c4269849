package tsdb

import (
	"bytes"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"

	"github.com/qmonit/qmonit/internal/point"
)

// base is the synthetic time origin of the tests: a day boundary.
var base = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

var (
	clouds   = []string{"CA", "CERN", "DE", "ES", "FR", "IT", "ND", "NL", "RU", "TW", "UK", "US"}
	statuses = []string{"running", "activated", "finished", "failed", "starting"}
	combos   = [][2]string{{"managed", "SCORE"}, {"managed", "MCORE"}, {"user", "SCORE"}, {"user", "MCORE"}, {"managed", "SCORE_HIMEM"}}
)

// grid is a synthetic grid: queues × 25 series (5 prod_source/resource
// combinations × 5 states), queue i in cloud i mod 12.
type grid struct {
	names []string
	attrs []*point.Attrs
	buf   []point.Point
}

func newGrid(queues int) *grid {
	g := &grid{}
	for i := range queues {
		g.names = append(g.names, fmt.Sprintf("Q%04d_%s", i, clouds[i%len(clouds)]))
		a := &point.Attrs{}
		for j := range a {
			a[j] = point.NoValue
		}
		a[point.Cloud] = clouds[i%len(clouds)]
		a[point.AtlasSite] = fmt.Sprintf("SITE%03d", i/8)
		a[point.Type] = "production"
		a[point.Tier] = fmt.Sprint(i % 3)
		g.attrs = append(g.attrs, a)
	}
	return g
}

// jobs is the deterministic job count of one series in cycle c.
func jobs(q, s, c int) int64 { return int64((q*7+s*3+c*11)%97 + s) }

// cycle returns the points of cycle c at base + c × 10m. The slice is reused
// by the next call.
func (g *grid) cycle(c int) []point.Point {
	t := base.Add(time.Duration(c) * 10 * time.Minute)
	g.buf = g.buf[:0]
	for q, name := range g.names {
		for s := range len(combos) * len(statuses) {
			cb, st := combos[s/len(statuses)], statuses[s%len(statuses)]
			g.buf = append(g.buf, point.Point{
				Time: t, Queue: name, ProdSource: cb[0], Resource: cb[1], Status: st,
				Attrs: g.attrs[q], Jobs: jobs(q, s, c),
			})
		}
	}
	return g.buf
}

// running returns sum by (cloud) of running jobs in cycle c.
func (g *grid) running(c int) map[string]float64 {
	out := make(map[string]float64)
	for _, p := range g.cycle(c) {
		if p.Status == "running" {
			out[p.Attrs[point.Cloud]] += float64(p.Jobs)
		}
	}
	return out
}

// cycles yields cycles from..to-1 for Backfill.
func (g *grid) cycles(from, to int) iter.Seq2[Cycle, error] {
	return func(yield func(Cycle, error) bool) {
		for c := from; c < to; c++ {
			if !yield(Cycle{Points: g.cycle(c)}, nil) {
				return
			}
		}
	}
}

// jobsSample is p as a generic qmonit_jobs sample with value v.
func jobsSample(p point.Point, v float64) Sample {
	sm := Sample{Name: MetricJobs, T: p.Time, V: v}
	for _, tag := range p.Tags() {
		sm.Labels = append(sm.Labels, Label{tag.Key, tag.Value})
	}
	return sm
}

func at(c int) time.Time { return base.Add(time.Duration(c) * 10 * time.Minute) }

func openTest(tb testing.TB, dir string) *Store {
	tb.Helper()
	s, err := Open(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatalf("Open(%q) = %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close() = %v", err)
		}
	})
	return s
}

func appendCycles(tb testing.TB, s *Store, g *grid, from, to int) {
	tb.Helper()
	for c := from; c < to; c++ {
		if err := s.AppendPoints(tb.Context(), g.cycle(c)); err != nil {
			tb.Fatalf("AppendPoints(cycle %d) = %v", c, err)
		}
	}
}

func instant(tb testing.TB, s *Store, q string, ts time.Time) promql.Vector {
	tb.Helper()
	qry, err := s.Engine().NewInstantQuery(tb.Context(), s.Queryable(), nil, q, ts)
	if err != nil {
		tb.Fatalf("NewInstantQuery(%q) = %v", q, err)
	}
	defer qry.Close()
	res := qry.Exec(tb.Context())
	v, err := res.Vector()
	if err != nil {
		tb.Fatalf("instant %q at %s = %v", q, ts, err)
	}
	return v
}

func rangeQuery(tb testing.TB, s *Store, q string, start, end time.Time, step time.Duration) promql.Matrix {
	tb.Helper()
	return rangeQueryOpts(tb, s, nil, q, start, end, step)
}

func rangeQueryOpts(tb testing.TB, s *Store, opts promql.QueryOpts, q string, start, end time.Time, step time.Duration) promql.Matrix {
	tb.Helper()
	qry, err := s.Engine().NewRangeQuery(tb.Context(), s.Queryable(), opts, q, start, end, step)
	if err != nil {
		tb.Fatalf("NewRangeQuery(%q) = %v", q, err)
	}
	defer qry.Close()
	m, err := qry.Exec(tb.Context()).Matrix()
	if err != nil {
		tb.Fatalf("range %q = %v", q, err)
	}
	return m
}

// byLabel maps the value of label name to the sample value.
func byLabel(v promql.Vector, name string) map[string]float64 {
	out := make(map[string]float64)
	for _, s := range v {
		out[s.Metric.Get(name)] = s.F
	}
	return out
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
