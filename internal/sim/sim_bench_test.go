package sim

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(Options{})
	}
}

func BenchmarkStats(b *testing.B) {
	for _, window := range []int{10, 720, 10080} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			g := newTestGrid(b, Options{})
			at := testTime()
			entries := 0
			b.ReportAllocs()
			for b.Loop() {
				a := g.Stats(at, window)
				for _, byLabel := range a {
					for _, byRes := range byLabel {
						for _, states := range byRes {
							entries += len(states)
						}
					}
				}
				at = at.Add(10 * time.Minute) // a new cycle each round
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/answer")
			b.ReportMetric(float64(entries)/float64(b.N), "entries/answer")
		})
	}
}

func BenchmarkPandaV1Handler(b *testing.B) {
	for _, accept := range []string{"application/json", ""} {
		name := "json"
		if accept == "" {
			name = "repr"
		}
		b.Run(name, func(b *testing.B) {
			g := newTestGrid(b, Options{})
			h := g.Handler()
			at := testTime()
			var bytes int64
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", PathPandaV1+"?time_window=10&at="+at.Format(time.RFC3339), nil)
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
				bytes += int64(rec.Body.Len())
				at = at.Add(10 * time.Minute)
			}
			b.SetBytes(bytes / int64(b.N))
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/answer")
		})
	}
}

func BenchmarkPandaQueueDump(b *testing.B) {
	g := newTestGrid(b, Options{})
	h := g.Handler()
	at := testTime()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", PathPandaQueue+"?json&at="+at.Format(time.RFC3339), nil))
		at = at.Add(10 * time.Minute)
	}
}
