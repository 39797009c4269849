package app

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/absent"
	"github.com/qmonit/qmonit/internal/detect"
	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/sim"
)

// evalWindow is how soon after its start a scripted incident must be found.
const evalWindow = 3 // cycles

// evalResult is how the detector did against the simulator's script.
type evalResult struct {
	scripted, found, detected int
	misses                    []string // one line per scripted incident not found, with why
	falses                    []string // one line per detected incident no scripted one explains
	days                      float64
	cycles                    int           // evaluated (after the warm-up)
	detect                    time.Duration // inside Observe, over the evaluated cycles
}

func (r evalResult) recall() float64 { return float64(r.found) / float64(max(r.scripted, 1)) }

func (r evalResult) falsePerDay() float64 { return float64(len(r.falses)) / r.days }

func (r evalResult) msPerCycle() float64 {
	return float64(r.detect.Microseconds()) / 1000 / float64(max(r.cycles, 1))
}

func (r evalResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%.0f days: scripted %d, found %d within %d cycles (recall %.3f), detected %d, false %d (%.2f/day), detector %.2f ms/cycle",
		r.days, r.scripted, r.found, evalWindow, r.recall(), r.detected, len(r.falses), r.falsePerDay(), r.msPerCycle())
	for _, m := range r.misses {
		b.WriteString("\n  missed: " + m)
	}
	for _, f := range r.falses {
		b.WriteString("\n  false: " + f)
	}
	return b.String()
}

// evalOptions is one evaluation run: days of the grid from From, after a
// warm-up, at the interval, with the detector configured by cfg.
type evalOptions struct {
	from     time.Time
	days     int
	warm     time.Duration
	interval time.Duration
	cfg      detect.Config
}

// evaluateDetector replays the simulated grid (warm-up, then days) through
// enrichment, the absent tracker (drained series read 0, as in serve) and
// the detector, and matches the incidents it opens with the scripted ones:
// a scripted incident is found when an incident sharing one of its queues
// opens within evalWindow cycles of its start; a detected incident that
// overlaps no scripted one in queues and time is false. For a miss it says
// why: the incident opened late or early, or the strongest deviation among
// its queues' series in its first cycles and the thresholds it missed.
func evaluateDetector(tb testing.TB, grid *sim.Grid, ix *enrich.Index, o evalOptions) evalResult {
	tb.Helper()
	det, err := detect.New(o.cfg)
	if err != nil {
		tb.Fatal(err)
	}
	end := o.from.Add(time.Duration(o.days) * 24 * time.Hour)
	script := grid.Incidents(o.from, end)
	diag := newMissDiagnosis(script, o.interval)
	gone := absent.New(24 * time.Hour)
	r := evalResult{scripted: len(script), days: float64(o.days)}
	var opened []detect.Incident
	for t := o.from.Add(-o.warm); t.Before(end); t = t.Add(o.interval) {
		res := enrich.Enrich(statsFromMap(grid.Stats(t, int(o.interval/time.Minute))), ix, t, o.interval)
		obs := detectObservations(append(res.Points, gone.Observe(t, res.Points).Zeros...))
		diag.before(det, t, obs)
		start := time.Now()
		rep := det.Observe(t, obs)
		if !t.Before(o.from) { // full baselines: the warm-up fills them at a lower cost
			r.detect += time.Since(start)
			r.cycles++
			opened = append(opened, rep.Opened...)
		}
	}
	r.detected = len(opened)
	for _, s := range script {
		if matchScripted(s, opened, o.interval) {
			r.found++
		} else {
			r.misses = append(r.misses, diag.why(s, opened, o.cfg))
		}
	}
	for _, inc := range opened {
		if !explained(inc, script) {
			r.falses = append(r.falses, fmt.Sprintf("%s %s %s/%s %s %v", inc.Start.Format(time.RFC3339), inc.Kind,
				inc.State, inc.Direction, inc.Group, inc.Queues))
		}
	}
	return r
}

func sharesQueue(a, b []string) bool {
	set := make(map[string]bool, len(a))
	for _, q := range a {
		set[q] = true
	}
	for _, q := range b {
		if set[q] {
			return true
		}
	}
	return false
}

func matchScripted(s sim.Incident, opened []detect.Incident, interval time.Duration) bool {
	for _, inc := range opened {
		if sharesQueue(s.Queues, inc.Queues) && !inc.Start.Before(s.Start) && !inc.Start.After(s.Start.Add(evalWindow*interval)) {
			return true
		}
	}
	return false
}

