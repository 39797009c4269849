package detect

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const warm = 150 // cycles of normal history before an event

// noisy is base plus a deterministic wobble of -5..5.
func noisy(base float64, i int) float64 { return base + float64((i*7)%11-5) }

func attrs(cloud, site, state string) point.Attrs {
	var a point.Attrs
	for i := range a {
		a[i] = point.NoValue
	}
	a[point.Cloud], a[point.AtlasSite], a[point.SiteState] = cloud, site, state
	a[point.Harvester], a[point.PilotVersion] = "harvester-1", "3.9"
	return a
}

func ob(queue, status string, v float64, a point.Attrs) Observation {
	return Observation{Key: point.Key{Queue: queue, ProdSource: "managed", Resource: "SCORE", Status: status},
		Value: v, Present: true, Attrs: a}
}

type want struct {
	opened, closed int
	openAt         int // cycle of the first opening
	kind, state    string
	dir, group     string
	queues         int
	expected       bool
	stateChange    bool
}

// seasonalDefault is Default with the seasonal baseline on.
func seasonalDefault() Config {
	c := Default()
	c.Seasonal = true
	return c
}

// TestScenarios runs each crafted series through the trailing and the
// seasonal baseline; warm (150 cycles) gives the seasonal one 13 values of
// the day before, just over MinHistory.
func TestScenarios(t *testing.T) {
	de := attrs("DE", "SITE-A", "online")
	for _, tt := range []struct {
		name         string
		cycles       int
		gen          func(i int) []Observation
		want         want
		trailingOnly string // why the case does not hold with the seasonal baseline
	}{
		{name: "drain then recovery", cycles: warm + 10, gen: func(i int) []Observation {
			v := noisy(100, i)
			if i >= warm && i < warm+5 {
				v = 0
			}
			return []Observation{ob("Q1", "running", v, de)}
		}, want: want{opened: 1, closed: 1, openAt: warm + 2, kind: KindQueue, state: "running", dir: Drop, queues: 1}},
		{name: "spike", cycles: warm + 5, gen: func(i int) []Observation {
			v := noisy(50, i)
			if i >= warm {
				v = 300
			}
			return []Observation{ob("Q1", "activated", v, de)}
		}, want: want{opened: 1, openAt: warm + 2, kind: KindQueue, state: "activated", dir: Rise, queues: 1}},
		{name: "failure burst", cycles: warm + 5, gen: func(i int) []Observation {
			v := float64(5 + i%3)
			if i >= warm {
				v = 80
			}
			return []Observation{ob("Q1", "failed", v, de)}
		}, want: want{opened: 1, openAt: warm + 2, kind: KindQueue, state: "failed", dir: Rise, queues: 1}},
		{name: "slow linear ramp", cycles: 400, gen: func(i int) []Observation {
			return []Observation{ob("Q1", "running", 100+2*float64(i), de)}
		}, want: want{}, trailingOnly: "+288 jobs a day: the same hour yesterday is 70 % lower"},
		{name: "slow exponential ramp", cycles: 400, gen: func(i int) []Observation {
			return []Observation{ob("Q1", "running", math.Round(100*math.Pow(1.005, float64(i))), de)}
		}, want: want{}, trailingOnly: "x2 a day: the same hour yesterday is half"},
		{name: "ramp of 8 % a day for 10 days", cycles: 1440, gen: func(i int) []Observation {
			return []Observation{ob("Q1", "running", math.Round(100*math.Pow(1.08, float64(i)/144)), de)}
		}, want: want{}},
		{name: "flapping around the threshold", cycles: warm + 30, gen: func(i int) []Observation {
			v := noisy(100, i)
			switch {
			case i >= warm && i < warm+3:
				v = 40
			case i >= warm+3 && i < warm+25:
				v = []float64{55, 45, 60, 42}[i%4] // around 50 %: above clear, around open
			}
			return []Observation{ob("Q1", "running", v, de)}
		}, want: want{opened: 1, closed: 1, openAt: warm + 2, kind: KindQueue, state: "running", dir: Drop, queues: 1}},
		{name: "offline in CRIC drain is expected", cycles: warm + 5, gen: func(i int) []Observation {
			if i >= warm {
				return []Observation{ob("Q1", "running", 0, attrs("DE", "SITE-A", "offline"))}
			}
			return []Observation{ob("Q1", "running", noisy(100, i), de)}
		}, want: want{opened: 1, openAt: warm + 2, kind: KindQueue, state: "running", dir: Drop, queues: 1,
			expected: true, stateChange: true}},
		{name: "whole cloud dip", cycles: warm + 5, gen: func(i int) []Observation {
			var out []Observation
			for q, site := range []string{"S1", "S2", "S3", "S4", "S5"} {
				v := noisy(200, i+q)
				if i >= warm {
					v = 20
				}
				out = append(out, ob("DE-Q"+site, "running", v, attrs("DE", site, "online")))
			}
			return append(out, ob("FR-Q", "running", noisy(200, i), attrs("FR", "S9", "online")))
		}, want: want{opened: 1, openAt: warm + 2, kind: KindGroup, state: "running", dir: Drop,
			group: "cloud=DE", queues: 5}},
		{name: "missing data is not a drop", cycles: warm + 6, gen: func(i int) []Observation {
			o := ob("Q1", "running", noisy(100, i), de)
			o.Present = i < warm
			return []Observation{o}
		}, want: want{opened: 1, openAt: warm + 2, kind: KindDataQuality, queues: 1}},
		{name: "short history", cycles: 10, gen: func(i int) []Observation {
			v := 100.0
			if i >= 5 {
				v = 0
			}
			return []Observation{ob("Q1", "running", v, de)}
		}, want: want{}},
	} {
		for _, mode := range []struct {
			name string
			cfg  Config
		}{{"trailing", Default()}, {"seasonal", seasonalDefault()}} {
			t.Run(tt.name+"/"+mode.name, func(t *testing.T) {
				if mode.cfg.Seasonal && tt.trailingOnly != "" {
					t.Skip("trailing window only: " + tt.trailingOnly)
				}
				d, err := New(mode.cfg)
				if err != nil {
					t.Fatal(err)
				}
				var opened, closed []Incident
				openAt := -1
				for i := range tt.cycles {
					rep := d.Observe(t0.Add(time.Duration(i)*10*time.Minute), tt.gen(i))
					if len(rep.Opened) > 0 && openAt < 0 {
						openAt = i
					}
					opened = append(opened, rep.Opened...)
					closed = append(closed, rep.Closed...)
				}
				checkScenario(t, mode.cfg, tt.want, opened, closed, openAt)
			})
		}
	}
}

