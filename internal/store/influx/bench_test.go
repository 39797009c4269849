package influx

import (
	"testing"
)

func BenchmarkEncode(b *testing.B) {
	pts := synthPoints(25000, t0)
	s, err := New(Options{URL: "http://x", Database: "db"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var n, bytes int
	for b.Loop() {
		for _, batch := range s.Encode(pts) {
			bytes += len(batch)
		}
		n += len(pts)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(bytes)/float64(n), "B/point")
}

func BenchmarkGzip(b *testing.B) {
	s, err := New(Options{URL: "http://x", Database: "db"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	batch := s.Encode(synthPoints(DefaultBatchSize, t0))[0]
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	var n, out int
	for b.Loop() {
		z, err := compress(batch)
		if err != nil {
			b.Fatal(err)
		}
		n += DefaultBatchSize
		out += len(z)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(out)/float64(n), "gzipB/point")
}
