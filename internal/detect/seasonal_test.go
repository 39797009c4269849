package detect

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

const cyclesPerDay = 144 // at 10 minutes

// at is the time of cycle i from t0 at 10 minutes.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Minute) }

// TestSeasonalBaselineMatchesModel drives a seasonal series through random
// writes, frozen cycles and gaps, and checks its baseline against a model:
// the value each past cycle holds (written, carried from a ring earlier
// when frozen, none when skipped unfrozen), taken at the same time of day
// on each previous day within the ring.
func TestSeasonalBaselineMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []struct{ days, period, half int64 }{{1, 12, 2}, {3, 8, 0}, {7, 144, 6}, {2, 6, 2}} {
		n := g.days * g.period
		s := newSeries(point.Key{}, int(n), 0, false)
		held := map[int64]float32{} // the model: cycle -> value
		c := int64(0)
		for range 3000 {
			// Mostly consecutive, some gaps, shorter than the ring (a series
			// without data for a whole ring is forgotten).
			next := c + 1 + int64(r.IntN(10)/9)*int64(r.IntN(int(n)-1))
			keep := int64(r.IntN(5) / 4) // sometimes frozen
			for x := max(c+1, next-n); x < next; x++ {
				carry(held, x, n, keep > 0)
			}
			c = next
			s.advance(c, keep)
			got := s.seasonal(nil, c, g.period, g.half)
			var want []float32
			for back := g.period; back <= n; back += g.period {
				for x := c - back - g.half; x <= c-back+g.half; x++ {
					if v, ok := held[x]; ok && x >= c-n {
						want = append(want, v)
					}
				}
			}
			gm, gd, gn := (&Detector{}).selectMedianMAD(got)
			wm, wd, wn := medianMAD(sortedCopy(want))
			if gm != wm || gd != wd || gn != wn {
				t.Fatalf("days=%d period=%d half=%d cycle %d: baseline = %v, %v, %d; want %v, %v, %d",
					g.days, g.period, g.half, c, gm, gd, gn, wm, wd, wn)
			}
			if r.IntN(4) > 0 {
				v := float32(r.IntN(30)) // many ties
				s.put(c, float64(v))
				held[c] = v
			} else {
				s.last = c // frozen: the slot keeps its value
				carry(held, c, n, true)
			}
		}
	}
}

// TestSelectMedianMADMatchesSort checks the selection against the sorted
// computation on random values with many ties, every length to 300.
func TestSelectMedianMADMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	d := &Detector{}
	for n := range 300 {
		for _, spread := range []int{1, 3, 50, 1 << 20} {
			a := make([]float32, n)
			for i := range a {
				a[i] = float32(r.IntN(spread)) - float32(spread/3)
			}
			wm, wd, wn := medianMAD(sortedCopy(a))
			gm, gd, gn := d.selectMedianMAD(a)
			if gm != wm || gd != wd || gn != wn {
				t.Fatalf("n=%d spread=%d: select = %v, %v, %d; sort = %v, %v, %d", n, spread, gm, gd, gn, wm, wd, wn)
			}
		}
	}
}

// TestSelectKthPatterns checks selectKth at every k of patterned inputs
// (sorted, reversed, organ pipe, saw, constant), where a median-of-three
// pivot does worst.
func TestSelectKthPatterns(t *testing.T) {
	patterns := map[string]func(i, n int) float64{
		"sorted":     func(i, _ int) float64 { return float64(i) },
		"reversed":   func(i, n int) float64 { return float64(n - i) },
		"organ pipe": func(i, n int) float64 { return float64(min(i, n-i)) },
		"saw":        func(i, _ int) float64 { return float64(i % 7) },
		"constant":   func(int, int) float64 { return 1 },
		"alternating": func(i, n int) float64 {
			if i%2 == 0 {
				return float64(i)
			}
			return float64(n + i)
		},
	}
	for name, gen := range patterns {
		for _, n := range []int{1, 2, 9, 10, 33, 100, 257} {
			want := make([]float64, n)
			for i := range want {
				want[i] = gen(i, n)
			}
			sorted := append([]float64(nil), want...)
			slices.Sort(sorted)
			for k := range n {
				a := append([]float64(nil), want...)
				selectKth(a, k)
				if a[k] != sorted[k] || slices.Max(a[:k+1]) != a[k] || slices.Min(a[k:]) != a[k] {
					t.Fatalf("%s n=%d k=%d: a[k] = %v; want %v, partitioned", name, n, k, a[k], sorted[k])
				}
			}
		}
	}
}

