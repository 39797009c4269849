// Package detect owns the suspicious-queue detector: it compares, every
// cycle, each tracked series' job count with a robust baseline (median and
// MAD of the previous window, excluding the current point), flags departures
// that persist for K cycles, clears them with hysteresis, groups queues that
// deviate together (same cloud, site, harvester instance or pilot version)
// into one incident, and reports series that stop arriving as data-quality
// findings rather than drops. While a series is flagged its baseline is
// frozen (see Config.FreezeLimit), so a long incident stays open until the
// queue recovers. It is pure: no I/O, no clock, no logging; the caller
// passes the cycle time and the observations. A restart rebuilds the state
// by replaying stored cycles through Observe (Snapshot shows it).
package detect

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// Directions of a deviation.
const (
	Drop = "drop"
	Rise = "rise"
)

// Incident and finding kinds.
const (
	KindQueue       = "queue"
	KindGroup       = "group"
	KindDataQuality = "data_quality"
	KindDeviation   = "deviation"
)

// Config tunes the detector. Default returns the ATLAS defaults.
type Config struct {
	// States are the job_status values watched; other series are ignored.
	States []string
	// Relative is the opening threshold on |value-median| / max(median, 1).
	Relative float64
	// Floor is the minimum |value-median|, in jobs, for a flag.
	Floor float64
	// ClearRelative is the closing threshold (hysteresis): a flagged series
	// clears once |value-median| / max(median, 1) is at most ClearRelative,
	// or |value-median| is under Floor/2.
	ClearRelative float64
	// MinScore is the minimum robust z-score |value-median| / max(1.4826*MAD, 1).
	// It keeps slow ramps, whose current value stays within a few MADs of a
	// moving median, from being flagged.
	MinScore float64
	// K is the number of consecutive flagged (or missing) cycles before an
	// incident opens.
	K int
	// MinHistory is the minimum number of past samples in the baseline.
	MinHistory int
	// Window is the trailing baseline span (Window/Interval past values are
	// kept) when Seasonal is off. In both modes it is also how long a CRIC
	// state change is shown next to a flag and explains a drain.
	Window time.Duration
	// FreezeLimit bounds how long a flagged series' baseline stays frozen.
	// While a series is flagged (pending or active) its values stay out of
	// its baseline, which keeps, slot by slot, the values of a span (Span)
	// earlier, so a long incident does not become the new normal and clear
	// itself. With the trailing window, a slot keeps a value for at most
	// Window + FreezeLimit after it was written; with the seasonal baseline,
	// values stay out while the flag episode is younger than FreezeLimit
	// (see Detector.stepSeasonal). Then the
	// flagged values enter, so a lasting change (a queue resized for good, a
	// new daily pattern) is learnt and its flag clears about half a span
	// later. 0 freezes for as long as the flag lasts.
	FreezeLimit time.Duration
	// Interval is the cycle length.
	Interval time.Duration
	// GroupMin is the minimum number of distinct queues sharing an
	// attribute that deviate the same way to make one grouped incident.
	GroupMin int
	// DownStates are the CRIC site_state values under which a drain is expected.
	DownStates []string
	// StateRelative, StateFloor and StateMinScore override Relative, Floor
	// and MinScore per job state: activated counts are bursty (jobs wait for
	// pilots in waves), so the default asks more of them before flagging.
	StateRelative map[string]float64
	StateFloor    map[string]float64
	StateMinScore map[string]float64
	// Seasonal builds the baseline at cycle t from the values within
	// SeasonalWidth either side of the same time of day (UTC, whole days
	// back) on each of the previous SeasonalDays days, instead of the
	// trailing Window: a queue whose load follows the clock (nightly
	// batches, working hours) is compared with itself at that hour. It keeps
	// SeasonalDays*24h/Interval values per series (see Detector for the
	// bytes), and the Interval must divide 24 h.
	Seasonal      bool
	SeasonalDays  int
	SeasonalWidth time.Duration
}

// MaxSlots bounds the values a detector keeps per series: Window/Interval,
// or SeasonalDays*24h/Interval with Seasonal (7 days of 1-minute cycles).
const MaxSlots = 10080

// day is the seasonal period.
const day = 24 * time.Hour

// Span is how far back the baseline reaches: Window, or SeasonalDays days
// with Seasonal.
func (c Config) Span() time.Duration {
	if c.Seasonal {
		return time.Duration(c.SeasonalDays) * day
	}
	return c.Window
}

