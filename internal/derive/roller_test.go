package derive

import (
	"testing"
	"time"
)

var (
	kRun = Key{Queue: "AGLT2", ProdSource: "managed", Resource: "SCORE", Status: "running"}
	kFin = Key{Queue: "AGLT2", ProdSource: "managed", Resource: "SCORE", Status: "finished"}
	day0 = time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
)

func at(h, m int) time.Time {
	return day0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func newTestRoller(t *testing.T, late time.Duration) *Roller {
	t.Helper()
	r, err := NewRoller(Config{Interval: 10 * time.Minute, Late: late})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantRollups(t *testing.T, got []Rollup, want ...Rollup) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rollups %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Size != w.Size || !g.Bucket.Start.Equal(w.Bucket.Start) ||
			g.Bucket.Sum != w.Bucket.Sum || g.Bucket.Samples != w.Bucket.Samples {
			t.Errorf("rollup %d = %+v, want %+v", i, g, w)
		}
	}
}

func hourRollup(k Key, h int, sum float64, n int) Rollup {
	return Rollup{Key: k, Size: Hour, Bucket: Bucket{Start: at(h, 0), Sum: sum, Samples: n}}
}

func TestRollerHour(t *testing.T) {
	r := newTestRoller(t, 0)
	for m := 0; m < 60; m += 10 {
		if m == 20 {
			continue // a failed cycle: a gap, not a zero
		}
		rep := r.Observe(at(12, m), []Sample{{kRun, float64(m)}, {kFin, 2}})
		wantRollups(t, rep.Rollups)
	}
	rep := r.Observe(at(13, 0), []Sample{{kRun, 1}})
	// Sorted by size, start, then key: finished before running.
	wantRollups(t, rep.Rollups, hourRollup(kFin, 12, 10, 5), hourRollup(kRun, 12, 0+10+30+40+50, 5))
	if got := rep.Rollups[0].Value(); got != 10 {
		t.Errorf("finished hour value = %v, want sum 10", got)
	}
	if got := rep.Rollups[1].Value(); got != 26 {
		t.Errorf("running hour value = %v, want mean 26", got)
	}
	if got := rep.Rollups[1].Bucket.Coverage(Hour, 10*time.Minute); got != 5.0/6 {
		t.Errorf("coverage = %v, want 5/6", got)
	}
	wantRollups(t, r.Observe(at(13, 10), nil).Rollups)
}

func TestRollerLateSampleRerolls(t *testing.T) {
	r := newTestRoller(t, 0)
	for _, m := range []int{0, 10, 30, 40, 50} {
		r.Observe(at(12, m), []Sample{{kRun, 6}})
	}
	wantRollups(t, r.Observe(at(13, 0), nil).Rollups, hourRollup(kRun, 12, 30, 5))
	r.Observe(at(13, 10), nil)

	rep := r.Observe(at(12, 20), []Sample{{kRun, 12}})
	wantRollups(t, rep.Rollups, hourRollup(kRun, 12, 42, 6))
	if rep.Rollups[0].Value() != 7 {
		t.Errorf("re-rolled value = %v, want 7", rep.Rollups[0].Value())
	}
	if got, ok := r.Reroll(kRun, Hour, at(12, 0)); !ok || got.Bucket.Sum != 42 || got.Bucket.Samples != 6 {
		t.Errorf("Reroll = %+v, %v; want the corrected bucket", got, ok)
	}

	// A late sample in a complete hour that had none is reported too.
	wantRollups(t, r.Observe(at(11, 0), []Sample{{kRun, 3}}).Rollups, hourRollup(kRun, 11, 3, 1))
	// The same sample again is a duplicate, nothing changes.
	rep = r.Observe(at(12, 20), []Sample{{kRun, 99}})
	wantRollups(t, rep.Rollups)
	if rep.Duplicates != 1 {
		t.Errorf("Duplicates = %d, want 1", rep.Duplicates)
	}
}

