package app

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/absent"
	"github.com/qmonit/qmonit/internal/detect"
	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/sim"
)

// evalResult is how the detector did against the simulator's script.
type evalResult struct {
	scripted, found, detected, falseIncidents int
	days                                      float64
	perCycle                                  time.Duration
	missedByKind                              map[string]int
	falseBy                                   map[string]int // state/kind/direction of false incidents
}

// evaluateDetector replays days of the simulated grid (after one warm-up
// day) through enrichment and the detector, and matches the incidents it
// opens with the scripted ones: a scripted incident is found when an
// incident sharing one of its queues opens within 3 cycles of its start; a
// detected incident that overlaps no scripted one in queues and time is
// false.
func evaluateDetector(tb testing.TB, grid *sim.Grid, ix *enrich.Index, from time.Time, days int, interval time.Duration) evalResult {
	tb.Helper()
	cfg := detect.Default()
	cfg.Interval = interval
	// QMT_FLOOR, QMT_SCORE and QMT_REL override the global thresholds, for
	// tuning runs of the benchmark below.
	if v := os.Getenv("QMT_FLOOR"); v != "" {
		cfg.Floor, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("QMT_SCORE"); v != "" {
		cfg.MinScore, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("QMT_REL"); v != "" {
		cfg.Relative, _ = strconv.ParseFloat(v, 64)
	}
	det, err := detect.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	warm := from.Add(-24 * time.Hour)
	end := from.Add(time.Duration(days) * 24 * time.Hour)
	gone := absent.New(24 * time.Hour) // as serve: drained series read 0
	var opened []detect.Incident
	var spent time.Duration
	cycles := 0
	for t := warm; t.Before(end); t = t.Add(interval) {
		res := enrich.Enrich(statsFromMap(grid.Stats(t, int(interval/time.Minute))), ix, t, interval)
		zeros := gone.Observe(t, res.Points).Zeros
		obs := detectObservations(append(res.Points, zeros...))
		start := time.Now()
		rep := det.Observe(t, obs)
		spent += time.Since(start)
		cycles++
		if !t.Before(from) {
			opened = append(opened, rep.Opened...)
		}
	}
	script := grid.Incidents(from, end)
	r := evalResult{scripted: len(script), detected: len(opened), days: float64(days), perCycle: spent / time.Duration(cycles), missedByKind: map[string]int{}, falseBy: map[string]int{}}
	for _, s := range script {
		if matchScripted(s, opened, interval) {
			r.found++
		} else {
			r.missedByKind[s.Kind]++
		}
	}
	for _, inc := range opened {
		if !explained(inc, script) {
			r.falseIncidents++
			r.falseBy[inc.State+"/"+inc.Kind+"/"+inc.Direction]++
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
		if sharesQueue(s.Queues, inc.Queues) && !inc.Start.Before(s.Start) && !inc.Start.After(s.Start.Add(3*interval)) {
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

// BenchmarkDetectorAgainstSimulatedGrid reports recall (scripted incidents
// found within 3 cycles), false incidents per simulated day and detector
// time per cycle over 2 simulated days of the default grid. It reports
// figures and asserts nothing: thresholds are tuned against these numbers.
func BenchmarkDetectorAgainstSimulatedGrid(b *testing.B) {
	u := simCatalog(b)
	grid := sim.New(sim.Options{Seed: 1, Queues: 1000})
	from := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	var r evalResult
	for b.Loop() {
		r = evaluateDetector(b, grid, u.catalog.Index(), from, 2, 10*time.Minute)
	}
	b.ReportMetric(float64(r.found)/float64(max(r.scripted, 1)), "recall")
	b.ReportMetric(float64(r.falseIncidents)/r.days, "false/day")
	b.ReportMetric(float64(r.perCycle.Microseconds())/1000, "detect-ms/cycle")
	b.Logf("scripted %d, found %d, detected %d, false %d, missed by kind %v, false by state/kind/direction %v",
		r.scripted, r.found, r.detected, r.falseIncidents, r.missedByKind, r.falseBy)
}
