package derive

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

var benchEnd = time.Date(2025, 6, 30, 17, 40, 0, 0, time.UTC)

// benchKeys returns n series keys: queues × 25 (label, resource, status).
func benchKeys(n int) []Key {
	labels := []string{"managed", "user"}
	resources := []string{"SCORE", "MCORE", "SCORE_HIMEM"}
	states := []string{"running", "activated", "finished", "failed", "assigned"}
	keys := make([]Key, 0, n)
	for q := 0; len(keys) < n; q++ {
		for i := 0; i < 25 && len(keys) < n; i++ {
			keys = append(keys, Key{
				Queue: fmt.Sprintf("SITE_%04d_QUEUE", q), ProdSource: labels[i%2],
				Resource: resources[i%3], Status: states[i%5],
			})
		}
	}
	return keys
}

// loadedAverager returns an Averager holding 30 days of history for keys at
// end, fed the way a restart does: day and hour rollups and 24h of raw.
func loadedAverager(b *testing.B, iv time.Duration, keys []Key, end time.Time) *Averager {
	b.Helper()
	a := newTestAverager(b, iv)
	hour, day := BucketStart(end, Hour), BucketStart(end, Day)
	perHour, perDay := int(Hour/iv), int(Day/iv)
	for _, k := range keys {
		for d := day.Add(-29 * Day); d.Before(day); d = d.Add(Day) {
			if err := a.LoadBucket(k, Day, Bucket{Start: d, Sum: float64(10 * perDay), Samples: perDay}); err != nil {
				b.Fatal(err)
			}
		}
		for h := hour.Add(-167 * Hour); h.Before(hour); h = h.Add(Hour) {
			if err := a.LoadBucket(k, Hour, Bucket{Start: h, Sum: float64(10 * perHour), Samples: perHour}); err != nil {
				b.Fatal(err)
			}
		}
		for t := end.Add(-Day + iv); !t.After(end); t = t.Add(iv) {
			a.LoadRaw(k, t, 10)
		}
	}
	return a
}

func heapBytes() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// cycleSamples returns one cycle's samples: 95% of the keys, random counts.
func cycleSamples(rng *rand.Rand, keys []Key, dst []Sample) []Sample {
	dst = dst[:0]
	for _, k := range keys {
		if rng.IntN(20) != 0 {
			dst = append(dst, Sample{k, float64(rng.IntN(500))})
		}
	}
	return dst
}

// BenchmarkObserve25k is one cycle's update for 25,000 series with 30 days
// of history at the 10-minute interval. It also reports the memory held.
func BenchmarkObserve25k(b *testing.B) {
	keys := benchKeys(25000)
	before := heapBytes()
	a := loadedAverager(b, 10*time.Minute, keys, benchEnd)
	held := heapBytes() - before
	rng := rand.New(rand.NewPCG(1, 2))
	smp := make([]Sample, 0, len(keys))
	t := benchEnd
	cycles := 0
	b.ReportAllocs()
	for b.Loop() {
		t = t.Add(10 * time.Minute)
		smp = cycleSamples(rng, keys, smp)
		a.Observe(t, smp)
		cycles++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(cycles), "ms/cycle")
	b.ReportMetric(float64(held)/float64(len(keys)), "B/key")
	b.ReportMetric(float64(held)/1e6, "MB")
}

// BenchmarkCycle25k is a whole cycle for the Averager: Observe, then the
// six averages of every series, as the snapshot writer reads them. At 1m
// it runs 2,500 series (loading 30 days of 1m history for 25k takes long)
// and reports the time scaled to 25k.
func BenchmarkCycle25k(b *testing.B) {
	for _, iv := range []time.Duration{10 * time.Minute, time.Minute} {
		b.Run(iv.String(), func(b *testing.B) {
			keys := benchKeys(25000)
			if iv == time.Minute {
				keys = keys[:2500]
			}
			a := loadedAverager(b, iv, keys, benchEnd)
			rng := rand.New(rand.NewPCG(5, 6))
			smp := make([]Sample, 0, len(keys))
			t := benchEnd
			var sum float64
			cycles := 0
			b.ReportAllocs()
			for b.Loop() {
				t = t.Add(iv)
				smp = cycleSamples(rng, keys, smp)
				a.Observe(t, smp)
				for _, av := range a.All() {
					sum += av.Of[Window7d].Mean
				}
				cycles++
			}
			perSeries := float64(b.Elapsed().Nanoseconds()) / float64(cycles*len(keys))
			b.ReportMetric(perSeries, "ns/series")
			b.ReportMetric(perSeries*25000/1e6, "ms/cycle@25k")
			if sum == 0 {
				b.Fatal("no averages")
			}
		})
	}
}

// BenchmarkMemoryPerKey reports the Averager's memory per series at two
// intervals (the raw ring grows with 24h/interval).
func BenchmarkMemoryPerKey(b *testing.B) {
	for _, iv := range []time.Duration{10 * time.Minute, time.Minute} {
		b.Run(iv.String(), func(b *testing.B) {
			keys := benchKeys(2000)
			var held uint64
			for b.Loop() {
				before := heapBytes()
				a := loadedAverager(b, iv, keys, benchEnd)
				held = heapBytes() - before
				runtime.KeepAlive(a)
			}
			b.ReportMetric(float64(held)/float64(len(keys)), "B/key")
			b.ReportMetric(float64(held)/float64(len(keys))*25000/1e6, "MB/25k")
		})
	}
}

// BenchmarkRoller25k is one cycle of the Roller for 25,000 series, over a
// day of 10-minute cycles so the hour and day completions are included.
func BenchmarkRoller25k(b *testing.B) {
	keys := benchKeys(25000)
	r, err := NewRoller(Config{Interval: 10 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	before := heapBytes()
	smp := make([]Sample, 0, len(keys))
	t := benchEnd
	for range 3 * 144 { // fill the rings: 3 days
		t = t.Add(10 * time.Minute)
		r.Observe(t, cycleSamples(rng, keys, smp))
	}
	held := heapBytes() - before
	cycles, rollups := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		t = t.Add(10 * time.Minute)
		smp = cycleSamples(rng, keys, smp)
		rollups += len(r.Observe(t, smp).Rollups)
		cycles++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(cycles), "ms/cycle")
	b.ReportMetric(float64(held)/float64(len(keys)), "B/key")
	b.ReportMetric(float64(rollups)/float64(cycles), "rollups/cycle")
}