// History is how much past a new detector must observe to reach the state
// of one that has run all along (a restart replays it): a span of values,
// and the values a frozen baseline still holds from the span before, for
// as many spans as FreezeLimit reaches (rounded up). With FreezeLimit 0 a
// long-frozen baseline can hold older values than any replay restores.
func (c Config) History() time.Duration {
	span := c.Span()
	if span <= 0 || c.FreezeLimit <= 0 {
		return span
	}
	laps := (c.FreezeLimit + span - 1) / span
	return span + laps*span
}

// baselineSlots returns the ring length (values kept per series) and the
// number of values in a full baseline.
func (c Config) baselineSlots() (ring, full int) {
	if c.Interval <= 0 {
		return 0, 0
	}
	if !c.Seasonal {
		n := int(c.Window / c.Interval)
		return n, n
	}
	period, half := int(day/c.Interval), int(c.SeasonalWidth/c.Interval)
	return c.SeasonalDays * period, c.SeasonalDays*(2*half+1) - half
}

// Default returns the default configuration: running, activated, assigned and
// failed; 50 % and 20 jobs to open, 25 % to clear, score 3, K=3, 12 samples
// of history, 24 h trailing window at 10 min, baselines frozen for up to
// 24 h more, groups of 3; seasonal off (7 days, +-1 h when on). Activated,
// which comes in waves, needs +150 %, 50 jobs and score 5 (so a fall in activated is never flagged: the running drain that
// follows is); failed needs 5 jobs. The figures behind these choices are in
// internal/app's BenchmarkDetectorAgainstSimulatedGrid.
func Default() Config {
	return Config{
		States:        []string{"running", "activated", "assigned", "failed"},
		Relative:      0.5,
		Floor:         20,
		ClearRelative: 0.25,
		MinScore:      3,
		K:             3,
		MinHistory:    12,
		Window:        24 * time.Hour,
		FreezeLimit:   24 * time.Hour,
		Interval:      10 * time.Minute,
		GroupMin:      3,
		DownStates:    []string{"offline", "test", "brokeroff"},
		StateRelative: map[string]float64{"activated": 1.5},
		StateFloor:    map[string]float64{"activated": 50, "failed": 5},
		StateMinScore: map[string]float64{"activated": 5},
		SeasonalDays:  7,
		SeasonalWidth: time.Hour,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case len(c.States) == 0:
		return errors.New("detect: states: empty")
	case c.Interval <= 0:
		return fmt.Errorf("detect: interval %v: not positive", c.Interval)
	case c.Window < c.Interval:
		return fmt.Errorf("detect: window %v: shorter than interval %v", c.Window, c.Interval)
	case c.Relative <= 0:
		return fmt.Errorf("detect: relative %v: not positive", c.Relative)
	case c.ClearRelative <= 0 || c.ClearRelative >= c.Relative:
		return fmt.Errorf("detect: clear_relative %v: not in (0, relative %v)", c.ClearRelative, c.Relative)
	case c.FreezeLimit < 0:
		return fmt.Errorf("detect: freeze_limit %v: negative", c.FreezeLimit)
	case c.Floor < 0 || c.MinScore < 0:
		return fmt.Errorf("detect: floor %v, min_score %v: negative", c.Floor, c.MinScore)
	case c.K < 1:
		return fmt.Errorf("detect: k %d: below 1", c.K)
	case c.GroupMin < 2:
		return fmt.Errorf("detect: group_min %d: below 2", c.GroupMin)
	}
	if err := c.validateBaseline(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range c.States {
		if s == "" || seen[s] {
			return fmt.Errorf("detect: states: empty or duplicate %q", s)
		}
		seen[s] = true
	}
	for state, v := range c.StateRelative {
		if !(v > c.ClearRelative) {
			return fmt.Errorf("detect: state_relative[%q] %v: not above clear_relative %v", state, v, c.ClearRelative)
		}
	}
	for state, v := range c.StateFloor {
		if v < 0 || math.IsNaN(v) {
			return fmt.Errorf("detect: state_floor[%q] %v: negative", state, v)
		}
	}
	for state, v := range c.StateMinScore {
		if v < 0 || math.IsNaN(v) {
			return fmt.Errorf("detect: state_min_score[%q] %v: negative", state, v)
		}
	}
	return nil
}

// validateBaseline checks the seasonal settings (when on) and the
// baseline's size.
func (c Config) validateBaseline() error {
	switch {
	case !c.Seasonal:
	case c.SeasonalDays < 1:
		return fmt.Errorf("detect: seasonal_days %d: below 1", c.SeasonalDays)
	case c.SeasonalWidth < 0 || c.SeasonalWidth >= day/2:
		return fmt.Errorf("detect: seasonal_width %v: not in [0, 12h)", c.SeasonalWidth)
	case day%c.Interval != 0:
		return fmt.Errorf("detect: seasonal: interval %v does not divide 24h", c.Interval)
	}
	ring, full := c.baselineSlots()
	if ring > MaxSlots {
		return fmt.Errorf("detect: %d values per series (span %v / interval %v): more than %d", ring, c.Span(), c.Interval, MaxSlots)
	}
	if c.MinHistory < 1 || c.MinHistory > full {
		return fmt.Errorf("detect: min_history %d: not in [1, %d]", c.MinHistory, full)
	}
	return nil
}

// Observation is one series' value in a cycle. Present false (or the series
// left out of the cycle) means no data, which is never read as a drop.
type Observation struct {
	Key     point.Key
	Value   float64
	Present bool
	Attrs   point.Attrs
}

// StateChange is a CRIC site_state change seen by the detector.
type StateChange struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	At   time.Time `json:"at"`
}

