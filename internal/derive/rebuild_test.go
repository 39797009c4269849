package derive

import (
	"math/rand/v2"
	"testing"
	"time"
)

type bucketID struct {
	key   Key
	size  time.Duration
	start int64
}

type rawRecord struct {
	key Key
	t   int64
	v   float64
}

// testStore is what the cycle writes: raw samples and the Roller's
// rollups, a re-rolled bucket overwriting the old one.
type testStore struct {
	raw     []rawRecord
	buckets map[bucketID]Bucket
}

func (st *testStore) write(rep Report) {
	for _, r := range rep.Rollups {
		st.buckets[bucketID{r.Key, r.Size, r.Bucket.Start.UnixNano()}] = r.Bucket
	}
}

// rebuild is the restart path: a new Averager fed, in random order, the raw
// samples of the last 24 hours and the stored rollups, then the cycle time.
func (st *testStore) rebuild(t *testing.T, rng *rand.Rand, iv time.Duration, now int64) *Averager {
	b := newTestAverager(t, iv)
	var ops []func()
	for _, r := range st.raw {
		if r.t > now-dayNs && r.t <= now {
			ops = append(ops, func() { b.LoadRaw(r.key, unixTime(r.t), r.v) })
		}
	}
	var rollups []Rollup
	for id, bk := range st.buckets {
		if id.size == Hour && id.start >= now-8*dayNs || id.size == Day && id.start >= now-31*dayNs {
			rollups = append(rollups, Rollup{id.key, id.size, bk})
		}
	}
	sortRollups(rollups)
	for _, r := range rollups {
		ops = append(ops, func() {
			if err := b.LoadBucket(r.Key, r.Size, r.Bucket); err != nil {
				t.Fatal(err)
			}
		})
	}
	rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	for _, op := range ops {
		op()
	}
	b.Observe(unixTime(now), nil)
	return b
}

// checkBuckets compares every stored rollup with the raw samples: every
// complete bucket with a sample is stored, with their exact sum and count.
func (st *testStore) checkBuckets(t *testing.T, now int64) {
	t.Helper()
	want := map[bucketID]Bucket{}
	for _, r := range st.raw {
		for _, size := range []time.Duration{Hour, Day} {
			start := floorDiv(r.t, int64(size)) * int64(size)
			if start+int64(size) > now {
				continue
			}
			id := bucketID{r.key, size, start}
			b := want[id]
			b.Start, b.Sum, b.Samples = unixTime(start), b.Sum+r.v, b.Samples+1
			want[id] = b
		}
	}
	if len(want) != len(st.buckets) {
		t.Errorf("%d stored rollups, want %d", len(st.buckets), len(want))
	}
	for id, w := range want {
		if g, ok := st.buckets[id]; !ok || g.Sum != w.Sum || g.Samples != w.Samples {
			t.Errorf("rollup %v %v %v = %+v, %v; want %+v", id.key.Queue, id.size, unixTime(id.start), g, ok, w)
		}
	}
}

func sameAverages(t *testing.T, what string, want, got *Averager) {
	t.Helper()
	n := 0
	for k, w := range want.All() {
		n++
		if g, ok := got.Averages(k); !ok || g != w {
			t.Fatalf("%s: %v: rebuilt %+v, %v; incremental %+v", what, k.Queue, g, ok, w)
		}
	}
	for range got.All() {
		n--
	}
	if n != 0 {
		t.Fatalf("%s: rebuilt Averager has %d series more than the incremental one", what, -n)
	}
}

// TestRebuildMatchesIncremental runs an incremental Averager and a Roller
// over 36 days of random cycles (gaps, zeros, missing and late cycles), and
// at checkpoints rebuilds Averagers from what the store holds (raw samples
// of the last 24h, the Roller's rollups). The rebuilt ones must give exactly
// the incremental averages, then and after following the later cycles.
func TestRebuildMatchesIncremental(t *testing.T) {
	for i, iv := range []time.Duration{10 * time.Minute, time.Hour, 5 * time.Minute, time.Minute} {
		t.Run(iv.String(), func(t *testing.T) {
			t.Parallel()
			runRebuild(t, uint64(100+i), iv)
		})
	}
}

func runRebuild(t *testing.T, seed uint64, iv time.Duration) {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := newSim(rng, iv, simOpts{days: 36, maxDelay: 47 * Hour})
	a := newTestAverager(t, iv)
	r, err := NewRoller(Config{Interval: iv, Late: 48 * Hour})
	if err != nil {
		t.Fatal(err)
	}
	st := &testStore{buckets: map[bucketID]Bucket{}}
	var rebuilt []*Averager
	checkAt := map[int]bool{s.cycles - 1: true}
	for range 3 {
		checkAt[int(31*Day/iv)+rng.IntN(int(4*Day/iv))] = true
	}
	observe := func(c int, smp []Sample) {
		a.Observe(s.time(c), smp)
		st.write(r.Observe(s.time(c), smp))
		for _, b := range rebuilt {
			b.Observe(s.time(c), smp)
		}
	}
	s.play(func(c int) {
		smp := s.samples(c)
		for _, x := range smp {
			st.raw = append(st.raw, rawRecord{x.Key, s.time(c).UnixNano(), x.Value})
		}
		observe(c, smp)
	}, func(c int) {
		observe(c, nil)
	}, func(c int) {
		if !checkAt[c] {
			return
		}
		now, _ := a.Now()
		for _, b := range rebuilt {
			sameAverages(t, "followed", a, b)
		}
		b := st.rebuild(t, rng, iv, now.UnixNano())
		sameAverages(t, "rebuilt at "+now.String(), a, b)
		rebuilt = append(rebuilt, b)
	})
	now, _ := a.Now()
	st.checkBuckets(t, now.UnixNano())
}
