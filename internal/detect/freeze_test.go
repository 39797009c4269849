package detect

import (
	"testing"
	"time"
)

// TestLongIncidentsKeepTheirBaseline checks the frozen baseline: while a
// series is flagged its values stay out of its window, so a long incident
// stays open for its whole length and closes when the queue recovers; a
// lasting change is learnt once FreezeLimit has passed.
func TestLongIncidentsKeepTheirBaseline(t *testing.T) {
	const hold = 72 // 12 hours at 10 minutes
	de := attrs("DE", "SITE-A", "online")
	for _, tt := range []struct {
		name        string
		freeze      time.Duration
		cycles      int
		gen         func(i int) Observation
		openAt      int
		closeAt     int // -1: still open at the end
		closeWithin int // closeAt may be up to this many cycles later
		baseline    float64
	}{
		{name: "12-hour drain", freeze: 24 * time.Hour, cycles: warm + hold + 10, gen: func(i int) Observation {
			v := noisy(100, i)
			if i >= warm && i < warm+hold {
				v = 0
			}
			return ob("Q1", "running", v, de)
		}, openAt: warm + 2, closeAt: warm + hold, baseline: 100},
		{name: "18-hour drain", freeze: 24 * time.Hour, cycles: warm + 108 + 10, gen: func(i int) Observation {
			v := noisy(100, i)
			if i >= warm && i < warm+108 {
				v = 0
			}
			return ob("Q1", "running", v, de)
		}, openAt: warm + 2, closeAt: warm + 108, baseline: 100},
		{name: "12-hour activated pile-up", freeze: 24 * time.Hour, cycles: warm + hold + 10, gen: func(i int) Observation {
			v := noisy(50, i)
			if i >= warm && i < warm+hold {
				v = 400
			}
			return ob("Q1", "activated", v, de)
		}, openAt: warm + 2, closeAt: warm + hold, baseline: 50},
		{name: "12-hour drain, frozen without limit", freeze: 0, cycles: warm + hold + 10, gen: func(i int) Observation {
			v := noisy(100, i)
			if i >= warm && i < warm+hold {
				v = 0
			}
			return ob("Q1", "running", v, de)
		}, openAt: warm + 2, closeAt: warm + hold, baseline: 100},
		{name: "lasting change is learnt after the freeze limit", freeze: 24 * time.Hour, cycles: warm + 400, gen: func(i int) Observation {
			v := noisy(100, i)
			if i >= warm {
				v = noisy(30, i)
			}
			return ob("Q1", "running", v, de)
		}, openAt: warm + 2, closeAt: warm + 144 + 60, closeWithin: 20},
		{name: "lasting change without limit stays open", freeze: 0, cycles: warm + 400, gen: func(i int) Observation {
			v := noisy(100, i)
			if i >= warm {
				v = noisy(30, i)
			}
			return ob("Q1", "running", v, de)
		}, openAt: warm + 2, closeAt: -1, baseline: 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.FreezeLimit = tt.freeze
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			openAt, closeAt, opened := -1, -1, 0
			var last Report
			for i := range tt.cycles {
				last = d.Observe(t0.Add(time.Duration(i)*10*time.Minute), []Observation{tt.gen(i)})
				opened += len(last.Opened)
				if len(last.Opened) > 0 && openAt < 0 {
					openAt = i
				}
				if len(last.Closed) > 0 && closeAt < 0 {
					closeAt = i
				}
				if openAt >= 0 && closeAt < 0 && len(last.Open) != 1 {
					t.Fatalf("cycle %d: %d open incidents while flagged; want 1", i, len(last.Open))
				}
			}
			if opened != 1 || openAt != tt.openAt {
				t.Fatalf("opened %d incidents, first at cycle %d; want 1 at %d", opened, openAt, tt.openAt)
			}
			if tt.closeAt < 0 {
				if closeAt >= 0 {
					t.Fatalf("closed at cycle %d; want still open", closeAt)
				}
			} else if closeAt < tt.closeAt || closeAt > tt.closeAt+tt.closeWithin {
				t.Fatalf("closed at cycle %d; want %d..%d", closeAt, tt.closeAt, tt.closeAt+tt.closeWithin)
			}
			if tt.baseline > 0 {
				snap := d.Snapshot()
				if len(snap.Series) != 1 || snap.Series[0].Median != tt.baseline {
					t.Errorf("baseline after the incident = %+v; want median %v", snap.Series, tt.baseline)
				}
			}
		})
	}
}

