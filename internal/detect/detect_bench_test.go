package detect

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// benchGrid builds n series: n/4 queues over 12 clouds, 4 states each.
func benchGrid(n int) []Observation {
	states := Default().States
	obs := make([]Observation, 0, n)
	for q := 0; len(obs) < n; q++ {
		a := attrs(fmt.Sprintf("C%d", q%12), fmt.Sprintf("S%d", q%600), "online")
		for _, st := range states {
			if len(obs) == n {
				break
			}
			obs = append(obs, ob(fmt.Sprintf("Q%05d", q), st, 0, a))
		}
	}
	return obs
}

// fill sets noisy values around a per-series level; a few series drain.
func fill(obs []Observation, r *rand.Rand, cycle int) {
	for i := range obs {
		level := float64(20 + (i*37)%500)
		v := level + float64(r.IntN(11)-5)
		if i%997 == 0 && cycle%200 > 150 {
			v = 0
		}
		obs[i].Value = v
	}
}

// BenchmarkObserve times one cycle of the detector at the default grid's
// size (25,000 watched series) and a smaller one, with the trailing window
// and the seasonal baseline, once every series has a full ring, and reports
// the heap held per series (B/series). The trailing rings are filled by
// observing a window of cycles; the seasonal ones (a week) are written
// directly after the first cycle, which would otherwise take minutes.
func BenchmarkObserve(b *testing.B) {
	for _, tt := range []struct {
		n        int
		seasonal bool
	}{{1000, false}, {25000, false}, {1000, true}, {25000, true}} {
		name := fmt.Sprintf("%dk-series", tt.n/1000)
		if tt.seasonal {
			name += "-seasonal"
		}
		b.Run(name, func(b *testing.B) {
			cfg := Default()
			cfg.Seasonal = tt.seasonal
			obs := benchGrid(tt.n)
			r := rand.New(rand.NewPCG(1, 2))
			heap := heapInUse()
			d, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			cycle := 0
			step := func() Report {
				fill(obs, r, cycle)
				rep := d.Observe(t0.Add(time.Duration(cycle)*10*time.Minute), obs)
				cycle++
				return rep
			}
			if tt.seasonal {
				step()
				prefill(d, obs, r, int64(d.slots))
				cycle = d.slots
			} else {
				for range d.slots { // a full window of history first
					step()
				}
			}
			perSeries := float64(heapInUse()-heap) / float64(len(d.series))
			warm := cycle
			b.ReportAllocs()
			b.ResetTimer()
			var open int
			for b.Loop() {
				open += len(step().Open)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(cycle-warm), "ms/cycle")
			b.ReportMetric(float64(open)/float64(cycle-warm), "open/cycle")
			b.ReportMetric(perSeries, "B/series")
		})
	}
}

// prefill writes noisy values into every series' ring for the cycles
// after the first, up to ring-1, as if observed.
func prefill(d *Detector, obs []Observation, r *rand.Rand, ring int64) {
	first := d.cycle
	for i := range obs {
		s := d.series[obs[i].Key]
		level := float64(20 + (i*37)%500)
		for c := first + 1; c < first+ring; c++ {
			s.put(c, level+float64(r.IntN(11)-5))
		}
		s.touched = s.last
	}
	d.cycle = first + ring - 1
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
