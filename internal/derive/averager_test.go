package derive

import (
	"math"
	"testing"
	"time"
)

var kAct = Key{Queue: "BNL", ProdSource: "user", Resource: "MCORE", Status: "activated"}

func newTestAverager(t testing.TB, iv time.Duration) *Averager {
	t.Helper()
	a, err := NewAverager(Config{Interval: iv})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// wantAvg checks one window: mean, samples and expected slots.
func wantAvg(t *testing.T, av Averages, w Window, mean float64, n, expected int) {
	t.Helper()
	got := av.Of[w]
	cov := 0.0
	if expected > 0 {
		cov = float64(n) / float64(expected)
	}
	if got.Mean != mean || got.Samples != n || got.Expected != expected || got.Coverage != cov {
		t.Errorf("%v = %+v, want mean %v, %d/%d samples", w, got, mean, n, expected)
	}
}

func TestAveragerEmpty(t *testing.T) {
	a := newTestAverager(t, 10*time.Minute)
	if _, ok := a.Averages(kRun); ok {
		t.Fatal("Averages before any cycle: ok")
	}
	if _, ok := a.Now(); ok {
		t.Fatal("Now before any cycle: ok")
	}
	a.Observe(at(12, 0), []Sample{{kRun, 8}})
	a.Observe(at(60, 0), []Sample{{kFin, 1}})
	if _, ok := a.Averages(kAct); ok {
		t.Error("unknown key: ok")
	}
	av, ok := a.Averages(kRun)
	if !ok {
		t.Fatal("key with a sample 2 days ago: not ok")
	}
	for _, w := range []Window{Window1h, Window6h, Window12h, Window24h} {
		if got := av.Of[w]; got.Samples != 0 || got.Mean != 0 || got.Coverage != 0 || math.IsNaN(got.Mean) {
			t.Errorf("empty %v = %+v, want zeros", w, got)
		}
	}
	// At 12:00 the 7d window is [day-7 13:00, 12:00]: 167 hours and one
	// slot; the 30d window 29 days and 12 hours and one slot.
	wantAvg(t, av, Window7d, 8, 1, 167*6+1)
	wantAvg(t, av, Window30d, 8, 1, 29*144+72+1)

	a.Observe(at(12+30*24, 0), nil)
	if _, ok := a.Averages(kRun); ok {
		t.Error("key whose only sample is 30 days old: ok")
	}
	a.Observe(at(13+30*24, 0), nil)
	if a.Len() != 1 {
		t.Errorf("Len = %d, want 1 after the 30-day-old key is dropped", a.Len())
	}
}

func TestAveragerSingleSample(t *testing.T) {
	a := newTestAverager(t, 10*time.Minute)
	a.Observe(at(12, 50), []Sample{{kRun, 7}})
	av, ok := a.Averages(kRun)
	if !ok || !av.End.Equal(at(12, 50)) {
		t.Fatalf("Averages = %+v, %v", av, ok)
	}
	for w, exp := range []int{6, 36, 72, 144, 1008, 29*144 + 78} {
		wantAvg(t, av, Window(w), 7, 1, exp)
	}
}

func TestAveragerGaps(t *testing.T) {
	a := newTestAverager(t, 10*time.Minute)
	a.Observe(at(10, 0), []Sample{{kRun, 10}, {kFin, 0}})
	a.Observe(at(10, 10), []Sample{{kFin, 0}}) // kRun missing: a gap
	a.Observe(at(10, 20), []Sample{{kRun, 30}, {kFin, 6}})
	av, _ := a.Averages(kRun)
	wantAvg(t, av, Window1h, 20, 2, 6)
	av, _ = a.Averages(kFin)
	wantAvg(t, av, Window1h, 2, 3, 6) // zeros are samples
	// A whole cycle missing (PanDA down), then a cycle: the window moved.
	a.Observe(at(11, 10), []Sample{{kRun, 50}})
	av, _ = a.Averages(kRun)
	wantAvg(t, av, Window1h, 40, 2, 6) // 10:20 and 11:10; 10:00 left
	wantAvg(t, av, Window6h, 30, 3, 36)
	// A good answer without the series advances time too.
	a.Observe(at(12, 10), nil)
	av, _ = a.Averages(kRun)
	wantAvg(t, av, Window1h, 0, 0, 6)
	wantAvg(t, av, Window6h, 30, 3, 36)
}

func TestAveragerLateAndDuplicate(t *testing.T) {
	a := newTestAverager(t, 10*time.Minute)
	a.Observe(at(10, 0), []Sample{{kRun, 10}})
	a.Observe(at(10, 20), []Sample{{kRun, 30}})
	a.Observe(at(10, 10), []Sample{{kRun, 20}}) // late cycle
	a.Observe(at(10, 0), []Sample{{kRun, 99}})  // duplicate: first wins
	if now, _ := a.Now(); !now.Equal(at(10, 20)) {
		t.Errorf("Now = %v, want the newest cycle", now)
	}
	av, _ := a.Averages(kRun)
	wantAvg(t, av, Window1h, 20, 3, 6)
	// Two days late: outside the raw windows, inside 7d and 30d.
	a.Observe(at(58, 20), []Sample{{kRun, 1}})
	a.Observe(at(10, 30), []Sample{{kRun, 40}})
	av, _ = a.Averages(kRun)
	wantAvg(t, av, Window24h, 1, 1, 144)
	wantAvg(t, av, Window7d, 101.0/5, 5, 167*6+3)
}

func TestAveragerWindowEdges(t *testing.T) {
	now := at(8*24+12, 30)
	for _, tt := range []struct {
		name    string
		sample  time.Time
		w       Window
		inside  bool
		wantExp int
	}{
		{"1h excludes t-1h", now.Add(-time.Hour), Window1h, false, 6},
		{"1h includes t-1h+iv", now.Add(-50 * time.Minute), Window1h, true, 6},
		{"24h excludes t-24h", now.Add(-Day), Window24h, false, 144},
		{"24h includes t-24h+iv", now.Add(-Day + 10*time.Minute), Window24h, true, 144},
		{"7d includes floor_1h(t)-7d+1h", at(24+13, 0), Window7d, true, 167*6 + 4},
		{"7d excludes one slot earlier", at(24+12, 50), Window7d, false, 167*6 + 4},
		{"30d includes floor_1d(t)-29d", at(8*24-29*24, 0), Window30d, true, 29*144 + 76},
		{"30d excludes one slot earlier", at(8*24-29*24, -10), Window30d, false, 29*144 + 76},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAverager(t, 10*time.Minute)
			a.Observe(tt.sample, []Sample{{kRun, 5}})
			a.Observe(now, nil)
			av, _ := a.Averages(kRun)
			if tt.inside {
				wantAvg(t, av, tt.w, 5, 1, tt.wantExp)
			} else {
				wantAvg(t, av, tt.w, 0, 0, tt.wantExp)
			}
		})
	}
}

