package app

import (
	"fmt"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/web"
)

// TestPublishWeb checks the snapshot the UI reads: every averaged series,
// sorted, with its current count when it has a sample at the averager's
// time, its attributes and the averager's numbers.
func TestPublishWeb(t *testing.T) {
	const iv = 10 * time.Minute
	avg, err := derive.NewAverager(derive.Config{Interval: iv})
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{avg: avg, latest: map[point.Key]point.Point{}}
	if (webBackend{d}).Snapshot() != nil {
		t.Fatal("a snapshot before any cycle")
	}
	d.publishWeb() // no cycle yet: nothing to publish
	if (webBackend{d}).Snapshot() != nil {
		t.Fatal("published before any cycle")
	}
	attrs := &point.Attrs{}
	for i := range attrs {
		attrs[i] = point.NoValue
	}
	attrs[point.Cloud], attrs[point.AtlasSite], attrs[point.SiteState] = "DE", "FZK-LCG2", "online"
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	running := point.Key{Queue: "Q2", ProdSource: "managed", Resource: "SCORE", Status: "running"}
	gone := point.Key{Queue: "Q1", ProdSource: "user", Resource: "SCORE", Status: "activated"}
	for i, v := range []float64{10, 20, 30} {
		at := t0.Add(time.Duration(i) * iv)
		samples := []derive.Sample{{Key: running, Value: v}}
		if i == 0 {
			samples = append(samples, derive.Sample{Key: gone, Value: 5})
			d.latest[gone] = point.Point{Time: at, Queue: gone.Queue, ProdSource: gone.ProdSource, Resource: gone.Resource, Status: gone.Status, Jobs: 5}
		}
		avg.Observe(at, samples)
		d.latest[running] = point.Point{Time: at, Queue: running.Queue, ProdSource: running.ProdSource, Resource: running.Resource,
			Status: running.Status, Attrs: attrs, Jobs: int64(v)}
	}
	d.publishWeb()
	snap := (webBackend{d}).Snapshot()
	if snap == nil || !snap.Time.Equal(t0.Add(2*iv)) || len(snap.Rows) != 2 {
		t.Fatalf("snapshot %+v", snap)
	}
	q1, q2 := snap.Rows[0], snap.Rows[1]
	if q1.Queue != "Q1" || q1.Present || q1.Cloud != point.NoValue || q1.Avg[derive.Window1h].Mean != 5 {
		t.Errorf("Q1 (no sample now) = %+v", q1)
	}
	if q2.Queue != "Q2" || !q2.Present || q2.Current != 30 || q2.Cloud != "DE" || q2.Site != "FZK-LCG2" || q2.SiteState != "online" {
		t.Errorf("Q2 = %+v", q2)
	}
	want, _ := avg.Averages(running)
	for w := range web.NumWindows {
		got, exp := q2.Avg[w], want.Of[w]
		if got.Mean != exp.Mean || got.Samples != exp.Samples || got.Coverage != exp.Coverage {
			t.Errorf("Q2 window %s: %+v, want %+v", web.Windows[w], got, exp)
		}
	}
	if q2.Avg[derive.Window1h].Mean != 20 || q2.Avg[derive.Window1h].Samples != 3 {
		t.Errorf("Q2 1h average %+v, want mean 20 of 3 samples", q2.Avg[derive.Window1h])
	}
	if len(web.Windows) != int(derive.NumWindows) {
		t.Errorf("web has %d windows, derive %d", len(web.Windows), derive.NumWindows)
	}
	for w := derive.Window(0); w < derive.NumWindows; w++ {
		if web.Windows[w] != w.String() {
			t.Errorf("window %d: web %q, derive %q", w, web.Windows[w], w)
		}
	}
}

// BenchmarkPublishWeb snapshots 25,000 series (the default grid) for the
// UI, as each cycle will.
//
//	go test -run '^$' -bench PublishWeb ./internal/app/
func BenchmarkPublishWeb(b *testing.B) {
	const iv = 10 * time.Minute
	avg, err := derive.NewAverager(derive.Config{Interval: iv})
	if err != nil {
		b.Fatal(err)
	}
	d := &daemon{avg: avg, latest: map[point.Key]point.Point{}}
	attrs := &point.Attrs{}
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	samples := make([]derive.Sample, 0, 25000)
	for q := range 1000 {
		for s := range 25 {
			k := point.Key{Queue: fmt.Sprintf("Q%04d", q), ProdSource: "managed", Resource: "SCORE", Status: fmt.Sprintf("s%02d", s)}
			samples = append(samples, derive.Sample{Key: k, Value: float64(q + s)})
			d.latest[k] = point.Point{Time: t0.Add(5 * iv), Queue: k.Queue, ProdSource: k.ProdSource, Resource: k.Resource, Status: k.Status, Attrs: attrs}
		}
	}
	for i := range 6 {
		avg.Observe(t0.Add(time.Duration(i)*iv), samples)
	}
	b.ReportAllocs()
	for b.Loop() {
		d.publishWeb()
	}
	b.ReportMetric(float64(len((webBackend{d}).Snapshot().Rows)), "rows")
}