// carry sets the model's value of cycle x: a ring earlier's when kept,
// none otherwise.
func carry(held map[int64]float32, x, n int64, keep bool) {
	if v, ok := held[x-n]; ok && keep {
		held[x] = v
	} else {
		delete(held, x)
	}
}

func sortedCopy(a []float32) []float32 {
	out := append([]float32(nil), a...)
	for i := 1; i < len(out); i++ { // insertion sort: independent of the code under test
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// peaked is a queue at 100 running jobs that runs 300 every day from 14:00
// to 16:00, with a deterministic wobble.
func peaked(i int) float64 {
	if h := (i % cyclesPerDay) * 10 / 60; h >= 14 && h < 16 {
		return noisy(300, i)
	}
	return noisy(100, i)
}

// TestDailyPeak checks what the seasonal baseline is for: a daily peak the
// trailing 24 h window flags every day is normal for the same hour of the
// previous days, while a real drain is still flagged within K cycles.
func TestDailyPeak(t *testing.T) {
	de := attrs("DE", "SITE-A", "online")
	drainAt := 5*cyclesPerDay + 3*6 // day 5, 03:00
	for _, tt := range []struct {
		name      string
		cfg       Config
		drain     bool
		wantPeaks int // incidents opened on the peaks of days 2 to 7
		wantDrain bool
	}{
		{name: "trailing window flags the peak every day", cfg: Default(), wantPeaks: 6},
		{name: "seasonal does not flag the peak", cfg: seasonalDefault(), wantPeaks: 0},
		{name: "seasonal with a drain", cfg: seasonalDefault(), drain: true, wantDrain: true},
		{name: "seasonal, 3 days at +-30 min", cfg: func() Config {
			c := seasonalDefault()
			c.SeasonalDays, c.SeasonalWidth = 3, 30*time.Minute
			return c
		}(), drain: true, wantDrain: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			peaks, drains, drainOpenAt := 0, 0, -1
			for i := range 8 * cyclesPerDay {
				v := peaked(i)
				if tt.drain && i >= drainAt && i < drainAt+12 {
					v = 0
				}
				rep := d.Observe(at(i), []Observation{ob("Q1", "running", v, de)})
				for range rep.Opened {
					switch {
					case i >= drainAt && i < drainAt+12:
						drains++
						drainOpenAt = i
					case i >= cyclesPerDay && i < 7*cyclesPerDay:
						peaks++
					}
				}
			}
			if peaks != tt.wantPeaks {
				t.Errorf("incidents on the daily peaks = %d; want %d", peaks, tt.wantPeaks)
			}
			if tt.wantDrain && (drains != 1 || drainOpenAt != drainAt+tt.cfg.K-1) {
				t.Errorf("drain: %d incidents, opened at cycle %d; want 1 at %d", drains, drainOpenAt, drainAt+tt.cfg.K-1)
			}
		})
	}
}

// TestSeasonalLongIncidents checks the frozen seasonal baseline: a long
// drain stays open until the queue recovers and leaves the baseline as it
// was; a lasting change is learnt after FreezeLimit and about half the
// span; without a limit it stays flagged.
func TestSeasonalLongIncidents(t *testing.T) {
	de := attrs("DE", "SITE-A", "online")
	const warmDays = 7
	start := warmDays * cyclesPerDay
	for _, tt := range []struct {
		name             string
		freeze           time.Duration
		cycles           int
		gen              func(i int) float64
		closeLo, closeHi int // of the last incident; -1: still open at the end
		opened           int // incidents; 0 means 1
		baseline         float64
	}{
		{name: "12-hour drain", freeze: 24 * time.Hour, cycles: start + 2*cyclesPerDay, gen: func(i int) float64 {
			if i >= start && i < start+72 {
				return 0
			}
			return peaked(i)
		}, closeLo: start + 72, closeHi: start + 72, baseline: 100},
		{name: "lasting change is learnt", freeze: 24 * time.Hour, cycles: start + 8*cyclesPerDay, gen: func(i int) float64 {
			if i >= start {
				return peaked(i) * 0.2
			}
			return peaked(i)
		}, closeLo: start + 4*cyclesPerDay, closeHi: start + 11*cyclesPerDay/2},
		// The new peak (90) is the old off-peak level (100): the flag clears
		// at the start of every peak and opens again, but the change is
		// learnt as fast.
		{name: "lasting change crossing the old level daily is learnt", freeze: 24 * time.Hour, cycles: start + 8*cyclesPerDay,
			gen: func(i int) float64 {
				if i >= start {
					return peaked(i) * 0.3
				}
				return peaked(i)
			}, closeLo: start + 4*cyclesPerDay, closeHi: start + 11*cyclesPerDay/2, opened: 6},
		{name: "lasting change without limit stays open", freeze: 0, cycles: start + 10*cyclesPerDay, gen: func(i int) float64 {
			if i >= start {
				return peaked(i) * 0.3
			}
			return peaked(i)
		}, closeLo: -1, baseline: 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := seasonalDefault()
			cfg.FreezeLimit = tt.freeze
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			openAt, closeAt, opened := -1, -1, 0
			for i := range tt.cycles {
				rep := d.Observe(at(i), []Observation{ob("Q1", "running", tt.gen(i), de)})
				opened += len(rep.Opened)
				if len(rep.Opened) > 0 && openAt < 0 {
					openAt = i
				}
				if len(rep.Closed) > 0 {
					closeAt = i
				}
				if len(rep.Open) > 1 {
					t.Fatalf("cycle %d: %d open incidents; want at most 1", i, len(rep.Open))
				}
			}
			if opened != max(tt.opened, 1) || openAt != start+2 {
				t.Fatalf("opened %d incidents, first at cycle %d; want %d at %d", opened, openAt, max(tt.opened, 1), start+2)
			}
			if tt.closeLo < 0 && closeAt >= 0 || tt.closeLo >= 0 && (closeAt < tt.closeLo || closeAt > tt.closeHi) {
				t.Fatalf("closed at cycle %d (day %.1f after the start); want %d..%d", closeAt,
					float64(closeAt-start)/cyclesPerDay, tt.closeLo, tt.closeHi)
			}
			if tt.baseline > 0 {
				// The next cycle is off-peak: its baseline is the 100s of the
				// days before the change.
				if st := d.Snapshot().Series[0]; math.Abs(st.Median-tt.baseline) > 5 || st.Samples < 7*12 {
					t.Errorf("baseline after the incident = %+v; want median %v from a full week", st, tt.baseline)
				}
			}
		})
	}
}

