package web

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

var nan0 = math.NaN()

func floatsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) })
}

func TestAddInto(t *testing.T) {
	for _, tt := range []struct {
		name          string
		dst, src, out []float64
	}{
		{"nil dst copies", nil, []float64{1, nan0}, []float64{1, nan0}},
		{"nil src", []float64{1}, nil, []float64{1}},
		{"missing is not zero", []float64{1, nan0, nan0, 2}, []float64{nan0, 3, nan0, 4}, []float64{1, 3, nan0, 6}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := addInto(slices.Clone(tt.dst), tt.src); !floatsEqual(got, tt.out) {
				t.Errorf("addInto = %v, want %v", got, tt.out)
			}
		})
	}
	src := []float64{1}
	got := addInto(nil, src)
	got[0] = 9
	if src[0] != 1 {
		t.Error("addInto(nil, src) aliases src")
	}
}

func TestTopGroups(t *testing.T) {
	totals := map[string][]float64{"a": {1, 1}, "b": {5, nan0}, "c": {2, 3}, "d": {2, 3}, "e": {0, 0}}
	for _, tt := range []struct {
		n    int
		want []string
	}{
		{1, []string{"b"}},
		{3, []string{"b", "c", "d"}},           // c and d tie on 5: by name
		{4, []string{"b", "c", "d", "a", "e"}}, // one left over is drawn apart, not as "other"
		{9, []string{"b", "c", "d", "a", "e"}},
	} {
		if got := topGroups(totals, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("topGroups(n=%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestChartOf(t *testing.T) {
	by := map[string][]float64{"a": {1, 2}, "b": {3, nan0}, "c": {nan0, 4}, "z": {1, 1}}
	got := chartOf(by, []string{"b", "a", "missing"})
	want := []chartSeries{{Name: "b", Values: []num{3, num(nan0)}}, {Name: "a", Values: []num{1, 2}}, {Name: "other", Other: true, Values: []num{1, 5}}}
	if len(got) != len(want) {
		t.Fatalf("chartOf = %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Other != want[i].Other || !floatsEqual(toFloats(got[i].Values), toFloats(want[i].Values)) {
			t.Errorf("series %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := chartOf(map[string][]float64{"a": {1}}, []string{"a"}); len(got) != 1 {
		t.Errorf("no other group: %+v", got)
	}
}

func toFloats(v []num) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestFailurePct(t *testing.T) {
	for _, tt := range []struct{ failed, finished, want float64 }{
		{1, 3, 25}, {0, 10, 0}, {5, 0, 100}, {0, 0, nan0},
	} {
		if got := float64(failurePct(tt.failed, tt.finished)); got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("failurePct(%v, %v) = %v, want %v", tt.failed, tt.finished, got, tt.want)
		}
	}
}

func TestOrderStates(t *testing.T) {
	got := orderStates(map[string]bool{"failed": true, "zz": true, "running": true, "activated": true, "No value": true, "finished": true})
	want := []string{"activated", "running", "finished", "failed", "No value", "zz"}
	if !slices.Equal(got, want) {
		t.Errorf("orderStates = %q, want %q", got, want)
	}
}

func ls(kv ...string) labels.Labels { return labels.FromStrings(kv...) }

// iter returns an iterator over samples (t in minutes after now0, value).
func iter(t *testing.T, tv ...float64) chunkenc.Iterator {
	t.Helper()
	c := chunkenc.NewXORChunk()
	app, err := c.Appender()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(tv); i += 2 {
		app.Append(0, now0.Add(time.Duration(tv[i])*time.Minute).UnixMilli(), tv[i+1])
	}
	return c.Iterator(nil)
}

// TestJobsAgg checks the page's arithmetic on a small case: samples to
// their slots (a missed cycle is a gap), final states of rollups per
// interval, cores, failure % over the chart only, the current numbers from
// the newest slot with data, and the table's totals.
func TestJobsAgg(t *testing.T) {
	g := steps{Start: now0, Step: 10 * time.Minute, N: 4} // slots at 0, 10, 20, 30 min
	a := newJobsAgg("cloud", g, 1, 2)                     // chart from slot 1; finals are sums over 2 intervals
	a.factor = func(q, res string) float64 {
		if res == "MCORE" {
			return 8
		}
		return 1
	}
	add := func(it chunkenc.Iterator, kv ...string) {
		t.Helper()
		if err := a.add(ls(kv...), it); err != nil {
			t.Fatal(err)
		}
	}
	add(iter(t, -10, 99, -5, 1, 0, 2, 10, 3, 25, 4, 30, 5, 40, 77), "cloud", "DE", "job_status", "running", "resource", "SCORE")
	add(iter(t, 0, 1, 10, 1, 20, 1), "cloud", "DE", "job_status", "running", "resource", "MCORE")
	add(iter(t, 10, 4, 20, 6), "cloud", "DE", "job_status", "finished")
	add(iter(t, 0, 100, 10, 2, 20, 2), "cloud", "DE", "job_status", "failed")
	add(iter(t, 10, 5, 20, math.Float64frombits(0x7ff0000000000002)), "cloud", "FR", "job_status", "activated") // then a staleness marker
	add(iter(t), "cloud", "IT", "job_status", "running")

	// DE running SCORE: -5 -> slot 0 (the newest of the samples before it
	// wins), 25 -> slot 3, then 30 overwrites it; 40 is after the grid.
	want := map[string][]float64{
		"DE": {2 + 1 + 100/2.0, 3 + 1 + 4/2.0 + 2/2.0, nan0 + 1 + 6/2.0 + 2/2.0, 5},
		"FR": {nan0, 5, nan0, nan0},
	}
	want["DE"][2] = 1 + 3 + 1
	for grp, w := range want {
		if got := a.totals[grp]; !floatsEqual(got, w) {
			t.Errorf("totals[%s] = %v, want %v", grp, got, w)
		}
	}
	if _, ok := a.totals["IT"]; ok {
		t.Error("a series without samples made a group")
	}
	if got := a.cores["DE"]; !floatsEqual(got, []float64{2 + 8, 3 + 8, 8, 5}) {
		t.Errorf("cores[DE] = %v", got)
	}
	if f := a.finals["DE"]; f[0] != 2 || f[1] != 5 { // slots 1.. only, per interval
		t.Errorf("finals[DE] = %v, want failed 2, finished 5", *f)
	}
	cur, at, ok := a.current()
	if !ok || !at.Equal(now0.Add(30*time.Minute)) {
		t.Fatalf("current at %v, %v", at, ok)
	}
	if len(cur) != 1 || cur[0].V != 5 || cur[0].Labels.Get("job_status") != "running" {
		t.Errorf("current = %+v, want DE running 5 only", cur)
	}

	ans := buildJobs(a, steps{Start: now0.Add(10 * time.Minute), Step: g.Step, N: 3}, resolution{Step: g.Step, Bucket: time.Hour, Interval: 30 * time.Minute})
	if len(ans.Jobs) != 2 || ans.Jobs[0].Name != "DE" || len(ans.Jobs[0].Values) != 3 || ans.Jobs[0].Values[0] != 7 {
		t.Errorf("jobs chart %+v", ans.Jobs)
	}
	if len(ans.SparkTimes) != 4 || len(ans.spark["DE"]) != 4 {
		t.Errorf("spark %v %v", ans.SparkTimes, ans.spark)
	}

	// The state filter: only activated counts, running still makes cores.
	b := newJobsAgg("cloud", g, 0, 1)
	b.keep = func(st string) bool { return st == "activated" }
	b.factor = a.factor
	if err := b.add(ls("cloud", "DE", "job_status", "running", "resource", "SCORE"), iter(t, 0, 3)); err != nil {
		t.Fatal(err)
	}
	if len(b.totals) != 0 || b.cores["DE"][0] != 3 {
		t.Errorf("filtered: totals %v cores %v", b.totals, b.cores)
	}
	if _, _, ok := b.current(); ok {
		t.Error("current numbers of a filtered-out state")
	}
}

func TestCurrentTable(t *testing.T) {
	current := []sample{
		{ls("cloud", "DE", "job_status", "running"), 111},
		{ls("cloud", "DE", "job_status", "failed"), 9},
		{ls("cloud", "FR", "job_status", "running"), 12},
		{ls("cloud", "IT", "job_status", "activated"), 5},
	}
	finals := map[string]*[2]float64{"DE": {10, 30}, "ES": {1, 1}}
	spark := map[string][]float64{"DE": {1, 2, 3}}
	states, rows, total := currentTable("cloud", current, finals, spark)
	if !slices.Equal(states, []string{"activated", "running", "failed"}) {
		t.Errorf("states %q", states)
	}
	names := []string{}
	for _, r := range rows {
		names = append(names, r.Group)
	}
	if !slices.Equal(names, []string{"DE", "FR", "IT", "ES"}) {
		t.Fatalf("rows %q, want by current total, groups without current numbers last", names)
	}
	de := rows[0]
	if de.Total != 120 || !floatsEqual(toFloats(de.Current), []float64{0, 111, 9}) || de.FailurePct != 25 {
		t.Errorf("DE row %+v", de)
	}
	if !math.IsNaN(float64(rows[1].FailurePct)) || !math.IsNaN(float64(rows[3].Total)) {
		t.Errorf("FR failure %v, ES total %v: want null", rows[1].FailurePct, rows[3].Total)
	}
	var sum float64
	for _, r := range rows {
		sum += finiteOr(r.Total, 0)
	}
	if float64(total.Total) != sum || total.Total != 137 || !floatsEqual(toFloats(total.Current), []float64{5, 123, 9}) {
		t.Errorf("total row %+v, sum of rows %v", total, sum)
	}
	if want := 100 * 11.0 / 42; math.Abs(float64(total.FailurePct)-want) > 1e-9 {
		t.Errorf("total failure %% = %v, want %v", total.FailurePct, want)
	}
	if !floatsEqual(toFloats(total.Spark), []float64{1, 2, 3}) || len(rows[2].Spark) != 0 {
		t.Errorf("sparks: total %v, IT %v", total.Spark, rows[2].Spark)
	}
}

func TestSparkIndexes(t *testing.T) {
	for _, tt := range []struct {
		slots, every, n int
		want            []int
	}{
		{145, 6, 25, []int{1, 7, 13, 19, 25, 31, 37, 43, 49, 55, 61, 67, 73, 79, 85, 91, 97, 103, 109, 115, 121, 127, 133, 139, 144}[0:0]},
		{10, 1, 25, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{13, 6, 25, []int{0, 6, 12}},
		{0, 1, 5, nil},
	} {
		got := sparkIndexes(tt.slots, tt.every, tt.n)
		if tt.slots == 145 {
			if len(got) != 25 || got[24] != 144 || got[0] != 0 || got[1] != 6 {
				t.Errorf("sparkIndexes(145, 6, 25) = %v", got)
			}
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("sparkIndexes(%d, %d, %d) = %v, want %v", tt.slots, tt.every, tt.n, got, tt.want)
		}
	}
}
