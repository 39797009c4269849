package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Detect tunes the suspicious-queue detector (internal/detect). The
// defaults are the detector's own (detect.Default; a test in internal/app
// keeps the two equal). Lists and per-state values are strings, so every key
// keeps its QMONIT_DETECT_* variable: "running,failed" and
// "activated=1.5,failed=2".
type Detect struct {
	// States are the job_status values watched, comma-separated.
	States string `yaml:"states"`
	// Relative is the opening threshold on |value-baseline| / max(baseline, 1).
	Relative float64 `yaml:"relative"`
	// Floor is the minimum |value-baseline|, in jobs, for a flag.
	Floor float64 `yaml:"floor"`
	// ClearRelative is the closing threshold (hysteresis), below Relative.
	ClearRelative float64 `yaml:"clear_relative"`
	// MinScore is the minimum robust z-score |value-median| / (1.4826*MAD).
	MinScore float64 `yaml:"min_score"`
	// K is the number of consecutive cycles before an incident opens.
	K int `yaml:"k"`
	// MinHistory is the minimum number of past values in the baseline.
	MinHistory int `yaml:"min_history"`
	// Window is the trailing baseline span (when Seasonal is off), and how
	// long a CRIC state change stays shown next to a flag.
	Window Duration `yaml:"window"`
	// FreezeLimit bounds how long a flagged series' baseline stays frozen;
	// 0 freezes it for as long as the flag lasts.
	FreezeLimit Duration `yaml:"freeze_limit"`
	// GroupMin is the number of queues sharing a cloud, site, harvester or
	// pilot version that deviate together to make one grouped incident.
	GroupMin int `yaml:"group_min"`
	// DownStates are the CRIC site_state values under which a drain is
	// expected (shown, not alerted), comma-separated.
	DownStates string `yaml:"down_states"`
	// StateRelative, StateFloor and StateMinScore override Relative, Floor
	// and MinScore per job state, "state=value,state=value".
	StateRelative string `yaml:"state_relative"`
	StateFloor    string `yaml:"state_floor"`
	StateMinScore string `yaml:"state_min_score"`
	// Seasonal builds the baseline from the same time of day (within
	// SeasonalWidth either side) on each of the previous SeasonalDays days,
	// instead of the trailing Window.
	Seasonal      bool     `yaml:"seasonal"`
	SeasonalDays  int      `yaml:"seasonal_days"`
	SeasonalWidth Duration `yaml:"seasonal_width"`
}

// Detector bounds.
const (
	MaxDetectK        = 100
	MaxDetectGroupMin = 1000
	MaxSeasonalDays   = 28
	// MaxDetectSlots bounds the values each series keeps: window / interval,
	// or seasonal_days * 24h / interval (7 days of 1-minute cycles).
	MaxDetectSlots = 10080
)

// DefaultDetect returns the detector defaults, equal to detect.Default.
func DefaultDetect() Detect {
	return Detect{
		States:        "running,activated,assigned,failed",
		Relative:      0.5,
		Floor:         20,
		ClearRelative: 0.25,
		MinScore:      3,
		K:             3,
		MinHistory:    12,
		Window:        Duration(24 * time.Hour),
		FreezeLimit:   Duration(24 * time.Hour),
		GroupMin:      3,
		DownStates:    "offline,test,brokeroff",
		StateRelative: "activated=1.5",
		StateFloor:    "activated=50,failed=5",
		StateMinScore: "activated=5",
		SeasonalDays:  7,
		SeasonalWidth: Duration(time.Hour),
	}
}

// namePattern is a job_status or CRIC site_state value.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// ParseList splits a comma-separated list, trimming spaces and dropping
// empty items. Each item must be a lowercase name (letters, digits, '_',
// '-', starting with a letter) given once.
func ParseList(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			continue
		case !namePattern.MatchString(item):
			return nil, fmt.Errorf("%q: want lowercase letters, digits, '_' or '-'", item)
		case seen[item]:
			return nil, fmt.Errorf("%q given twice", item)
		}
		seen[item] = true
		out = append(out, item)
	}
	return out, nil
}

