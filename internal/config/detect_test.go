package config

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseList(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "", want: nil},
		{in: "running", want: []string{"running"}},
		{in: " running , failed,,", want: []string{"running", "failed"}},
		{in: "brokeroff,test", want: []string{"brokeroff", "test"}},
		{in: "Running", wantErr: `"Running": want lowercase`},
		{in: "run ning", wantErr: `"run ning"`},
		{in: "running,running", wantErr: `"running" given twice`},
		{in: "1st", wantErr: `"1st"`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseList(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseList(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ParseList(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseStateValues(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    map[string]float64
		wantErr string
	}{
		{in: "", want: map[string]float64{}},
		{in: "activated=1.5", want: map[string]float64{"activated": 1.5}},
		{in: " activated = 50 , failed=5,", want: map[string]float64{"activated": 50, "failed": 5}},
		{in: "failed=-1", want: map[string]float64{"failed": -1}}, // sign is Validate's business
		{in: "activated", wantErr: "want state=value"},
		{in: "activated=", wantErr: "not a finite number"},
		{in: "activated=x", wantErr: "not a finite number"},
		{in: "activated=NaN", wantErr: "not a finite number"},
		{in: "activated=+Inf", wantErr: "not a finite number"},
		{in: "Activated=1", wantErr: `state "Activated"`},
		{in: "failed=1,failed=2", wantErr: `state "failed" given twice`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStateValues(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseStateValues(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("ParseStateValues(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestValidateDetect(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    func(c *Config)
		wantErr []string // each must appear; none means valid
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "seasonal defaults", edit: func(c *Config) { c.Detect.Seasonal = true }},
		{name: "no states", edit: func(c *Config) { c.Detect.States = " , " },
			wantErr: []string{"detect.states: must name at least one job status"}},
		{name: "bad state", edit: func(c *Config) { c.Detect.States = "running,Failed" }, wantErr: []string{"detect.states: "}},
		{name: "no down states", edit: func(c *Config) { c.Detect.DownStates = "" }},
		{name: "bad down state", edit: func(c *Config) { c.Detect.DownStates = "off line" }, wantErr: []string{"detect.down_states: "}},
		{name: "relative zero", edit: func(c *Config) { c.Detect.Relative = 0 },
			wantErr: []string{"detect.relative: must be greater than 0", "detect.clear_relative: "}},
		{name: "clear above open", edit: func(c *Config) { c.Detect.ClearRelative = 0.5 },
			wantErr: []string{"detect.clear_relative: must be greater than 0 and less than detect.relative (0.5), got 0.5"}},
		{name: "floor negative", edit: func(c *Config) { c.Detect.Floor = -1 }, wantErr: []string{"detect.floor: "}},
		{name: "min_score infinite", edit: func(c *Config) { c.Detect.MinScore = math.Inf(1) }, wantErr: []string{"detect.min_score: "}},
		{name: "k zero", edit: func(c *Config) { c.Detect.K = 0 }, wantErr: []string{"detect.k: must be 1..100, got 0"}},
		{name: "group of one", edit: func(c *Config) { c.Detect.GroupMin = 1 }, wantErr: []string{"detect.group_min: "}},
		{name: "window under interval", edit: func(c *Config) { c.Detect.Window = Duration(time.Minute) },
			wantErr: []string{"detect.window: must be between 10m and 30d, got 1m"}},
		{name: "window one hour", edit: func(c *Config) { c.Detect.Window = Duration(time.Hour); c.Detect.MinHistory = 6 }},
		{name: "min_history over window", edit: func(c *Config) { c.Detect.MinHistory = 145 },
			wantErr: []string{"detect.min_history: must be 1..144 (the values in a full baseline), got 145"}},
		{name: "min_history over seasonal baseline", edit: func(c *Config) { c.Detect.Seasonal, c.Detect.MinHistory = true, 86 },
			wantErr: []string{"detect.min_history: must be 1..85"}},
		{name: "freeze_limit unlimited", edit: func(c *Config) { c.Detect.FreezeLimit = 0 }},
		{name: "freeze_limit negative", edit: func(c *Config) { c.Detect.FreezeLimit = -1 }, wantErr: []string{"detect.freeze_limit: "}},
		{name: "state_relative under clear", edit: func(c *Config) { c.Detect.StateRelative = "activated=0.2" },
			wantErr: []string{`detect.state_relative: state "activated": must be above detect.clear_relative (0.25), got 0.2`}},
		{name: "state_floor negative", edit: func(c *Config) { c.Detect.StateFloor = "failed=-5" },
			wantErr: []string{`detect.state_floor: state "failed": must not be negative`}},
		{name: "state_min_score syntax", edit: func(c *Config) { c.Detect.StateMinScore = "activated:5" },
			wantErr: []string{"detect.state_min_score: "}},
		{name: "state values cleared", edit: func(c *Config) {
			c.Detect.StateRelative, c.Detect.StateFloor, c.Detect.StateMinScore = "", "", ""
		}},
		{name: "seasonal_days zero", edit: func(c *Config) { c.Detect.SeasonalDays = 0 },
			wantErr: []string{"detect.seasonal_days: must be 1..28, got 0"}},
		{name: "seasonal_width half a day", edit: func(c *Config) { c.Detect.SeasonalWidth = Duration(12 * time.Hour) },
			wantErr: []string{"detect.seasonal_width: "}},
		{name: "seasonal interval not dividing a day", edit: func(c *Config) {
			c.Detect.Seasonal, c.Interval, c.CycleOffset = true, Duration(7*time.Minute), 0
		}, wantErr: []string{"detect.seasonal: needs an interval that divides 24h, got 7m"}},
		{name: "seasonal too many values", edit: func(c *Config) {
			c.Detect.Seasonal, c.Detect.SeasonalDays, c.Interval, c.CycleOffset = true, 14, Duration(time.Minute), 0
		}, wantErr: []string{"detect.seasonal_days: seasonal_days * 24h / interval is 20160 values per series, more than 10080"}},
		{name: "window too many values", edit: func(c *Config) {
			c.Detect.Window, c.Interval, c.CycleOffset = Duration(8*day), Duration(time.Minute), 0
		}, wantErr: []string{"detect.window: window / interval is 11520 values per series"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(c)
			checkErrors(t, "Validate()", c.Validate(), tt.wantErr)
		})
	}
}

func TestDetectEnv(t *testing.T) {
	env := mapEnv(map[string]string{
		"QMONIT_DETECT_STATES":          "running,failed",
		"QMONIT_DETECT_RELATIVE":        "0.6",
		"QMONIT_DETECT_STATE_FLOOR":     "failed=8",
		"QMONIT_DETECT_SEASONAL":        "true",
		"QMONIT_DETECT_SEASONAL_WIDTH":  "30m",
		"QMONIT_DETECT_SEASONAL_DAYS":   "3",
		"QMONIT_DETECT_FREEZE_LIMIT":    "12h",
		"QMONIT_DETECT_CLEAR_RELATIVE":  "0.3",
		"QMONIT_DETECT_STATE_MIN_SCORE": "",
	})
	c, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Detect
	if d.States != "running,failed" || d.Relative != 0.6 || d.ClearRelative != 0.3 || d.StateFloor != "failed=8" ||
		!d.Seasonal || d.SeasonalDays != 3 || d.SeasonalWidth != Duration(30*time.Minute) ||
		d.FreezeLimit != Duration(12*time.Hour) || d.StateMinScore != "" {
		t.Errorf("detect after env = %+v", d)
	}
	if ring, base := c.DetectSlots(); ring != 3*144 || base != 3*7-3 {
		t.Errorf("DetectSlots() = %d, %d; want %d, %d", ring, base, 3*144, 3*7-3)
	}
	_, err = Load("", mapEnv(map[string]string{"QMONIT_DETECT_FLOOR": "twenty"}))
	if err == nil || !strings.Contains(err.Error(), `QMONIT_DETECT_FLOOR: invalid number "twenty"`) {
		t.Errorf("Load() with a bad float = %v", err)
	}
}

func TestDetectFile(t *testing.T) {
	c, err := Load(writeConfig(t, "detect:\n  states: running\n  floor: 10\n  k: 2\n  seasonal: true\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Detect.States != "running" || c.Detect.Floor != 10 || c.Detect.K != 2 || !c.Detect.Seasonal ||
		c.Detect.Relative != 0.5 {
		t.Errorf("detect = %+v", c.Detect)
	}
	_, err = Load(writeConfig(t, "detect:\n  treshold: 1\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "treshold") {
		t.Errorf("Load() with an unknown detect key = %v", err)
	}
}