func checkScenario(t *testing.T, cfg Config, w want, opened, closed []Incident, openAt int) {
	t.Helper()
	if len(opened) != w.opened || len(closed) != w.closed {
		t.Fatalf("opened %d, closed %d; want %d, %d: %+v", len(opened), len(closed), w.opened, w.closed, opened)
	}
	if w.opened == 0 {
		return
	}
	inc := opened[0]
	if openAt != w.openAt {
		t.Errorf("opened at cycle %d; want %d", openAt, w.openAt)
	}
	if inc.Kind != w.kind || inc.State != w.state || inc.Direction != w.dir || inc.Group != w.group {
		t.Errorf("incident %s/%s/%s/%q; want %s/%s/%s/%q", inc.Kind, inc.State, inc.Direction, inc.Group,
			w.kind, w.state, w.dir, w.group)
	}
	if len(inc.Queues) != w.queues || inc.Expected != w.expected {
		t.Errorf("queues %v, expected %v; want %d queues, expected %v", inc.Queues, inc.Expected, w.queues, w.expected)
	}
	if len(inc.Evidence) == 0 {
		t.Fatal("no evidence")
	}
	f := inc.Evidence[0]
	if (f.StateChange != nil) != w.stateChange {
		t.Errorf("state change %+v; want present=%v", f.StateChange, w.stateChange)
	}
	if f.Samples < cfg.MinHistory || f.Coverage <= 0 || f.WindowSeconds != cfg.Span().Seconds() ||
		f.Seasonal != cfg.Seasonal || f.FirstSeen.IsZero() {
		t.Errorf("evidence incomplete: %+v", f)
	}
	if inc.ID == "" || inc.Start.IsZero() {
		t.Errorf("incident without id or start: %+v", inc)
	}
}

