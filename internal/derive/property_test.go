package derive

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// propertyRuns is the number of random 40-day runs, each with 2-4 series
// and every cycle checked; fewer under the race detector, which makes them
// about ten times slower (20 runs take about 10 s there).
var propertyRuns = map[bool]int{false: 100, true: 20}[raceEnabled]

// fenwick sums integer values and counts per cycle index, exactly.
type fenwick struct{ sum, n []int64 }

func newFenwick(size int) *fenwick {
	return &fenwick{sum: make([]int64, size+1), n: make([]int64, size+1)}
}

func (f *fenwick) add(i int, v int64) {
	for i++; i < len(f.sum); i += i & -i {
		f.sum[i] += v
		f.n[i]++
	}
}

// prefix sums indices [0, i].
func (f *fenwick) prefix(i int) (s, n int64) {
	for i = min(i+1, len(f.sum)-1); i > 0; i -= i & -i {
		s += f.sum[i]
		n += f.n[i]
	}
	return s, n
}

// sim is one random run: cycle c is at start + c*iv; series k has a sample
// at c when present[k][c], of value val[k][c].
type sim struct {
	iv         time.Duration
	start      time.Time
	cycles     int
	fractional bool // values are not integers: check by direct sums only
	keys       []Key
	present    [][]bool
	val        [][]float64
	missing    []int8 // 0 live, 1 not observed at all, 2 observed with no sample
	delay      []int  // cycles this cycle's delivery is late by
	buf        []Sample
}

// simOpts shape a run.
type simOpts struct {
	days       int
	maxDelay   time.Duration // the latest a cycle may arrive
	keys       int           // 0: 2-4
	fractional bool
}

func newSim(rng *rand.Rand, iv time.Duration, o simOpts) *sim {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(365 * Day))))
	s := &sim{iv: iv, start: BucketStart(base, iv), cycles: int(time.Duration(o.days) * Day / iv), fractional: o.fractional}
	maxDelay := o.maxDelay
	s.missing, s.delay = make([]int8, s.cycles), make([]int, s.cycles)
	for c := range s.cycles {
		switch p := rng.Float64(); {
		case p < 0.01:
			s.missing[c] = 1
		case p < 0.02:
			s.missing[c] = 2
		case p < 0.05:
			s.delay[c] = 1 + rng.IntN(max(1, int(min(30*Hour, maxDelay)/iv))) // mostly inside the raw day
		case p < 0.055:
			s.delay[c] = 1 + rng.IntN(int(maxDelay/iv))
		}
	}
	if o.keys == 0 {
		o.keys = 2 + rng.IntN(3)
	}
	for k := range o.keys {
		s.keys = append(s.keys, Key{Queue: fmt.Sprintf("Q%d", k), ProdSource: "managed", Resource: "SCORE", Status: []string{"running", "finished"}[k%2]})
		s.addSeries(rng)
	}
	return s
}

// addSeries draws an on/off gap process and values, 15% of them zero.
// Integer values are mostly below 5000 with a few large ones; fractional
// ones switch between magnitudes 1e9 and 1e-3, so a window holding small
// values follows one that held huge ones.
func (s *sim) addSeries(rng *rand.Rand) {
	pres, vals := make([]bool, s.cycles), make([]float64, s.cycles)
	pOff, pOn := 0.002+rng.Float64()*0.05, 0.01+rng.Float64()*0.5
	on := rng.IntN(2) == 0
	scale := 1.0
	for c := range s.cycles {
		if on && rng.Float64() < pOff || !on && rng.Float64() < pOn {
			on = !on
		}
		pres[c] = on
		if rng.Float64() < 0.01 {
			scale = []float64{1e9, 1, 1e-3, 0.37}[rng.IntN(4)]
		}
		switch p := rng.Float64(); {
		case p < 0.15:
		case s.fractional:
			vals[c] = scale * rng.Float64()
		case p < 0.17:
			vals[c] = float64(rng.Int64N(2_000_000))
		default:
			vals[c] = float64(rng.Int64N(5000))
		}
	}
	s.present, s.val = append(s.present, pres), append(s.val, vals)
}

func (s *sim) time(c int) time.Time { return s.start.Add(time.Duration(c) * s.iv) }

func (s *sim) samples(c int) []Sample {
	out := s.buf[:0]
	for k, key := range s.keys {
		if s.present[k][c] {
			out = append(out, Sample{key, s.val[k][c]})
		}
	}
	s.buf = out
	return out
}

// bruteWindow returns the closed cycle-index range of window w at now
// (Unix ns), straight from the definitions.
func (s *sim) bruteWindow(now int64, w Window) (lo, hi int) {
	var from int64 // inclusive
	switch w {
	case Window7d:
		from = now - now%hourNs - 7*dayNs + hourNs
	case Window30d:
		from = now - now%dayNs - 30*dayNs + dayNs
	default:
		from = now - int64(w.Duration()) + 1
	}
	start, iv := s.start.UnixNano(), int64(s.iv)
	hi = int((now - start) / iv)
	d := from - start
	lo = int(d / iv) // truncates towards zero: the ceiling when d < 0
	if d%iv > 0 {
		lo++
	}
	return lo, hi
}

func closeTo(got, want float64) bool {
	return got == want || math.Abs(got-want) <= 1e-9*math.Max(math.Abs(got), math.Abs(want))
}

// delivered tracks what the Averager has been given, per series.
type delivered struct {
	fw   []*fenwick
	has  [][]bool
	now  int64 // Unix ns
	seen bool
}