// Finding is the evidence for one series in one cycle.
type Finding struct {
	Kind          string       `json:"kind"` // KindDeviation or KindDataQuality
	Queue         string       `json:"queue"`
	ProdSource    string       `json:"prod_source"`
	Resource      string       `json:"resource"`
	State         string       `json:"state"`
	Direction     string       `json:"direction,omitempty"`
	Value         float64      `json:"value"`
	Baseline      float64      `json:"baseline"` // median of the window
	MAD           float64      `json:"mad"`
	WindowSeconds float64      `json:"window_seconds"`
	Samples       int          `json:"samples"`
	Coverage      float64      `json:"coverage"` // samples / window slots
	AbsDeviation  float64      `json:"abs_deviation"`
	RelDeviation  float64      `json:"rel_deviation"`
	Score         float64      `json:"score"`
	Seasonal      bool         `json:"seasonal,omitempty"` // baseline from the same time of day on past days
	FirstSeen     time.Time    `json:"first_seen"`
	Cycles        int          `json:"cycles"` // consecutive flagged or missing cycles
	Active        bool         `json:"active"` // K reached and not yet cleared
	Expected      bool         `json:"expected"`
	Cloud         string       `json:"cloud"`
	Site          string       `json:"atlas_site"`
	Harvester     string       `json:"harvester"`
	PilotVersion  string       `json:"pilot_version"`
	SiteState     string       `json:"site_state"`
	StateChange   *StateChange `json:"state_change,omitempty"`
}

// Incident is one open or closed suspicious condition.
type Incident struct {
	ID        string     `json:"id"` // stable hash of kind, identity and start
	Kind      string     `json:"kind"`
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end,omitempty"`
	State     string     `json:"state,omitempty"`
	Direction string     `json:"direction,omitempty"`
	Group     string     `json:"group,omitempty"` // e.g. "cloud=DE"
	Queues    []string   `json:"queues"`
	Expected  bool       `json:"expected"` // every finding is an expected drain
	Evidence  []Finding  `json:"evidence"`
}

// Report is the outcome of one cycle. The slices are fresh for each call and
// owned by the caller.
type Report struct {
	Open     []Incident `json:"open"`
	Opened   []Incident `json:"opened"`
	Closed   []Incident `json:"closed"`
	Findings []Finding  `json:"findings"`
}

// New returns a detector for cfg. A Detector is not safe for concurrent use.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ring, full := cfg.baselineSlots()
	d := &Detector{
		cfg:    cfg,
		slots:  ring,
		full:   full,
		keep:   int64((cfg.Window + cfg.FreezeLimit) / cfg.Interval),
		states: map[string]bool{},
		down:   map[string]bool{},
		series: map[point.Key]*series{},
		queues: map[string]*queueInfo{},
		open:   map[string]*Incident{},
	}
	if cfg.FreezeLimit == 0 {
		d.keep = math.MaxInt64
	}
	if cfg.Seasonal {
		d.period, d.half = int64(day/cfg.Interval), int64(cfg.SeasonalWidth/cfg.Interval)
		d.freeze = int64((cfg.FreezeLimit + cfg.Interval - 1) / cfg.Interval)
	}
	for _, s := range cfg.States {
		d.states[s] = true
	}
	for _, s := range cfg.DownStates {
		d.down[s] = true
	}
	return d, nil
}