func TestDrainEvidence(t *testing.T) {
	d, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	a := attrs("DE", "SITE-A", "online")
	var rep Report
	for i := range warm + 3 {
		v := noisy(100, i)
		if i >= warm {
			v = 0
		}
		rep = d.Observe(t0.Add(time.Duration(i)*10*time.Minute), []Observation{ob("Q1", "running", v, a)})
	}
	if len(rep.Open) != 1 || len(rep.Opened) != 1 {
		t.Fatalf("open %d, opened %d; want 1, 1", len(rep.Open), len(rep.Opened))
	}
	f := rep.Open[0].Evidence[0]
	if f.Value != 0 || f.Baseline != 100 || f.AbsDeviation != -100 || f.RelDeviation != -1 ||
		f.Direction != Drop || f.Samples != 144 || f.Coverage != 1 || f.Cycles != 3 ||
		!f.FirstSeen.Equal(t0.Add(warm*10*time.Minute)) || f.MAD == 0 {
		t.Errorf("evidence = %+v", f)
	}
	if len(rep.Findings) != 1 {
		t.Errorf("findings = %d; want 1", len(rep.Findings))
	}
}

func TestIncidentJSON(t *testing.T) {
	end := t0.Add(time.Hour)
	inc := Incident{ID: "x", Kind: KindGroup, Start: t0, End: &end, Group: "cloud=DE", Queues: []string{"A"},
		Evidence: []Finding{{Kind: KindDeviation, FirstSeen: t0}}}
	b, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"start":`, `"end":`, `"kind":`, `"queues":`, `"group":`, `"evidence":`,
		`"first_seen":`, `"rel_deviation":`, `"window_seconds":`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON %s lacks %s", b, k)
		}
	}
}

// naiveBaseline sorts the ring's values: the reference for baseline.
func naiveBaseline(ring []float32) (med, mad float64, n int) {
	var a []float64
	for _, v := range ring {
		if !math.IsNaN(float64(v)) {
			a = append(a, float64(v))
		}
	}
	if len(a) == 0 {
		return 0, 0, 0
	}
	mid := func(s []float64) float64 {
		slices.Sort(s)
		if len(s)%2 == 1 {
			return s[len(s)/2]
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	med = mid(a)
	for i := range a {
		a[i] = math.Abs(a[i] - med)
	}
	return med, mid(a), len(a)
}

func TestBaselineMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, slots := range []int{1, 2, 5, 144} {
		s := newSeries(point.Key{}, slots, 0, true)
		c := int64(0)
		for range 3000 {
			c += 1 + int64(r.IntN(10)/8)*int64(r.IntN(slots+2)) // mostly consecutive, some gaps
			keep := int64(0)
			if r.IntN(5) == 0 { // sometimes flagged: keep values younger than keep
				keep = int64(slots + r.IntN(slots+1))
			}
			s.advance(c, keep)
			gm, gd, gn := s.baseline()
			wm, wd, wn := naiveBaseline(s.ring)
			if gm != wm || gd != wd || gn != wn {
				t.Fatalf("slots=%d cycle %d: baseline = %v, %v, %d; want %v, %v, %d", slots, c, gm, gd, gn, wm, wd, wn)
			}
			if r.IntN(4) > 0 {
				s.put(c, float64(r.IntN(30))) // many ties
			} else {
				s.last = c // frozen: the slot keeps its value
			}
		}
	}
}

func TestForgetsSeries(t *testing.T) {
	d, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	a := attrs("DE", "SITE-A", "online")
	d.Observe(t0, []Observation{ob("Q1", "running", 10, a)})
	for i := 1; i <= d.slots; i++ {
		d.Observe(t0.Add(time.Duration(i)*10*time.Minute), nil)
	}
	if len(d.series) != 0 || len(d.queues) != 0 || len(d.open) != 0 {
		t.Errorf("after a window without data: %d series, %d queues, %d open", len(d.series), len(d.queues), len(d.open))
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  func(*Config)
	}{
		{"no states", func(c *Config) { c.States = nil }},
		{"zero interval", func(c *Config) { c.Interval = 0 }},
		{"clear above open", func(c *Config) { c.ClearRelative = 0.6 }},
		{"k zero", func(c *Config) { c.K = 0 }},
		{"history over window", func(c *Config) { c.MinHistory = 1000 }},
		{"group of one", func(c *Config) { c.GroupMin = 1 }},
		{"duplicate state", func(c *Config) { c.States = []string{"running", "running"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mod(&c)
			if _, err := New(c); err == nil {
				t.Error("New() = nil error")
			}
		})
	}
	if _, err := New(Default()); err != nil {
		t.Errorf("New(Default()) = %v", err)
	}
}

func TestDrainThenMissingStaysOpen(t *testing.T) {
	d, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	a := attrs("DE", "SITE-A", "online")
	var rep Report
	for i := range warm + 8 {
		o := ob("Q1", "running", noisy(100, i), a)
		if i >= warm {
			o.Value = 0
		}
		o.Present = i < warm+4
		rep = d.Observe(t0.Add(time.Duration(i)*10*time.Minute), []Observation{o})
	}
	kinds := map[string]int{}
	for _, inc := range rep.Open {
		kinds[inc.Kind]++
	}
	if kinds[KindQueue] != 1 || kinds[KindDataQuality] != 1 || len(rep.Open) != 2 {
		t.Errorf("open incidents by kind = %v; want one queue drop still open and one data_quality", kinds)
	}
}

func TestPerStateThresholds(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.StateFloor = map[string]float64{"activated": -1} },
		func(c *Config) { c.StateMinScore = map[string]float64{"activated": math.NaN()} },
		func(c *Config) { c.StateRelative = map[string]float64{"activated": 0.2} }, // under ClearRelative
	} {
		cfg := Default()
		mod(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("bad per-state threshold accepted: %+v", cfg)
		}
	}
	d, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, state string
		e           evidence
		want        bool
	}{
		{"running over the global thresholds", "running", evidence{med: 100, abs: 60, rel: 0.6, score: 60}, true},
		{"activated under its relative threshold", "activated", evidence{med: 100, abs: 60, rel: 0.6, score: 60}, false},
		{"activated pile-up", "activated", evidence{med: 100, abs: 160, rel: 1.6, score: 10}, true},
		{"activated under its floor", "activated", evidence{med: 20, abs: 40, rel: 2, score: 10}, false},
		{"activated under its score", "activated", evidence{med: 100, abs: 160, rel: 1.6, score: 4}, false},
		{"activated drain is never flagged", "activated", evidence{med: 100, abs: -100, rel: -1, score: 50}, false},
		{"failed burst over its floor", "failed", evidence{med: 0, abs: 6, rel: 6, score: 6}, true},
		{"failed under its floor", "failed", evidence{med: 0, abs: 4, rel: 4, score: 4}, false},
		{"assigned under the global floor", "assigned", evidence{med: 0, abs: 6, rel: 6, score: 6}, false},
	} {
		if got := d.exceeds(tt.e, tt.state); got != tt.want {
			t.Errorf("%s: exceeds(%+v, %s) = %v; want %v", tt.name, tt.e, tt.state, got, tt.want)
		}
	}
}

// TestOneIncidentPerQueue checks that series of one queue deviating the
// same way (two resource types draining) make one incident, not two.
func TestOneIncidentPerQueue(t *testing.T) {
	d, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	a := attrs("DE", "SITE-A", "online")
	var opened []Incident
	for i := range warm + 3 {
		score, mcore := ob("Q1", "running", noisy(100, i), a), ob("Q1", "running", noisy(300, i), a)
		mcore.Key.Resource = "MCORE"
		if i >= warm {
			score.Value, mcore.Value = 0, 0
		}
		opened = append(opened, d.Observe(t0.Add(time.Duration(i)*10*time.Minute), []Observation{score, mcore}).Opened...)
	}
	if len(opened) != 1 || len(opened[0].Evidence) != 2 || len(opened[0].Queues) != 1 || opened[0].Kind != KindQueue {
		t.Fatalf("opened = %+v; want one queue incident with the evidence of both series", opened)
	}
}