func TestAveragerFullCoverage(t *testing.T) {
	for _, iv := range []time.Duration{time.Minute, 10 * time.Minute, 7 * time.Minute, time.Hour} {
		a := newTestAverager(t, iv)
		end := at(31*24+5, 0)
		for tm := end.Add(-31 * Day); !tm.After(end); tm = tm.Add(iv) {
			a.Observe(tm, []Sample{{kRun, 3}})
		}
		av, _ := a.Averages(kRun)
		for w := range NumWindows {
			if got := av.Of[w]; got.Coverage != 1 || got.Mean != 3 {
				t.Errorf("interval %v: %v = %+v, want full coverage of 3", iv, w, got)
			}
		}
	}
}

func TestAveragerLoadBucketErrors(t *testing.T) {
	a := newTestAverager(t, 10*time.Minute)
	if err := a.LoadBucket(kRun, 2*Hour, Bucket{Start: at(0, 0), Sum: 1, Samples: 1}); err == nil {
		t.Error("LoadBucket with a 2h size: no error")
	}
	if err := a.LoadBucket(kRun, Day, Bucket{Start: at(1, 0), Sum: 1, Samples: 1}); err == nil {
		t.Error("LoadBucket with a day bucket starting at 01:00: no error")
	}
	if err := a.LoadBucket(kRun, Hour, Bucket{Start: at(1, 0)}); err != nil || a.Len() != 0 {
		t.Errorf("empty bucket: err %v, Len %d", err, a.Len())
	}
}

func TestWindowNames(t *testing.T) {
	for w, name := range []string{"1h", "6h", "12h", "24h", "7d", "30d"} {
		if Window(w).String() != name {
			t.Errorf("Window(%d) = %q, want %q", w, Window(w), name)
		}
	}
	if Window7d.Duration() != 7*Day || NumWindows.String() != "unknown" {
		t.Error("Window7d.Duration or NumWindows.String wrong")
	}
}

func TestAveragerInexactValueLeaves(t *testing.T) {
	a := newTestAverager(t, 10*time.Minute)
	other := kFin
	start := at(0, 30)
	a.Observe(start, []Sample{{kRun, 1234567.891}})
	var sum float64
	n := 0
	last := at(29*24+23, 30)
	for tm := start.Add(10 * time.Minute); !tm.After(at(30*24+2, 0)); tm = tm.Add(10 * time.Minute) {
		smp := []Sample{{other, 1}}
		if !tm.After(last) {
			v := float64(1_000_003 * (tm.Minute() + 1))
			smp = append(smp, Sample{kRun, v})
			if !tm.Before(at(24, 0)) {
				sum += v
				n++
			}
		}
		a.Observe(tm, smp)
		if tm.Before(at(29*24, 0)) {
			a.Averages(kRun) // keep the series' sums current
		}
	}
	// At day 30 02:00 the 30d window starts at day 1: the fraction has left;
	// the mean is that of the integers, exactly.
	av, _ := a.Averages(kRun)
	if got := av.Of[Window30d]; got.Samples != n || got.Mean != sum/float64(n) {
		t.Fatalf("30d = %+v, want %d samples of mean %v exactly", got, n, sum/float64(n))
	}
}

func TestAveragerLoadedFutureBucket(t *testing.T) {
	a := newTestAverager(t, 10*time.Minute)
	a.LoadRaw(kRun, at(10, 0), 1)
	if err := a.LoadBucket(kRun, Hour, Bucket{Start: at(12, 0), Sum: 50, Samples: 5}); err != nil {
		t.Fatal(err)
	}
	av, _ := a.Averages(kRun)
	wantAvg(t, av, Window7d, 1, 1, 167*6+1)
	a.Observe(at(13, 0), []Sample{{kFin, 1}})
	av, _ = a.Averages(kRun)
	wantAvg(t, av, Window7d, 51.0/6, 6, 167*6+1)
}
