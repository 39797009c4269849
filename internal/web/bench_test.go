package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// benchGrid sizes the benchmark store like the demo's default grid: 1,000
// queues of ~25 series each (25,000 series), one sample per 10 minutes.
const (
	benchQueues      = 1000
	benchPerQueue    = 25
	benchClouds      = 12
	benchSitesPerCld = 10
)

var benchStates = []string{"activated", "assigned", "running", "starting", "holding", "transferring", "finished", "failed", "cancelled", "closed",
	"defined", "waiting", "sent", "merging", "pending", "throttled"}

// openBenchStore writes hours of cycles of the benchmark grid.
func openBenchStore(b *testing.B, hours int) (*tsdb.Store, time.Time) {
	b.Helper()
	s, err := tsdb.Open(b.TempDir(), tsdb.Options{Interval: testInterval}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	last := time.Now().UTC().Truncate(testInterval)
	attrs := make([]*point.Attrs, benchQueues)
	for q := range attrs {
		a := &point.Attrs{}
		for i := range a {
			a[i] = point.NoValue
		}
		a[point.Cloud] = fmt.Sprintf("C%02d", q%benchClouds)
		a[point.AtlasSite] = fmt.Sprintf("S%03d", q%(benchClouds*benchSitesPerCld))
		a[point.Tier], a[point.Type], a[point.SiteState] = "T2", "production", "online"
		attrs[q] = a
	}
	n := hours * int(time.Hour/testInterval)
	pts := make([]point.Point, 0, benchQueues*benchPerQueue)
	for c := n; c >= 0; c-- {
		at := last.Add(-time.Duration(c) * testInterval)
		pts = pts[:0]
		for q := range benchQueues {
			for i := range benchPerQueue {
				res := []string{"SCORE", "MCORE"}[i/len(benchStates)%2]
				pts = append(pts, point.Point{Time: at, Queue: fmt.Sprintf("Q%04d", q), ProdSource: []string{"managed", "user"}[i%2],
					Resource: res, Status: benchStates[i%len(benchStates)], Attrs: attrs[q], Jobs: int64((q+i+c)%97 + 1)})
			}
		}
		if err := s.AppendPoints(b.Context(), pts); err != nil {
			b.Fatal(err)
		}
	}
	return s, last
}

// BenchmarkAPIJobs serves /api/qmonit/v1/jobs over the benchmark grid
// (25,000 series, 24 h of raw samples) for the default view and a
// filtered one.
//
//	go test -run '^$' -bench APIJobs -benchtime 5x ./internal/web/
func BenchmarkAPIJobs(b *testing.B) {
	s, last := openBenchStore(b, 24)
	ui, err := New(&fakeBackend{}, s.Queryable(), s.Engine(), Options{Interval: testInterval, Now: func() time.Time { return last }},
		slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	for _, q := range []string{"range=24h", "range=6h", "range=24h&group=queue", "range=24h&cloud=C01&cloud=C02&group=site"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/api/qmonit/v1/jobs?"+q, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%d: %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/answer")
		})
	}
}
