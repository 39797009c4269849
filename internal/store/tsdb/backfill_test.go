package tsdb

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

const day = 144 // cycles per day

func TestBackfillThenLive(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g := newGrid(24)
	var calls, last int
	err = s.Backfill(t.Context(), 3*day, g.cycles(-3*day, 0), func(done, total int) {
		calls++
		if done != last+1 || total != 3*day {
			t.Errorf("progress(%d, %d) after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatalf("Backfill() = %v", err)
	}
	if calls != 3*day {
		t.Errorf("progress called %d times; want %d", calls, 3*day)
	}
	if st := s.Stats(); st.Blocks != 3 || st.BlockSamples != uint64(3*day*600) || st.HeadSeries != 0 {
		t.Errorf("Stats() after backfill = %+v; want 3 blocks of %d samples, empty head", st, 3*day*600)
	}
	appendCycles(t, s, g, 0, 6) // live, right after the history
	checkAcross := func(step string) {
		t.Helper()
		for _, c := range []int{-3 * day, -day - 1, -1, 0, 5} {
			got := byLabel(instant(t, s, `sum by (cloud) (qmonit_jobs{job_status="running"})`, at(c)), "cloud")
			if want := g.running(c); !maps.Equal(got, want) {
				t.Errorf("%s: cycle %d = %v; want %v", step, c, got, want)
			}
		}
		m := rangeQuery(t, s, `count(qmonit_jobs)`, at(-3), at(3), 10*time.Minute)
		if len(m) != 1 || len(m[0].Floats) != 7 || m[0].Floats[0].F != 600 || m[0].Floats[6].F != 600 {
			t.Errorf("%s: count across the boundary = %v; want 7 steps of 600", step, m)
		}
	}
	checkAcross("live")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkAcross("after reopen")
	appendCycles(t, s, g, 6, 7)

	// A value in a backfilled block can be replaced too.
	sm := jobsSample(g.cycle(-2 * day)[0], -1)
	if err := s.Replace(t.Context(), []Sample{sm}); err != nil {
		t.Fatal(err)
	}
	v := instant(t, s, `qmonit_jobs{panda_queue="Q0000_CA",prod_source="managed",resource="SCORE",job_status="running"}`, at(-2*day))
	if len(v) != 1 || v[0].F != -1 {
		t.Errorf("replaced backfilled value = %v; want -1", v)
	}
}

func TestBackfillErrors(t *testing.T) {
	s := openTest(t, t.TempDir())
	g := newGrid(2)
	boom := errors.New("boom")
	for _, tt := range []struct {
		name   string
		cycles iter.Seq2[Cycle, error]
		ctx    func() context.Context
		want   string
	}{
		{"out of order", func(yield func(Cycle, error) bool) {
			_ = yield(Cycle{Points: g.cycle(day)}, nil) && yield(Cycle{Points: g.cycle(0)}, nil)
		}, t.Context, "already written"},
		{"producer error", func(yield func(Cycle, error) bool) {
			_ = yield(Cycle{Points: g.cycle(0)}, nil) && yield(Cycle{}, boom)
		}, t.Context, "boom"},
		{"cancelled", g.cycles(0, 10), func() context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, "context canceled"},
		{"bad sample", func(yield func(Cycle, error) bool) {
			yield(Cycle{Samples: []Sample{{Name: "m", Labels: []Label{{"", "x"}}, T: base}}}, nil)
		}, t.Context, "invalid label name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Backfill(tt.ctx(), 0, tt.cycles, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Backfill() = %v; want %q", err, tt.want)
			}
			if st := s.Stats(); st.Blocks != 0 {
				t.Errorf("%d blocks installed after a failed backfill", st.Blocks)
			}
		})
	}
}

func TestDeleteBefore(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g := newGrid(4)
	if err := s.Backfill(t.Context(), 0, g.cycles(-2*day, 0), nil); err != nil {
		t.Fatal(err)
	}
	appendCycles(t, s, g, 0, 3)
	info := []Sample{{Name: MetricQueueInfo, Labels: []Label{{"panda_queue", "q"}}, T: at(-1), V: 1}}
	if err := s.Replace(t.Context(), info); err != nil { // Replace accepts any age
		t.Fatal(err)
	}
	cut := at(-day - 6)
	if err := s.DeleteBefore(t.Context(), cut, NameMatcher(MetricJobs)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBefore(t.Context(), cut); err == nil {
		t.Error("DeleteBefore without matchers = nil error")
	}
	check := func(step string) {
		t.Helper()
		var first int64 = 1 << 62
		var n int
		for sr, err := range s.Select(t.Context(), at(-3*day), at(10), NameMatcher(MetricJobs)) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			first = min(first, sr.T[0])
			if len(sr.T) != day+6+3 {
				t.Fatalf("%s: %d samples; want %d", step, len(sr.T), day+6+3)
			}
		}
		if n != 100 || first != cut.UnixMilli() {
			t.Errorf("%s: %d series, first sample %s; want 100 from %s", step, n, time.UnixMilli(first).UTC(), cut)
		}
		if v := instant(t, s, MetricQueueInfo, at(-1)); len(v) != 1 {
			t.Errorf("%s: other metric = %v; want kept", step, v)
		}
	}
	check("after delete")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("after reopen")
	if err := s.DeleteBefore(t.Context(), at(10), labels.MustNewMatcher(labels.MatchRegexp, "panda_queue", ".+")); err != nil {
		t.Fatal(err)
	}
	if v := instant(t, s, `count({__name__=~".+"})`, at(2)); len(v) != 0 {
		t.Errorf("after deleting everything: %v", v)
	}
}

func TestHeadCompactionAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g := newGrid(4)
	appendCycles(t, s, g, 0, 3*day)
	if err := s.db.Compact(t.Context()); err != nil { // the head spans 3 days: persist the oldest
		t.Fatal(err)
	}
	if st := s.Stats(); st.Blocks == 0 || st.HeadMinTime.Before(at(day)) {
		t.Fatalf("Stats() after compaction = %+v; want blocks and a head starting after day 1", st)
	}
	inBlock := g.cycle(10)[0] // Q0000_CA managed SCORE running
	inHead := g.cycle(3*day - 2)[0]
	if err := s.Replace(t.Context(), []Sample{jobsSample(inBlock, 1000)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Replace(t.Context(), []Sample{jobsSample(inHead, 2000)}); err != nil {
		t.Fatal(err)
	}
	want := func(c int) map[string]float64 {
		w := g.running(c)
		switch c {
		case 10:
			w["CA"] += 1000 - float64(inBlock.Jobs)
		case 3*day - 2:
			w["CA"] += 2000 - float64(inHead.Jobs)
		}
		return w
	}
	check := func(step string) {
		t.Helper()
		for _, c := range []int{0, 10, day, 2*day + 7, 3*day - 2, 3*day - 1} {
			got := byLabel(instant(t, s, `sum by (cloud) (qmonit_jobs{job_status="running"})`, at(c)), "cloud")
			if w := want(c); !maps.Equal(got, w) {
				t.Errorf("%s: cycle %d = %v; want %v", step, c, got, w)
			}
		}
	}
	check("before restart")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("after restart")
	appendCycles(t, s, g, 3*day, 3*day+1)
}