// TestRestartReplaysHistory checks Config.History: a detector that
// observes only the last History of a run ends in the state of the one
// that ran all along (baselines, flags and open incidents), after a drain
// whose frozen slots hold values from as many spans back as FreezeLimit
// reaches, at the time of day of the end (so the final baseline reads
// them). Replaying Span+FreezeLimit instead fails the seasonal cases.
func TestRestartReplaysHistory(t *testing.T) {
	de, fr := attrs("DE", "SITE-A", "online"), attrs("FR", "SITE-B", "online")
	for _, tt := range []struct {
		name string
		cfg  Config
		days int
	}{
		{name: "trailing", cfg: Default(), days: 4},
		{name: "seasonal", cfg: seasonalDefault(), days: 20},
		{name: "seasonal, freeze limit over the span", cfg: func() Config {
			c := seasonalDefault()
			c.SeasonalDays, c.FreezeLimit = 2, 3*24*time.Hour
			return c
		}(), days: 12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.days * cyclesPerDay
			span := int(tt.cfg.Span() / tt.cfg.Interval)
			laps := int((tt.cfg.History() - tt.cfg.Span()) / tt.cfg.Span())
			// A drain over the end's time of day, from laps spans before the
			// end to a span before it, and one at the end (open).
			gen := func(i int) []Observation {
				a, b := peaked(i), noisy(50, i)
				if i >= n-laps*span-12 && i < n-span+12 || i >= n-5 {
					a = 0
				}
				if i >= n-span/2 && i < n-span/2+40 {
					b = 200
				}
				return []Observation{ob("Q1", "running", a, de), ob("Q2", "failed", b, fr)}
			}
			live, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			from := at(n - 1).Add(-tt.cfg.History())
			for i := range n {
				live.Observe(at(i), gen(i))
				if !at(i).Before(from) {
					rebuilt.Observe(at(i), gen(i))
				}
			}
			got, want := rebuilt.Snapshot(), live.Snapshot()
			if len(want.Open) == 0 {
				t.Fatal("no open incident at the end")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after replaying %v: %+v\nwant %+v", tt.cfg.History(), got, want)
			}
		})
	}
}