// ParseStateValues parses "state=value,state=value" (spaces around items
// ignored) into a map; values are finite numbers, states lowercase names
// given once. "" gives an empty map.
func ParseStateValues(s string) (map[string]float64, error) {
	out := map[string]float64{}
	err := eachPair(s, "state", func(name, value string) error {
		if !namePattern.MatchString(name) {
			return fmt.Errorf("state %q: want lowercase letters, digits, '_' or '-'", name)
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("state %q: value %q is not a finite number", name, value)
		}
		out[name] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DetectSlots returns the number of values the detector keeps per series
// (the ring length) and the number of them a full baseline holds. It
// mirrors internal/detect; the second is what min_history is bounded by.
func (c *Config) DetectSlots() (ring, baseline int) {
	iv := time.Duration(c.Interval)
	d := c.Detect
	if iv <= 0 {
		return 0, 0
	}
	if !d.Seasonal {
		n := int(time.Duration(d.Window) / iv)
		return n, n
	}
	period := int(24 * time.Hour / iv)
	half := int(time.Duration(d.SeasonalWidth) / iv)
	return d.SeasonalDays * period, d.SeasonalDays*(2*half+1) - half
}

func (c *Config) validateDetect(p *problems) {
	const key = "detect"
	d := c.Detect
	if states, err := ParseList(d.States); err != nil {
		p.addf(key+".states", "%v", err)
	} else if len(states) == 0 {
		p.addf(key+".states", "must name at least one job status")
	}
	if _, err := ParseList(d.DownStates); err != nil {
		p.addf(key+".down_states", "%v", err)
	}
	finite := func(name string, v, lo float64) bool {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < lo {
			p.addf(key+"."+name, "must be a finite number of at least %g, got %g", lo, v)
			return false
		}
		return true
	}
	if finite("relative", d.Relative, 0) && d.Relative == 0 {
		p.addf(key+".relative", "must be greater than 0")
	}
	if finite("clear_relative", d.ClearRelative, 0) && (d.ClearRelative == 0 || d.ClearRelative >= d.Relative) {
		p.addf(key+".clear_relative", "must be greater than 0 and less than detect.relative (%g), got %g", d.Relative, d.ClearRelative)
	}
	finite("floor", d.Floor, 0)
	finite("min_score", d.MinScore, 0)
	if d.K < 1 || d.K > MaxDetectK {
		p.addf(key+".k", "must be 1..%d, got %d", MaxDetectK, d.K)
	}
	if d.GroupMin < 2 || d.GroupMin > MaxDetectGroupMin {
		p.addf(key+".group_min", "must be 2..%d, got %d", MaxDetectGroupMin, d.GroupMin)
	}
	p.between(key+".window", d.Window, c.Interval, Duration(30*day))
	p.between(key+".freeze_limit", d.FreezeLimit, 0, Duration(30*day))
	c.validateStateValues(p, d)
	c.validateSeasonal(p, d)
}

// validateStateValues checks the per-state thresholds as detect.relative,
// detect.floor and detect.min_score are checked.
func (c *Config) validateStateValues(p *problems, d Detect) {
	const key = "detect"
	if m, err := ParseStateValues(d.StateRelative); err != nil {
		p.addf(key+".state_relative", "%v", err)
	} else {
		for state, v := range m {
			if v <= d.ClearRelative {
				p.addf(key+".state_relative", "state %q: must be above detect.clear_relative (%g), got %g", state, d.ClearRelative, v)
			}
		}
	}
	for name, s := range map[string]string{"state_floor": d.StateFloor, "state_min_score": d.StateMinScore} {
		m, err := ParseStateValues(s)
		if err != nil {
			p.addf(key+"."+name, "%v", err)
			continue
		}
		for state, v := range m {
			if v < 0 {
				p.addf(key+"."+name, "state %q: must not be negative, got %g", state, v)
			}
		}
	}
}

// validateSeasonal checks the seasonal keys (always, so a typo shows before
// seasonal is switched on) and the ring and baseline sizes.
func (c *Config) validateSeasonal(p *problems, d Detect) {
	const key = "detect"
	if d.SeasonalDays < 1 || d.SeasonalDays > MaxSeasonalDays {
		p.addf(key+".seasonal_days", "must be 1..%d, got %d", MaxSeasonalDays, d.SeasonalDays)
	}
	p.between(key+".seasonal_width", d.SeasonalWidth, 0, Duration(12*time.Hour-1))
	if d.Seasonal && c.Interval > 0 && (24*time.Hour)%time.Duration(c.Interval) != 0 {
		p.addf(key+".seasonal", "needs an interval that divides 24h, got %s", c.Interval)
	}
	ring, base := c.DetectSlots()
	if ring > MaxDetectSlots {
		name, what := "window", "window / interval"
		if d.Seasonal {
			name, what = "seasonal_days", "seasonal_days * 24h / interval"
		}
		p.addf(key+"."+name, "%s is %d values per series, more than %d", what, ring, MaxDetectSlots)
	}
	if d.MinHistory < 1 || (base > 0 && d.MinHistory > base) {
		p.addf(key+".min_history", "must be 1..%d (the values in a full baseline), got %d", base, d.MinHistory)
	}
}
