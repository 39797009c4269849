package detect

import (
	"fmt"
	"math/rand/v2"
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

func BenchmarkObserve(b *testing.B) {
	for _, n := range []int{1000, 25000} {
		b.Run(fmt.Sprintf("%dk-series", n/1000), func(b *testing.B) {
			d, err := New(Default())
			if err != nil {
				b.Fatal(err)
			}
			obs := benchGrid(n)
			r := rand.New(rand.NewPCG(1, 2))
			cycle := 0
			step := func() Report {
				fill(obs, r, cycle)
				rep := d.Observe(t0.Add(time.Duration(cycle)*10*time.Minute), obs)
				cycle++
				return rep
			}
			for range d.slots { // a full window of history first
				step()
			}
			b.ReportAllocs()
			b.ResetTimer()
			var open int
			for b.Loop() {
				open += len(step().Open)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(cycle-d.slots), "ms/cycle")
			b.ReportMetric(float64(open)/float64(cycle-d.slots), "open/cycle")
		})
	}
}
