package tsdb

import (
	"errors"
	"github.com/qmonit/qmonit/internal/testutil"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/qmonit/qmonit/internal/point"
)

func TestEngineSumByCloud(t *testing.T) {
	s := openTest(t, t.TempDir())
	g := newGrid(36)
	appendCycles(t, s, g, 0, 6)
	const q = `sum by (cloud) (qmonit_jobs{job_status="running"})`

	// 15 minutes after the last cycle: the library's 5m lookback finds nothing.
	got := byLabel(instant(t, s, q, at(5).Add(15*time.Minute)), "cloud")
	if want := g.running(5); !maps.Equal(got, want) {
		t.Errorf("instant at +15m = %v; want %v", got, want)
	}
	for _, off := range []time.Duration{0, 5 * time.Minute} {
		m := rangeQuery(t, s, q, at(0).Add(off), at(5).Add(off), 10*time.Minute)
		if len(m) != len(clouds) {
			t.Fatalf("range (offset %s): %d series; want %d", off, len(m), len(clouds))
		}
		for _, series := range m {
			cloud := series.Metric.Get("cloud")
			if len(series.Floats) != 6 {
				t.Fatalf("range (offset %s) cloud %s: %d steps; want 6", off, cloud, len(series.Floats))
			}
			for c, f := range series.Floats {
				if want := g.running(c)[cloud]; f.F != want {
					t.Errorf("range (offset %s) cloud %s step %d = %v; want %v", off, cloud, c, f.F, want)
				}
			}
		}
	}
}

