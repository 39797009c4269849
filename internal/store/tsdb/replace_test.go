package tsdb

import (
	"github.com/qmonit/qmonit/internal/testutil"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// values reads metric m by label q: q -> time -> values found at that time.
func values(t *testing.T, s *Store, m string, from, to time.Time) map[string]map[time.Time][]float64 {
	t.Helper()
	out := make(map[string]map[time.Time][]float64)
	for sr, err := range s.Select(t.Context(), from, to, NameMatcher(m)) {
		if err != nil {
			t.Fatal(err)
		}
		q := sr.Get("q")
		if out[q] == nil {
			out[q] = make(map[time.Time][]float64)
		}
		for i, ts := range sr.T {
			tt := time.UnixMilli(ts).UTC()
			out[q][tt] = append(out[q][tt], sr.V[i])
		}
	}
	return out
}

func smp(q string, t time.Time, v float64) Sample {
	return Sample{Name: MetricJobs1h, Labels: []Label{{"q", q}}, T: t, V: v}
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h := func(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }
	old := h(-72) // beyond the out-of-order window, never written before
	from, to := old, h(10)
	mustAppend := func(ss ...Sample) {
		t.Helper()
		if err := s.Append(t.Context(), ss); err != nil {
			t.Fatal(err)
		}
	}
	mustReplace := func(ss ...Sample) {
		t.Helper()
		if err := s.Replace(t.Context(), ss); err != nil {
			t.Fatalf("Replace() = %v", err)
		}
	}
	type want struct {
		q string
		t time.Time
		v float64
	}
	check := func(step string, ws ...want) {
		t.Helper()
		got := values(t, s, MetricJobs1h, from, to)
		for _, w := range ws {
			if vs := got[w.q][w.t]; len(vs) != 1 || vs[0] != w.v {
				t.Errorf("%s: %s{q=%q} at %s = %v; want [%v]", step, MetricJobs1h, w.q, w.t.Format(time.DateTime), vs, w.v)
			}
		}
		v := byLabel(instant(t, s, MetricJobs1h, h(0)), "q")
		if w := ws[0]; v[w.q] != w.v {
			t.Errorf("%s: PromQL at %s = %v; want %s=%v", step, h(0), v, w.q, w.v)
		}
	}

	mustAppend(smp("a", h(0), 1), smp("b", h(0), 2), smp("a", h(2), 3))
	mustAppend(smp("a", h(1), 4)) // out of order for a: goes to the out-of-order head
	mustReplace(smp("a", h(0), 10), smp("a", h(1), 11), smp("c", h(0), 12), smp("a", old, 13))
	check("first replace",
		want{"a", h(0), 10}, want{"a", h(1), 11}, want{"a", h(2), 3}, want{"b", h(0), 2},
		want{"c", h(0), 12}, want{"a", old, 13})

	mustReplace(smp("a", h(0), 20), smp("a", h(0), 21)) // the last value given wins
	check("second replace", want{"a", h(0), 21}, want{"b", h(0), 2}, want{"a", h(1), 11})

	// A crash now (the files as they are, no Close) keeps the replaced values.
	crash, live := filepath.Join(t.TempDir(), "crash"), s
	testutil.CopyDir(t, dir, crash)
	if s, err = Open(crash, Options{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	check("after a crash", want{"a", h(0), 21}, want{"a", h(1), 11}, want{"b", h(0), 2}, want{"a", old, 13})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = live

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("after reopen",
		want{"a", h(0), 21}, want{"a", h(1), 11}, want{"a", h(2), 3}, want{"b", h(0), 2},
		want{"c", h(0), 12}, want{"a", old, 13})

	// Flushing the out-of-order head (replayed from the WBL) changes nothing.
	if err := s.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("after reopen and flush", want{"a", h(0), 21}, want{"a", h(1), 11}, want{"a", h(2), 3})

	mustReplace(smp("a", h(0), 30), smp("b", h(2), 31))
	mustAppend(smp("a", h(3), 5), smp("b", h(3), 6))
	check("replace after reopen",
		want{"a", h(0), 30}, want{"b", h(2), 31}, want{"a", h(3), 5}, want{"b", h(0), 2}, want{"a", h(2), 3})
}

func TestReplaceErrors(t *testing.T) {
	s := openTest(t, t.TempDir())
	if err := s.Replace(t.Context(), nil); err != nil {
		t.Errorf("Replace(nil) = %v", err)
	}
	if err := s.Replace(t.Context(), []Sample{{Name: "", T: base}}); err == nil {
		t.Error("Replace(no name) = nil error")
	}
	if err := s.Replace(t.Context(), []Sample{{Name: "m"}}); err == nil {
		t.Error("Replace(no time) = nil error")
	}
}

// TestQueryNearReplacedValues guards against a panic in the library: a
// query whose range ends before a tombstone, inside the same chunk, made
// tombstones.Intervals.Add index out of range (see queryable).
func TestQueryNearReplacedValues(t *testing.T) {
	s := openTest(t, t.TempDir())
	g := newGrid(2)
	appendCycles(t, s, g, 0, 12)
	if err := s.Replace(t.Context(), []Sample{jobsSample(g.cycle(9)[0], 500)}); err != nil {
		t.Fatal(err)
	}
	const q = `sum(qmonit_jobs{panda_queue="Q0000_CA"})`
	for _, c := range []int{3, 8, 9, 10} {
		if v := instant(t, s, q, at(c)); len(v) != 1 {
			t.Errorf("instant at cycle %d = %v", c, v)
		}
	}
	if m := rangeQuery(t, s, q, at(2), at(7), 10*time.Minute); len(m) != 1 || len(m[0].Floats) != 6 {
		t.Errorf("range before the replaced value = %v", m)
	}
	for sr, err := range s.Select(t.Context(), at(2), at(7), NameMatcher(MetricJobs)) {
		if err != nil {
			t.Fatal(err)
		}
		if len(sr.T) != 6 {
			t.Errorf("Select %v: %d samples; want 6 (cycles 2..7)", sr.Labels, len(sr.T))
		}
	}
}