func explained(inc detect.Incident, script []sim.Incident) bool {
	for _, s := range script {
		end := inc.Start.Add(time.Hour)
		if s.End != nil {
			end = s.End.Add(12 * time.Hour) // recoveries after the script's end count as the same incident
		}
		if sharesQueue(s.Queues, inc.Queues) && !inc.Start.Before(s.Start) && inc.Start.Before(end) {
			return true
		}
	}
	return false
}

// missDiagnosis records, for each scripted incident's first cycles, the
// strongest deviation among its queues' watched series against the
// detector's baseline before that cycle.
type missDiagnosis struct {
	interval time.Duration
	script   []sim.Incident
	best     map[int]string // by script index
	score    map[int]float64
}

func newMissDiagnosis(script []sim.Incident, interval time.Duration) *missDiagnosis {
	return &missDiagnosis{interval: interval, script: script, best: map[int]string{}, score: map[int]float64{}}
}

func (m *missDiagnosis) before(det *detect.Detector, t time.Time, obs []detect.Observation) {
	var live []int
	for i, s := range m.script {
		if !t.Before(s.Start) && t.Before(s.Start.Add(evalWindow*m.interval)) {
			live = append(live, i)
		}
	}
	if len(live) == 0 {
		return
	}
	base := map[point.Key]detect.SeriesState{}
	for _, st := range det.Snapshot().Series {
		base[st.Key] = st
	}
	cfg := det.Config()
	for _, i := range live {
		qs := map[string]bool{}
		for _, q := range m.script[i].Queues {
			qs[q] = true
		}
		for _, o := range obs {
			st, ok := base[o.Key]
			if !ok || !qs[o.Key.Queue] {
				continue
			}
			abs := o.Value - st.Median
			score := math.Abs(abs) / math.Max(1.4826*st.MAD, 1)
			if score <= m.score[i] && m.best[i] != "" {
				continue
			}
			m.score[i] = score
			floor, minScore := cfg.Floor, cfg.MinScore
			if f, ok := cfg.StateFloor[o.Key.Status]; ok {
				floor = f
			}
			if s, ok := cfg.StateMinScore[o.Key.Status]; ok {
				minScore = s
			}
			m.best[i] = fmt.Sprintf("strongest at %s: %s/%s/%s %s = %.0f vs median %.1f (MAD %.1f, %d samples): abs %.0f (floor %.0f), rel %.2f (%.2f), score %.1f (%.1f)",
				t.Format("15:04"), o.Key.Queue, o.Key.ProdSource, o.Key.Resource, o.Key.Status, o.Value, st.Median, st.MAD,
				st.Samples, abs, floor, abs/math.Max(st.Median, 1), cfg.Relative, score, minScore)
		}
	}
}

// why explains a miss: an incident on its queues opened too early or too
// late, or the strongest deviation seen did not pass the thresholds.
func (m *missDiagnosis) why(s sim.Incident, opened []detect.Incident, cfg detect.Config) string {
	head := fmt.Sprintf("%s at %s on %d queue(s) %v", s.Kind, s.Start.Format(time.RFC3339), len(s.Queues), s.Queues[:min(len(s.Queues), 3)])
	for _, inc := range opened {
		if sharesQueue(s.Queues, inc.Queues) && inc.Start.After(s.Start.Add(-time.Hour)) && inc.Start.Before(s.Start.Add(6*time.Hour)) {
			return fmt.Sprintf("%s: an incident on its queues opened at %+d cycles (%s %s/%s)", head,
				int(inc.Start.Sub(s.Start)/m.interval), inc.Kind, inc.State, inc.Direction)
		}
	}
	for i := range m.script {
		if m.script[i].Start.Equal(s.Start) && m.script[i].Kind == s.Kind && m.best[i] != "" {
			return head + ": no incident; " + m.best[i]
		}
	}
	return head + ": no incident and no watched series of its queues had a baseline"
}