func TestRollupQueryOpts(t *testing.T) {
	s := openTest(t, t.TempDir())
	for h := range 3 {
		err := s.Append(t.Context(), []Sample{{Name: MetricJobs1h, Labels: []Label{{"cloud", "CA"}}, T: base.Add(time.Duration(h) * time.Hour), V: float64(h)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	from, to := base.Add(30*time.Minute), base.Add(150*time.Minute)
	if m := rangeQuery(t, s, MetricJobs1h, from, to, time.Hour); len(m) != 0 {
		t.Errorf("default lookback, steps between buckets = %v; want nothing (20m lookback)", m)
	}
	m := rangeQueryOpts(t, s, RollupQueryOpts(time.Hour), MetricJobs1h, from, to, time.Hour)
	if len(m) != 1 || len(m[0].Floats) != 3 || m[0].Floats[2].F != 2 {
		t.Errorf("rollup lookback = %v; want the 3 buckets", m)
	}
}

func TestHostileLabelValues(t *testing.T) {
	hostile := []string{
		`ANALY_with space`, `a,b=c`, `<img src=x onerror=alert(1)>`, `quote"and\backslash`,
		"new\nline", `Zürich-東京 ✓`, `{}[]()|.*+?^$`, "tab\there",
	}
	s := openTest(t, t.TempDir())
	a := &point.Attrs{}
	for i := range a {
		a[i] = `"';--`
	}
	var pts []point.Point
	for _, q := range hostile {
		pts = append(pts, point.Point{Time: base, Queue: q, ProdSource: "p", Resource: "r", Status: "running", Attrs: a, Jobs: int64(len(q))})
	}
	pts = append(pts, point.Point{Time: base, Queue: "bad\xffutf8", ProdSource: "p", Resource: "r", Status: "running", Attrs: a, Jobs: 1})
	if err := s.AppendPoints(t.Context(), pts); err != nil {
		t.Fatal(err)
	}
	for _, q := range append(hostile, "bad\uFFFDutf8") {
		sel := `{panda_queue=` + strconv.Quote(q) + `}`
		if strings.ContainsRune(q, utf8.RuneError) {
			// PromQL rejects U+FFFD in string literals; a regex still finds it.
			sel = `{panda_queue=~"bad.utf8"}`
		}
		v := instant(t, s, `qmonit_jobs`+sel, base)
		if len(v) != 1 || v[0].Metric.Get("panda_queue") != q || v[0].Metric.Get("cloud") != `"';--` {
			t.Errorf("query panda_queue=%q = %v; want one series with that value", q, v)
		}
		var n int
		for sr, err := range s.Select(t.Context(), base, base, labels.MustNewMatcher(labels.MatchEqual, "panda_queue", q)) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if sr.Get("panda_queue") != q || len(sr.Labels) != 22 {
				t.Errorf("Select(%q) labels = %v", q, sr.Labels)
			}
		}
		if n != 1 {
			t.Errorf("Select(%q) = %d series; want 1", q, n)
		}
	}
	rse := `CERN-PROD_DATADISK <b>x</b>`
	err := s.Append(t.Context(), []Sample{{Name: MetricDatadiskBytes, Labels: []Label{{LabelRSE, rse}}, T: base, V: 42}})
	if err != nil {
		t.Fatal(err)
	}
	if v := instant(t, s, MetricDatadiskBytes+`{rse=`+strconv.Quote(rse)+`}`, base); len(v) != 1 || v[0].F != 42 {
		t.Errorf("datadisk query = %v", v)
	}
}

func TestAppendAllOrNothing(t *testing.T) {
	s := openTest(t, t.TempDir())
	ls := []Label{{"queue", "q"}}
	if err := s.Append(t.Context(), []Sample{{Name: "m", Labels: ls, T: base, V: 1}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, want string
		batch      []Sample
	}{
		{"different value at the same time", "duplicate sample", []Sample{
			{Name: "m", Labels: []Label{{"queue", "other"}}, T: base, V: 5},
			{Name: "m", Labels: ls, T: base, V: 2},
		}},
		{"older than the out-of-order window", "too old", []Sample{
			{Name: "m", Labels: []Label{{"queue", "other"}}, T: base, V: 5},
			{Name: "m", Labels: ls, T: base.Add(-49 * time.Hour), V: 2},
		}},
		{"no name", "empty metric name", []Sample{{Labels: ls, T: base, V: 2}}},
		{"name as label", "set Sample.Name", []Sample{{Name: "m", Labels: []Label{{"__name__", "x"}}, T: base}}},
		{"duplicate label", "duplicate label", []Sample{{Name: "m", Labels: []Label{{"a", "1"}, {"a", "2"}}, T: base}}},
		{"no time", "no time", []Sample{{Name: "m", Labels: ls, V: 2}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Append(t.Context(), tt.batch)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Append() = %v; want error containing %q", err, tt.want)
			}
			if v := instant(t, s, `m`, base); len(v) != 1 || v[0].F != 1 {
				t.Errorf("after failed Append, m = %v; want only the first sample", v)
			}
		})
	}
}

func TestUncleanRestart(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, filepath.Join(dir, "a"))
	g := newGrid(12)
	appendCycles(t, s, g, 0, 3)
	// A crash leaves the files as they are now: copy them while the store runs.
	testutil.CopyDir(t, filepath.Join(dir, "a"), filepath.Join(dir, "b"))

	var logs logBuffer
	s2, err := Open(filepath.Join(dir, "b"), Options{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	if !strings.Contains(logs.String(), "unclean stop") || !strings.Contains(logs.String(), "duration_seconds=") {
		t.Errorf("log = %s; want the unclean-stop line with its duration", logs.String())
	}
	for c := range 3 {
		got := byLabel(instant(t, s2, `sum by (cloud) (qmonit_jobs{job_status="running"})`, at(c)), "cloud")
		if want := g.running(c); !maps.Equal(got, want) {
			t.Errorf("cycle %d after crash = %v; want %v", c, got, want)
		}
	}
	// The recovered store takes new cycles.
	appendCycles(t, s2, g, 3, 4)
}

func TestCleanRestartAndStats(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g := newGrid(4)
	appendCycles(t, s, g, 0, 3)
	st := s.Stats()
	if st.HeadSeries != 100 || st.HeadSamples != 300 || st.DiskBytes == 0 || !st.HeadMaxTime.Equal(at(2)) {
		t.Errorf("Stats() = %+v; want 100 series, 300 samples, max time %s", st, at(2))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendPoints(t.Context(), g.cycle(3)); !errors.Is(err, ErrClosed) {
		t.Errorf("AppendPoints after Close = %v; want ErrClosed", err)
	}
	if st := s.Stats(); st != (Stats{}) {
		t.Errorf("Stats after Close = %+v; want zero", st)
	}
	for _, err := range s.Select(t.Context(), base, at(3), NameMatcher(MetricJobs)) {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Select after Close = %v; want ErrClosed", err)
		}
	}
	var logs logBuffer
	s2, err := Open(dir, Options{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if strings.Contains(logs.String(), "unclean") || !strings.Contains(logs.String(), "tsdb opened") {
		t.Errorf("log after a clean stop = %s", logs.String())
	}
	if got := s2.Stats().HeadSamples; got != 300 {
		t.Errorf("HeadSamples after reopen = %d; want 300", got)
	}
}

func TestOpenUnusableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(dir string) {
		t.Helper()
		s, err := Open(dir, Options{}, nil)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) = nil error", dir)
		}
		if !strings.Contains(err.Error(), strconv.Quote(dir)) {
			t.Errorf("Open(%q) = %v; want the directory named", dir, err)
		}
	}
	check(filepath.Join(file, "sub"))
	t.Run("read-only", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores directory permissions")
		}
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		check(ro)
	})
	if _, err := Open(t.TempDir(), Options{OutOfOrderWindow: -time.Hour}, nil); err == nil {
		t.Error("Open with a negative window = nil error")
	}
}

func TestAttributeChangeMakesNewSeries(t *testing.T) {
	s := openTest(t, t.TempDir())
	g := newGrid(2)
	appendCycles(t, s, g, 0, 1)
	moved := *g.attrs[0]
	moved[point.Cloud] = "XX"
	g.attrs[0] = &moved
	appendCycles(t, s, g, 1, 2)
	v := instant(t, s, `count(count_over_time(qmonit_jobs{panda_queue="Q0000_CA"}[30m]))`, at(1))
	if len(v) != 1 || v[0].F != 50 {
		t.Errorf("series of the moved queue = %v; want 50 (25 old + 25 new)", v)
	}
	if len(s.points.m) != 50 {
		t.Errorf("point cache holds %d keys; want 50", len(s.points.m))
	}
}

func TestCacheEviction(t *testing.T) {
	c := newPointRefs()
	g := newGrid(2)
	pts := g.cycle(0)
	for i := range pts {
		c.get(i, &pts[i], int64(100+i%2))
	}
	c.sweep(101)
	if len(c.m) != len(pts)/2 {
		t.Errorf("after sweep %d entries; want %d", len(c.m), len(pts)/2)
	}
}
