package absent

import (
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

func pt(queue, status string, jobs int64, t time.Time) point.Point {
	a := &point.Attrs{}
	a[point.Cloud] = "US"
	return point.Point{Time: t, Queue: queue, ProdSource: "managed", Resource: "SCORE", Status: status, Attrs: a, Jobs: jobs, ResourceFactor: 1, Corepower: 10}
}

var t0 = time.Date(2021, 7, 15, 10, 0, 0, 0, time.UTC)

func at(n int) time.Time { return t0.Add(time.Duration(n) * 10 * time.Minute) }

func TestDrainedSeriesReadZeroThenStale(t *testing.T) {
	tr := New(30 * time.Minute)
	if r := tr.Observe(at(0), []point.Point{pt("A", "running", 5, at(0)), pt("B", "running", 7, at(0))}); len(r.Zeros)+len(r.Stale) != 0 {
		t.Fatalf("first answer: %+v", r)
	}
	// B vanishes: zero for 2 cycles (20, 10 min after last seen... until 30 min), then stale.
	for n, want := range map[int]string{1: "zero", 2: "zero"} {
		r := tr.Observe(at(n), []point.Point{pt("A", "running", 5, at(n))})
		if want == "zero" && (len(r.Zeros) != 1 || r.Zeros[0].Queue != "B" || r.Zeros[0].Jobs != 0 || !r.Zeros[0].Time.Equal(at(n))) {
			t.Fatalf("cycle %d: zeros = %+v", n, r.Zeros)
		}
		if r.Zeros[0].Attr(point.Cloud) != "US" || r.Zeros[0].Corepower != 10 {
			t.Errorf("zero point lost its tags/fields: %+v", r.Zeros[0])
		}
	}
	r := tr.Observe(at(3), []point.Point{pt("A", "running", 5, at(3))})
	if len(r.Zeros) != 0 || len(r.Stale) != 1 || r.Stale[0].Queue != "B" {
		t.Fatalf("cycle 3: %+v", r)
	}
	r = tr.Observe(at(4), []point.Point{pt("A", "running", 5, at(4))})
	if len(r.Zeros)+len(r.Stale) != 0 || tr.Len() != 1 {
		t.Fatalf("cycle 4 after stale: %+v, len %d", r, tr.Len())
	}
}

func TestReturningSeriesStopsZeroFill(t *testing.T) {
	tr := New(time.Hour)
	tr.Observe(at(0), []point.Point{pt("A", "running", 5, at(0)), pt("A", "failed", 1, at(0))})
	if r := tr.Observe(at(1), []point.Point{pt("A", "running", 5, at(1))}); len(r.Zeros) != 1 {
		t.Fatalf("zeros = %+v", r.Zeros)
	}
	if r := tr.Observe(at(2), []point.Point{pt("A", "running", 5, at(2)), pt("A", "failed", 3, at(2))}); len(r.Zeros) != 0 {
		t.Fatalf("series came back, zeros = %+v", r.Zeros)
	}
}

func TestOlderCycleDoesNotZeroFill(t *testing.T) {
	tr := New(time.Hour)
	tr.Observe(at(5), []point.Point{pt("A", "running", 5, at(5)), pt("B", "running", 1, at(5))})
	// A backfilled, older answer without B must not write B as 0.
	if r := tr.Observe(at(2), []point.Point{pt("A", "running", 4, at(2))}); len(r.Zeros)+len(r.Stale) != 0 {
		t.Fatalf("older cycle produced %+v", r)
	}
	// And it must not move A's last-seen time backwards.
	if r := tr.Observe(at(6), []point.Point{pt("B", "running", 1, at(6))}); len(r.Zeros) != 1 || r.Zeros[0].Queue != "A" {
		t.Fatalf("zeros = %+v", r.Zeros)
	}
}

func TestRestore(t *testing.T) {
	tr := New(time.Hour)
	tr.Restore(pt("A", "running", 5, at(0)), at(0))
	tr.Restore(pt("A", "running", 9, at(0)), at(-3)) // older: ignored
	r := tr.Observe(at(1), []point.Point{pt("B", "running", 1, at(1))})
	if len(r.Zeros) != 1 || r.Zeros[0].Queue != "A" {
		t.Fatalf("zeros = %+v", r.Zeros)
	}
	r = tr.Observe(at(7), []point.Point{pt("B", "running", 1, at(7))})
	if len(r.Stale) != 1 || r.Stale[0].Queue != "A" {
		t.Fatalf("stale = %+v", r.Stale)
	}
}
