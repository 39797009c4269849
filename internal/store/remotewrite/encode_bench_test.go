package remotewrite

import (
	"testing"
	"time"
)

// BenchmarkEncodePoints encodes one full cycle (25,000 points) into
// remote write batches of the default size.
func BenchmarkEncodePoints(b *testing.B) {
	const n = 25000
	s, err := New(Options{URL: "http://127.0.0.1:1/api/v1/write"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	pts := synthPoints(n, time.Now(), "bench")
	bytes := 0
	for _, batch := range s.EncodePoints(pts) {
		bytes += len(batch)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.EncodePoints(pts)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(bytes)/n, "bytes/sample")
}