// evalConfig is the default detector at interval; QMT_FLOOR, QMT_SCORE,
// QMT_REL and QMT_STATE_FLOOR ("failed=5,activated=200") override it for
// tuning runs, QMT_SEASONAL=1 switches the seasonal baseline on and
// QMT_SEASONAL_DAYS and QMT_SEASONAL_WIDTH ("30m") tune it.
func evalConfig(tb testing.TB, interval time.Duration) detect.Config {
	tb.Helper()
	cfg := detect.Default()
	cfg.Interval = interval
	num := func(name string, dst *float64) {
		if v := os.Getenv(name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("%s=%q: %v", name, v, err)
			}
			*dst = f
		}
	}
	num("QMT_FLOOR", &cfg.Floor)
	num("QMT_SCORE", &cfg.MinScore)
	num("QMT_REL", &cfg.Relative)
	if v := os.Getenv("QMT_SEASONAL"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			tb.Fatalf("QMT_SEASONAL=%q: %v", v, err)
		}
		cfg.Seasonal = on
	}
	if v := os.Getenv("QMT_SEASONAL_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			tb.Fatalf("QMT_SEASONAL_DAYS=%q: %v", v, err)
		}
		cfg.SeasonalDays = n
	}
	if v := os.Getenv("QMT_SEASONAL_WIDTH"); v != "" {
		w, err := time.ParseDuration(v)
		if err != nil {
			tb.Fatalf("QMT_SEASONAL_WIDTH=%q: %v", v, err)
		}
		cfg.SeasonalWidth = w
	}
	if v := os.Getenv("QMT_STATE_FLOOR"); v != "" {
		for kv := range strings.SplitSeq(v, ",") {
			state, f, _ := strings.Cut(kv, "=")
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				tb.Fatalf("QMT_STATE_FLOOR %q: %v", kv, err)
			}
			cfg.StateFloor[state] = x
		}
	}
	return cfg
}

// simIndex returns the catalog index of the default simulated grid of n
// queues (seed 1).
func simIndex(tb testing.TB, queues int) *enrich.Index {
	tb.Helper()
	_, cfg := simConfig(tb, queues, nil)
	u, err := newUpstreams(cfg, discardLogger(), time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	if err := u.catalog.Refresh(tb.Context(), simTime); err != nil {
		tb.Fatal(err)
	}
	return u.catalog.Index()
}

var evalFrom = time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)

// TestDetectorAgainstSimulatedGrid guards the evaluation in `make test` on
// a smaller grid and fewer days than the benchmark: every scripted incident
// found within 3 cycles, under one false incident per simulated day.
func TestDetectorAgainstSimulatedGrid(t *testing.T) {
	if testing.Short() {
		t.Skip("replays two simulated days of a 200-queue grid")
	}
	const queues = 200
	grid := sim.New(sim.Options{Seed: 1, Queues: queues})
	iv := 10 * time.Minute
	cfg := evalConfig(t, iv)
	r := evaluateDetector(t, grid, simIndex(t, queues), evalOptions{
		from: evalFrom, days: 2, warm: max(12*time.Hour, cfg.Span()), interval: iv, cfg: cfg,
	})
	t.Log(r)
	if r.scripted == 0 || r.recall() != 1 || r.falsePerDay() >= 1 {
		t.Errorf("recall %.3f (want 1), false incidents %.2f/day (want < 1):\n%v", r.recall(), r.falsePerDay(), r)
	}
}

// BenchmarkDetectorAgainstSimulatedGrid is the 7-day evaluation at the
// default grid (1,000 queues) and interval: it reports recall (scripted
// incidents found within 3 cycles), false incidents per simulated day and
// detector time per cycle, and logs every miss (with why) and every false
// incident. The warm-up before the 7 days is the baseline span (a day, or
// the seasonal days). QMT_DAYS changes the number of days; see evalConfig
// for the threshold overrides and the seasonal baseline (QMT_SEASONAL=1).
// It asserts nothing: thresholds are tuned on it.
func BenchmarkDetectorAgainstSimulatedGrid(b *testing.B) {
	days := 7
	if v := os.Getenv("QMT_DAYS"); v != "" {
		var err error
		if days, err = strconv.Atoi(v); err != nil || days < 1 {
			b.Fatalf("QMT_DAYS=%q: want a positive integer", v)
		}
	}
	grid := sim.New(sim.Options{Seed: 1, Queues: 1000})
	ix := simIndex(b, 1000)
	iv := 10 * time.Minute
	cfg := evalConfig(b, iv)
	var r evalResult
	for b.Loop() {
		r = evaluateDetector(b, grid, ix, evalOptions{from: evalFrom, days: days, warm: max(24*time.Hour, cfg.Span()), interval: iv, cfg: cfg})
	}
	b.ReportMetric(r.recall(), "recall")
	b.ReportMetric(float64(len(r.misses)), "misses")
	b.ReportMetric(r.falsePerDay(), "false/day")
	b.ReportMetric(r.msPerCycle(), "detect-ms/cycle")
	b.Log(r)
}
