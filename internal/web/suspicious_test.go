package web

import (
	"math"
	"testing"
)

func row(queue, state string, current float64, present bool, avg24 float64, samples int) SeriesRow {
	r := SeriesRow{Queue: queue, ProdSource: "managed", Resource: "SCORE", Status: state, Current: current, Present: present}
	r.Avg[3] = Average{Mean: avg24, Samples: samples, Coverage: min(1, float64(samples)/144)}
	return r
}

func TestRankSuspicious(t *testing.T) {
	rows := []SeriesRow{
		row("steady", "running", 1000, true, 1000, 144),
		row("big-up", "running", 13000, true, 10000, 144), // +3000, 30 %: below rel 0.5
		row("pileup", "activated", 500, true, 100, 144),   // +400, ×5: severity 40
		row("drain", "running", 0, true, 400, 144),        // -400, -100 %: severity 20
		row("new", "activated", 80, true, 0, 144),         // from 0: ratio +Inf, severity 80
		row("small", "activated", 30, true, 5, 144),       // below the absolute floor
		row("gap", "running", 0, false, 400, 144),         // no current sample
		row("unknown", "running", 900, true, 0, 0),        // no average
		row("sparse", "throttled", 0, true, 400, 36),      // -400 but a quarter covered: severity 5
	}
	th := thresholds{Rel: 0.5, Abs: 50, Window: 3}
	got, n := rankSuspicious(rows, th, 10)
	want := []string{"new", "pileup", "drain", "sparse"}
	if n != 4 || len(got) != 4 {
		t.Fatalf("got %d (%d in all), want 4", len(got), n)
	}
	for i, w := range want {
		if got[i].Row.Queue != w {
			t.Errorf("rank %d = %s, want %s", i, got[i].Row.Queue, w)
		}
	}
	if !math.IsInf(got[0].Ratio, 1) || got[0].Severity != 80 {
		t.Errorf("new: %+v", got[0])
	}
	if got[1].Diff != 400 || got[1].Ratio != 5 || got[1].Severity != 40 {
		t.Errorf("pileup: %+v", got[1])
	}
	if got[2].Diff != -400 || got[2].Ratio != 0 {
		t.Errorf("drain: %+v", got[2])
	}
	if got[3].Severity != 5 {
		t.Errorf("sparse: %+v", got[3])
	}

	// The limit keeps the most severe; the count is of all matches.
	top, all := rankSuspicious(rows, th, 1)
	if all != 4 || len(top) != 1 || top[0].Row.Queue != "new" {
		t.Errorf("limit 1: %d of %d", len(top), all)
	}
	// Zero thresholds list every departure, never an unchanged series.
	everything, all := rankSuspicious(rows, thresholds{Window: 3}, 100)
	if all != 6 || len(everything) != 6 {
		t.Errorf("zero thresholds: %d matches", all)
	}
	for _, s := range everything {
		if s.Row.Queue == "steady" {
			t.Error("an unchanged series is listed")
		}
	}
	// Another window: no samples there, nothing listed.
	if _, all := rankSuspicious(rows, thresholds{Window: 0}, 10); all != 0 {
		t.Errorf("window without samples: %d matches", all)
	}
}

func TestSnapshotQueueRows(t *testing.T) {
	s := &Snapshot{Rows: []SeriesRow{{Queue: "a"}, {Queue: "b", Status: "x"}, {Queue: "b", Status: "y"}, {Queue: "c"}}}
	if got := s.queueRows("b"); len(got) != 2 || got[0].Status != "x" {
		t.Errorf("queueRows(b) = %+v", got)
	}
	if got := s.queueRows("bb"); len(got) != 0 {
		t.Errorf("queueRows(bb) = %+v", got)
	}
	var none *Snapshot
	if got := none.queueRows("a"); got != nil {
		t.Errorf("nil snapshot: %+v", got)
	}
	rows := []SeriesRow{{Queue: "b", Status: "y"}, {Queue: "a"}, {Queue: "b", Status: "x"}}
	SortRows(rows)
	if rows[0].Queue != "a" || rows[1].Status != "x" {
		t.Errorf("SortRows = %+v", rows)
	}
}
