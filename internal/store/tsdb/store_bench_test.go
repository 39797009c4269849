package tsdb

import (
	"iter"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
)

// benchQueues × 25 series = 25,000 series, the size of the ATLAS grid.
const benchQueues = 1000

// rollups returns the qmonit_jobs:1h samples of hour h (one per series),
// reusing dst and label slices built once.
func (g *grid) rollups(h int, labels [][]Label, dst []Sample) []Sample {
	dst = dst[:0]
	t := base.Add(time.Duration(h) * time.Hour)
	for i, ls := range labels {
		dst = append(dst, Sample{Name: MetricJobs1h, Labels: ls, T: t, V: float64(jobs(i/25, i%25, h))})
	}
	return dst
}

func (g *grid) seriesLabels() [][]Label {
	var out [][]Label
	for _, p := range g.cycle(0) {
		var ls []Label
		for _, tag := range p.Tags() {
			ls = append(ls, Label{tag.Key, tag.Value})
		}
		out = append(out, ls)
	}
	return out
}

// BenchmarkAppendCycle appends one 25,000-point cycle to a store whose head
// already holds a day of cycles. Target: < 100 ms/cycle.
func BenchmarkAppendCycle(b *testing.B) {
	s := openTest(b, b.TempDir())
	g := newGrid(benchQueues)
	appendCycles(b, s, g, 0, day)
	b.ReportAllocs()
	c := day
	for b.Loop() {
		if err := s.AppendPoints(b.Context(), g.cycle(c)); err != nil {
			b.Fatal(err)
		}
		c++
	}
	n := c - day
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(n), "ms/cycle")
	b.ReportMetric(float64(n*benchQueues*25)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkBackfill1d is the small variant of BenchmarkBackfill7d (one day,
// 3.6 M samples); it runs under -short.
func BenchmarkBackfill1d(b *testing.B) { benchBackfill(b, 1) }

// BenchmarkBackfill7d backfills 7 days × 144 cycles × 25,000 series (25.2 M
// samples) into an empty store. Target: < 60 s. Skipped under -short.
func BenchmarkBackfill7d(b *testing.B) {
	if testing.Short() {
		b.Skip("7 days of 25,000 series; run without -short, or see BenchmarkBackfill1d")
	}
	benchBackfill(b, 7)
}

func benchBackfill(b *testing.B, days int) {
	g := newGrid(benchQueues)
	var samples, blockBytes int64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(b.TempDir(), Options{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.Backfill(b.Context(), days*day, g.cycles(-days*day, 0), nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for _, blk := range s.db.Blocks() {
			blockBytes += blk.Size()
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		samples += int64(days * day * benchQueues * 25)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/backfill")
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(blockBytes)/float64(samples), "B/sample")
}

// BenchmarkQuerySumByCloud24h runs the Jobs page's query over the last 24 h
// of raw cycles (in the head) at a 10-minute step. Target: < 500 ms.
func BenchmarkQuerySumByCloud24h(b *testing.B) {
	s := openTest(b, b.TempDir())
	g := newGrid(benchQueues)
	appendCycles(b, s, g, 0, day+1)
	benchQuery(b, s, nil, `sum by (cloud) (qmonit_jobs{job_status="running"})`, at(0), at(day), 10*time.Minute)
}

// BenchmarkQuerySumByCloud30dRollup runs it over 30 days of hourly rollups
// at a 1-hour step, with RollupQueryOpts. Target: < 1 s. "compacted" is the steady state (the
// store compacts day blocks to 3, 9 and 27 days in the background);
// "day-blocks" is right after a Backfill, 31 blocks to merge per series.
func BenchmarkQuerySumByCloud30dRollup(b *testing.B) {
	for _, compact := range []bool{true, false} {
		name := map[bool]string{true: "compacted", false: "day-blocks"}[compact]
		b.Run(name, func(b *testing.B) {
			s := openTest(b, b.TempDir())
			g := newGrid(benchQueues)
			labels := g.seriesLabels()
			const hours = 30 * 24
			cycles := func(yield func(Cycle, error) bool) {
				var buf []Sample
				for h := -hours; h <= 0; h++ {
					buf = g.rollups(h, labels, buf)
					if !yield(Cycle{Samples: buf}, nil) {
						return
					}
				}
			}
			if err := s.Backfill(b.Context(), 0, iter.Seq2[Cycle, error](cycles), nil); err != nil {
				b.Fatal(err)
			}
			if compact {
				start := time.Now()
				if err := s.db.Compact(b.Context()); err != nil {
					b.Fatal(err)
				}
				b.Logf("compaction of %d samples took %s, %d blocks left", 721*25000, time.Since(start), len(s.db.Blocks()))
			}
			start := base.Add(-hours * time.Hour)
			benchQuery(b, s, RollupQueryOpts(time.Hour), `sum by (cloud) (qmonit_jobs:1h{job_status="running"})`, start, base, time.Hour)
		})
	}
}

func benchQuery(b *testing.B, s *Store, opts promql.QueryOpts, q string, start, end time.Time, step time.Duration) {
	b.ReportAllocs()
	var points int
	for b.Loop() {
		m := rangeQueryOpts(b, s, opts, q, start, end, step)
		if len(m) != len(clouds) {
			b.Fatalf("%d series; want %d", len(m), len(clouds))
		}
		for _, series := range m {
			points += len(series.Floats)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/query")
	b.ReportMetric(float64(points)/float64(b.N), "points/query")
}

// BenchmarkReplaceHour re-rolls one hourly bucket of all 25,000 series (what
// late data costs) in a store holding a day of hourly rollups.
func BenchmarkReplaceHour(b *testing.B) {
	s := openTest(b, b.TempDir())
	g := newGrid(benchQueues)
	labels := g.seriesLabels()
	var buf []Sample
	for h := range 24 {
		if err := s.Append(b.Context(), g.rollups(h, labels, buf)); err != nil {
			b.Fatal(err)
		}
	}
	buf = g.rollups(23, labels, buf)
	b.ReportAllocs()
	for b.Loop() {
		for i := range buf {
			buf[i].V++
		}
		if err := s.Replace(b.Context(), buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/replace")
}