// play walks the cycles in delivery order: deliver(c) for each cycle that
// reaches the caller (a late one at the step it arrives), empty(c) for a
// good answer without these series, then step(c) at the end of step c.
func (s *sim) play(deliver, empty, step func(c int)) {
	late := map[int][]int{}
	for c := range s.cycles {
		for _, old := range late[c] {
			deliver(old)
		}
		delete(late, c)
		switch {
		case s.delay[c] > 0:
			late[c+s.delay[c]] = append(late[c+s.delay[c]], c)
		case s.missing[c] == 1:
		case s.missing[c] == 2:
			empty(c)
		default:
			deliver(c)
		}
		step(c)
	}
}

func runProperty(t *testing.T, seed uint64, iv time.Duration, o simOpts) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	s := newSim(rng, iv, o)
	a := newTestAverager(t, s.iv)
	d := &delivered{}
	for range s.keys {
		d.fw = append(d.fw, newFenwick(s.cycles))
		d.has = append(d.has, make([]bool, s.cycles))
	}
	advance := func(c int) {
		if tn := s.time(c).UnixNano(); !d.seen || tn > d.now {
			d.now, d.seen = tn, true
		}
	}
	directAt := map[int]bool{rng.IntN(s.cycles): true, s.cycles - 1: true}
	s.play(func(c int) {
		a.Observe(s.time(c), s.samples(c))
		for k := range s.keys {
			if s.present[k][c] {
				d.fw[k].add(c, int64(s.val[k][c])) // exact for the integer runs
				d.has[k][c] = true
			}
		}
		advance(c)
	}, func(c int) {
		a.Observe(s.time(c), nil)
		advance(c)
	}, func(c int) {
		if d.seen && !s.check(t, a, d, directAt[c]) {
			t.Fatalf("iv %v, cycle %d (%v): mismatch", s.iv, c, s.time(c))
		}
	})
}

// check compares every series' six averages with the brute force at d.now.
func (s *sim) check(t *testing.T, a *Averager, d *delivered, direct bool) bool {
	t.Helper()
	ok := true
	for k, key := range s.keys {
		av, found := a.Averages(key)
		for w := range NumWindows {
			lo, hi := s.bruteWindow(d.now, w)
			sum, n := s.bruteSum(t, d, k, lo, hi, direct)
			want := Average{Samples: n, Expected: hi - lo + 1}
			if n > 0 {
				want.Mean = float64(sum) / float64(n)
			}
			want.Coverage = float64(n) / float64(want.Expected)
			got := av.Of[w]
			if !found { // ok=false: no sample in any window
				if n > 0 {
					t.Errorf("%v %v at %v: not found, want %+v", key.Queue, w, unixTime(d.now), want)
					ok = false
				}
				continue
			}
			if got.Samples != want.Samples || got.Expected != want.Expected ||
				!closeTo(got.Mean, want.Mean) || !closeTo(got.Coverage, want.Coverage) {
				t.Errorf("%v %v at %v: got %+v, want %+v", key.Queue, w, unixTime(d.now), got, want)
				ok = false
			}
		}
	}
	return ok
}

// bruteSum sums the delivered samples of series k in cycles [lo, hi]. It
// walks them for fractional runs; integer runs use the Fenwick tree (exact),
// and where direct is set both ways, which must agree.
func (s *sim) bruteSum(t *testing.T, d *delivered, k, lo, hi int, direct bool) (float64, int) {
	var fs float64
	var fn int
	if !s.fractional {
		sHi, nHi := d.fw[k].prefix(hi)
		sLo, nLo := d.fw[k].prefix(lo - 1)
		fs, fn = float64(sHi-sLo), int(nHi-nLo)
		if !direct {
			return fs, fn
		}
	}
	var sum float64
	var n int
	for c := max(lo, 0); c <= hi && c < s.cycles; c++ {
		if d.has[k][c] {
			sum += s.val[k][c]
			n++
		}
	}
	if !s.fractional && (sum != fs || n != fn) {
		t.Fatalf("fenwick %v/%d, direct %v/%d", fs, fn, sum, n)
	}
	return sum, n
}

// TestAveragerMatchesBruteForce compares, after every cycle of random
// 40-day runs, each series' six averages with a brute-force count over the
// samples delivered so far. Runs cycle through the five intervals; series
// have random gaps and zeros, whole cycles go missing, and some cycles
// arrive late, up to 9 days.
func TestAveragerMatchesBruteForce(t *testing.T) {
	ivs := []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}
	for i := range propertyRuns {
		iv := ivs[i%len(ivs)]
		t.Run(fmt.Sprintf("seed%d-%v", i, iv), func(t *testing.T) {
			t.Parallel()
			// Late up to 9 days: past the raw ring and the 7d hours.
			runProperty(t, uint64(i), iv, simOpts{days: 40, maxDelay: 9 * Day})
		})
	}
}

// TestAveragerFractionalValues is the same check with non-integer values
// whose magnitude jumps between 1e9 and 1e-3, against plain sums: the
// running sums must not keep the error of the huge values that left.
func TestAveragerFractionalValues(t *testing.T) {
	for i, iv := range []time.Duration{10 * time.Minute, time.Hour} {
		t.Run(iv.String(), func(t *testing.T) {
			t.Parallel()
			runProperty(t, uint64(1000+i), iv, simOpts{days: 40, maxDelay: 9 * Day, keys: 2, fractional: true})
		})
	}
}
