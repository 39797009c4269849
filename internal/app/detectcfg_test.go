package app

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/detect"
)

// TestDetectDefaultsMatch keeps config.DefaultDetect (which may not import
// detect) equal to detect.Default: the default config must give exactly
// the default detector, at any interval.
func TestDetectDefaultsMatch(t *testing.T) {
	for _, iv := range []time.Duration{10 * time.Minute, 5 * time.Minute, time.Hour} {
		cfg := config.Default()
		cfg.Interval = config.Duration(iv)
		got, err := detectorConfig(cfg)
		if err != nil {
			t.Fatalf("interval %v: %v", iv, err)
		}
		want := detect.Default()
		want.Interval = iv
		if !reflect.DeepEqual(got, want) {
			t.Errorf("interval %v: detectorConfig(config.Default()) = %+v\nwant detect.Default() = %+v", iv, got, want)
		}
	}
}

func TestDetectorConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    func(*config.Detect)
		want    func(*detect.Config)
		wantErr string
	}{
		{name: "states and down states", edit: func(d *config.Detect) {
			d.States, d.DownStates = " running , failed ", ""
		}, want: func(c *detect.Config) { c.States, c.DownStates = []string{"running", "failed"}, nil }},
		{name: "thresholds", edit: func(d *config.Detect) {
			d.Relative, d.ClearRelative, d.Floor, d.MinScore, d.K, d.MinHistory, d.GroupMin = 0.8, 0.4, 30, 4, 5, 24, 4
		}, want: func(c *detect.Config) {
			c.Relative, c.ClearRelative, c.Floor, c.MinScore, c.K, c.MinHistory, c.GroupMin = 0.8, 0.4, 30, 4, 5, 24, 4
		}},
		{name: "window and freeze limit", edit: func(d *config.Detect) {
			d.Window, d.FreezeLimit = config.Duration(12*time.Hour), 0
		}, want: func(c *detect.Config) { c.Window, c.FreezeLimit = 12*time.Hour, 0 }},
		{name: "per-state values", edit: func(d *config.Detect) {
			d.StateRelative, d.StateFloor, d.StateMinScore = "activated=2,assigned=1", "", "failed=4"
		}, want: func(c *detect.Config) {
			c.StateRelative = map[string]float64{"activated": 2, "assigned": 1}
			c.StateFloor = map[string]float64{}
			c.StateMinScore = map[string]float64{"failed": 4}
		}},
		{name: "seasonal", edit: func(d *config.Detect) {
			d.Seasonal, d.SeasonalDays, d.SeasonalWidth = true, 3, config.Duration(30*time.Minute)
		}, want: func(c *detect.Config) { c.Seasonal, c.SeasonalDays, c.SeasonalWidth = true, 3, 30*time.Minute }},
		// Validate catches these first; detectorConfig still refuses them.
		{name: "bad states", edit: func(d *config.Detect) { d.States = "Running" }, wantErr: "detect.states: "},
		{name: "bad down states", edit: func(d *config.Detect) { d.DownStates = "a b" }, wantErr: "detect.down_states: "},
		{name: "bad state value", edit: func(d *config.Detect) { d.StateFloor = "failed=x" }, wantErr: "detect.state_floor: "},
		{name: "detector refuses", edit: func(d *config.Detect) { d.K = 0 }, wantErr: "detect: k 0: below 1"},
		{name: "no states", edit: func(d *config.Detect) { d.States = "" }, wantErr: "detect: states: empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			tt.edit(&cfg.Detect)
			got, err := detectorConfig(cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("detectorConfig() = %v; want error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := detect.Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("detectorConfig() = %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestDaemonUsesDetectConfig checks that serve builds its detector from the
// detect section, and that its restart replay covers the seasonal span.
func TestDaemonUsesDetectConfig(t *testing.T) {
	_, cfg := newDaemonEnv(t, 5, t.TempDir())
	cfg.Detect.Seasonal, cfg.Detect.K = true, 4
	d := openTestDaemon(t, cfg, day0)
	defer d.close()
	got := d.det.Config()
	if !got.Seasonal || got.K != 4 || got.SeasonalDays != 7 {
		t.Errorf("daemon detector = %+v; want seasonal, k 4", got)
	}
	if h := detectorHistory(got); h != 14*24*time.Hour {
		t.Errorf("detectorHistory(seasonal) = %v; want 14 days (a week, and the week a frozen baseline keeps)", h)
	}
}

// TestBacktestUsesDetectConfig back-tests the same stored day with the
// default detector and with thresholds no deviation passes.
func TestBacktestUsesDetectConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("backfills 30 simulated hours")
	}
	end := time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)
	_, cfg, start := backfillSim(t, 60, 30*time.Hour, end)
	from := start.Add(24 * time.Hour)
	found, err := backtestStore(t.Context(), cfg, from, end, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("the default detector found no incident to compare with")
	}
	strict := *cfg
	strict.Detect.Floor, strict.Detect.StateFloor, strict.Detect.States = 1e9, "", "running"
	if found, err = backtestStore(t.Context(), &strict, from, end, discardLogger()); err != nil {
		t.Fatal(err)
	}
	for _, inc := range found {
		if inc.Kind != detect.KindDataQuality {
			t.Errorf("with floor 1e9 the backtest found %+v", inc)
		}
	}
	bad := *cfg
	bad.Detect.K = 0
	if _, err := backtestStore(t.Context(), &bad, from, end, discardLogger()); err == nil || !strings.Contains(err.Error(), "k 0") {
		t.Errorf("backtest with k 0 = %v; want the detector's error", err)
	}
}

// TestSeasonalStateSurvivesRestart is TestDetectorStateSurvivesRestart with
// the seasonal baseline: a day of history (the first day a seasonal
// baseline has values), a site drain, then a clean restart must rebuild the
// same baselines, flags and open incidents from the store.
func TestSeasonalStateSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated day of cycles")
	}
	dir := t.TempDir()
	g, cfg := newDaemonEnv(t, 20, dir)
	cfg.Detect.Seasonal = true
	drain := firstIncident(t, g.Grid, "site_drain", day0.Add(26*time.Hour), day0.Add(96*time.Hour))
	iv := time.Duration(cfg.Interval)
	start := drain.Start.Add(-25 * time.Hour)
	d := openTestDaemon(t, cfg, start.Add(-iv))
	last := runCycles(t, d, g, start, 150+5)
	want := d.det.Snapshot()
	d.close()
	if len(want.Open) == 0 {
		t.Fatalf("no open incident after the drain started: %d series", len(want.Series))
	}
	d2 := openTestDaemon(t, cfg, last)
	defer d2.close()
	sameDetectorState(t, "after a clean restart", d2.det.Snapshot(), want)
}