func TestSpanAndHistory(t *testing.T) {
	for _, tt := range []struct {
		name          string
		mod           func(*Config)
		span, history time.Duration
	}{
		{"default", func(*Config) {}, 24 * time.Hour, 48 * time.Hour},
		{"freeze one hour", func(c *Config) { c.FreezeLimit = time.Hour }, 24 * time.Hour, 48 * time.Hour},
		{"freeze 30 hours", func(c *Config) { c.FreezeLimit = 30 * time.Hour }, 24 * time.Hour, 72 * time.Hour},
		{"no freeze limit", func(c *Config) { c.FreezeLimit = 0 }, 24 * time.Hour, 24 * time.Hour},
		{"seasonal", func(c *Config) { c.Seasonal = true }, 7 * day, 14 * day},
		{"seasonal 3 days, freeze 4", func(c *Config) { c.Seasonal, c.SeasonalDays, c.FreezeLimit = true, 3, 4*day }, 3 * day, 9 * day},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mod(&c)
			if c.Span() != tt.span || c.History() != tt.history {
				t.Errorf("Span(), History() = %v, %v; want %v, %v", c.Span(), c.History(), tt.span, tt.history)
			}
		})
	}
}

func TestValidateSeasonal(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"seasonal defaults", func(*Config) {}, true},
		{"one day at 1 hour", func(c *Config) { c.SeasonalDays, c.Interval, c.Window, c.MinHistory = 1, time.Hour, 24*time.Hour, 2 }, true},
		{"one day at 1 hour, history over its 2 values", func(c *Config) {
			c.SeasonalDays, c.Interval, c.Window, c.MinHistory = 1, time.Hour, 24*time.Hour, 3
		}, false},
		{"zero width", func(c *Config) { c.SeasonalWidth = 0; c.MinHistory = 7 }, true},
		{"interval not dividing a day", func(c *Config) { c.Interval = 7 * time.Minute }, false},
		{"no days", func(c *Config) { c.SeasonalDays = 0 }, false},
		{"width of half a day", func(c *Config) { c.SeasonalWidth = 12 * time.Hour }, false},
		{"negative width", func(c *Config) { c.SeasonalWidth = -time.Minute }, false},
		{"history over the baseline", func(c *Config) { c.MinHistory = 86 }, false},
		{"history of a full baseline", func(c *Config) { c.MinHistory = 85 }, true},
		{"7 days of 1-minute cycles", func(c *Config) { c.Interval = time.Minute }, true},
		{"too many values", func(c *Config) { c.Interval, c.SeasonalDays = time.Minute, 8 }, false},
		{"seasonal off ignores its keys", func(c *Config) { c.Seasonal, c.SeasonalDays = false, 0 }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := seasonalDefault()
			tt.mod(&c)
			if _, err := New(c); (err == nil) != tt.ok {
				t.Errorf("New() = %v; want ok %v", err, tt.ok)
			}
		})
	}
}