func TestRollerDay(t *testing.T) {
	r := newTestRoller(t, 0)
	var want float64
	for h := range 24 {
		for m := 0; m < 60; m += 10 {
			r.Observe(at(h, m), []Sample{{kFin, float64(h)}})
			want += float64(h)
		}
	}
	rep := r.Observe(at(24, 0), nil)
	day := Rollup{Key: kFin, Size: Day, Bucket: Bucket{Start: day0, Sum: want, Samples: 144}}
	wantRollups(t, rep.Rollups, hourRollup(kFin, 23, 23*6, 6), day)

	// A late sample of yesterday re-rolls its hour and the day; a
	// duplicate is refused.
	rep = r.Observe(at(5, 0), []Sample{{kFin, 1000}})
	if rep.Duplicates != 1 || len(rep.Rollups) != 0 {
		t.Fatalf("duplicate: %+v", rep)
	}
	r2 := newTestRoller(t, 0)
	r2.Observe(at(5, 0), []Sample{{kFin, 1}})
	r2.Observe(at(24, 0), nil)
	rep = r2.Observe(at(5, 10), []Sample{{kFin, 2}})
	day.Bucket.Sum, day.Bucket.Samples = 3, 2
	wantRollups(t, rep.Rollups, hourRollup(kFin, 5, 3, 2), day)
}

func TestRollerLateWindow(t *testing.T) {
	r := newTestRoller(t, 3*time.Hour)
	r.Observe(at(10, 0), []Sample{{kRun, 1}})
	r.Observe(at(14, 0), []Sample{{kRun, 1}})
	rep := r.Observe(at(10, 50), []Sample{{kRun, 5}})
	if rep.Dropped != 1 || len(rep.Rollups) != 0 {
		t.Fatalf("sample 3h10m late: %+v, want dropped", rep)
	}
	rep = r.Observe(at(11, 0), []Sample{{kRun, 5}})
	if rep.Dropped != 0 {
		t.Fatalf("sample 3h late: %+v, want accepted", rep)
	}
	wantRollups(t, rep.Rollups, hourRollup(kRun, 11, 5, 1))
}

func TestRollerJumpReportsEverything(t *testing.T) {
	r := newTestRoller(t, 0)
	r.Observe(at(10, 0), []Sample{{kRun, 4}})
	r.Observe(at(10, 10), []Sample{{kRun, 6}})
	// Five days without a cycle: the old buckets are reported before the
	// ring slots are reused.
	rep := r.Observe(at(5*24+10, 0), []Sample{{kRun, 9}})
	wantRollups(t, rep.Rollups, hourRollup(kRun, 10, 10, 2),
		Rollup{Key: kRun, Size: Day, Bucket: Bucket{Start: day0, Sum: 10, Samples: 2}})
	wantRollups(t, r.Observe(at(5*24+11, 0), nil).Rollups, hourRollup(kRun, 5*24+10, 9, 1))
}

func TestRollerMemoryBounded(t *testing.T) {
	r := newTestRoller(t, 48*time.Hour)
	r.Observe(at(0, 0), []Sample{{kRun, 1}, {kFin, 1}})
	for h := 1; h < 24*5; h++ {
		r.Observe(at(h, 0), []Sample{{kRun, 1}})
	}
	if r.Len() != 1 {
		t.Fatalf("Len = %d after a series stopped 5 days ago, want 1", r.Len())
	}
	if _, ok := r.Reroll(kRun, Hour, at(0, 0)); ok {
		t.Errorf("Reroll of a bucket older than the late window succeeded")
	}
	if _, ok := r.Reroll(kRun, Day, at(24*4, 0)); !ok {
		t.Errorf("Reroll of the current day failed")
	}
	if _, ok := r.Reroll(kRun, 7*time.Minute, at(24*4, 0)); ok {
		t.Errorf("Reroll of an odd size succeeded")
	}
}