// TestPendingValuesStayOut checks that the values of a streak shorter than
// K (pending) do not replace baseline values, that a young series' empty
// slots take them (so no lasting hole forms), and that a broken streak lets
// values in again.
func TestPendingValuesStayOut(t *testing.T) {
	a := attrs("DE", "SITE-A", "online")
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Minute) }
	zeros := func(d *Detector) (n, samples int) {
		for _, s := range d.series {
			for _, v := range s.sorted {
				if v == 0 {
					n++
				}
			}
			samples = len(s.sorted)
		}
		return n, samples
	}
	for _, tt := range []struct {
		name                 string
		history              int
		wantZeros, wantAfter int // zeros in the ring after two pending cycles; samples after recovery
	}{
		{name: "full window", history: warm, wantZeros: 0, wantAfter: 144},
		{name: "young series", history: 20, wantZeros: 2, wantAfter: 23},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(Default())
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.history {
				d.Observe(at(i), []Observation{ob("Q1", "running", 100, a)})
			}
			d.Observe(at(tt.history), []Observation{ob("Q1", "running", 0, a)})   // pending, 1 of 3
			d.Observe(at(tt.history+1), []Observation{ob("Q1", "running", 0, a)}) // pending, 2 of 3
			if n, _ := zeros(d); n != tt.wantZeros {
				t.Errorf("zeros in the baseline after two pending cycles = %d; want %d", n, tt.wantZeros)
			}
			d.Observe(at(tt.history+2), []Observation{ob("Q1", "running", 100, a)}) // back to normal
			st := d.Snapshot().Series[0]
			if _, n := zeros(d); n != tt.wantAfter || st.Streak != 0 || st.Median != 100 {
				t.Errorf("after recovery: %+v, %d samples; want %d samples, no streak, median 100", st, n, tt.wantAfter)
			}
		})
	}
}

func TestSnapshot(t *testing.T) {
	d, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	if s := d.Snapshot(); !s.Cycle.IsZero() || len(s.Series) != 0 || len(s.Open) != 0 {
		t.Fatalf("empty detector snapshot = %+v", s)
	}
	a := attrs("DE", "SITE-A", "online")
	var last time.Time
	for i := range warm + 3 {
		v := noisy(100, i)
		if i >= warm {
			v = 0
		}
		last = t0.Add(time.Duration(i) * 10 * time.Minute)
		d.Observe(last, []Observation{ob("Q2", "running", 5, a), ob("Q1", "running", v, a), ob("Q1", "finished", 9, a)})
	}
	s := d.Snapshot()
	if !s.Cycle.Equal(last) || len(s.Series) != 2 || len(s.Open) != 1 {
		t.Fatalf("snapshot: cycle %v, %d series, %d open; want %v, 2, 1", s.Cycle, len(s.Series), len(s.Open), last)
	}
	q1 := s.Series[0]
	if q1.Key.Queue != "Q1" || !q1.Active || q1.Streak != 3 || q1.Direction != Drop || q1.Median != 100 ||
		!q1.FirstSeen.Equal(t0.Add(warm*10*time.Minute)) || q1.Samples != 144 {
		t.Errorf("Q1 state = %+v", q1)
	}
	if q2 := s.Series[1]; q2.Key.Queue != "Q2" || q2.Active || q2.Median != 5 || q2.Direction != "" {
		t.Errorf("Q2 state = %+v", q2)
	}
}
