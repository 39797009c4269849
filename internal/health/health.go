// Package health decides when qmonit itself is unwell: PanDA failing for
// several cycles, CRIC metadata too old, a sink whose backlog keeps growing
// or that drops batches, no cycle completed for two intervals, the store
// failing. It is pure: the daemon samples its state into an Input and the
// Checker turns the sequence of inputs into open and resolved alerts, with
// the time each started, so they can go through the same notification path
// as the detector's incidents.
package health

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Config holds the thresholds. Zero values take the defaults of Default.
type Config struct {
	// Interval is the cycle interval; "no cycle" fires after 2 of them.
	Interval time.Duration
	// PandaFailures is how many consecutive failed cycles raise "panda".
	PandaFailures int
	// CatalogMaxAge is the age past which a CRIC source's data is stale.
	CatalogMaxAge time.Duration
	// BacklogGrowth is how many consecutive checks a sink's backlog must
	// grow before "sink_backlog" fires.
	BacklogGrowth int
}

// Default returns the default thresholds for interval.
func Default(interval time.Duration) Config {
	return Config{Interval: interval, PandaFailures: 3, CatalogMaxAge: 3 * time.Hour, BacklogGrowth: 3}
}

// Sink is one external sink's spool as seen by a check.
type Sink struct {
	Name           string
	BacklogBatches int
	Dropped        uint64 // total batches dropped since start
}

// Input is the daemon's state at one check.
type Input struct {
	Now time.Time
	// Started is when the daemon began cycling; "no cycle" counts from it
	// until the first cycle completes.
	Started time.Time
	// LastCompleted is when the last cycle finished, good or not.
	LastCompleted time.Time
	// PandaFailures is the number of consecutive cycles that failed
	// fetching PanDA; PandaError the last such error.
	PandaFailures int
	PandaError    string
	// CatalogAges is the age of each CRIC/WLCG source's held data; a
	// source never fetched is absent.
	CatalogAges map[string]time.Duration
	// StoreError is the last store write error, "" when the last write
	// succeeded.
	StoreError string
	Sinks      []Sink
}

// Alert is one pipeline-health problem.
type Alert struct {
	Key      string     `json:"key"`  // stable: kind, or kind/subject
	Kind     string     `json:"kind"` // panda, catalog_stale, no_cycle, store, sink_backlog, sink_dropping
	Subject  string     `json:"subject,omitempty"`
	Severity string     `json:"severity"` // warning or critical
	Summary  string     `json:"summary"`
	Start    time.Time  `json:"start"`
	End      *time.Time `json:"end"`
}

// Report is the outcome of one check.
type Report struct {
	Open     []Alert // every open alert, sorted by key
	Opened   []Alert // opened at this check
	Resolved []Alert // resolved at this check, End set
}

// Checker keeps the open alerts and the sinks' recent backlogs between
// checks. It is not safe for concurrent use.
type Checker struct {
	cfg     Config
	open    map[string]Alert
	backlog map[string][]int // last BacklogGrowth+1 backlogs per sink
	dropped map[string]uint64
}

// New returns a Checker; zero fields of cfg take Default's values.
func New(cfg Config) *Checker {
	d := Default(cfg.Interval)
	if cfg.PandaFailures <= 0 {
		cfg.PandaFailures = d.PandaFailures
	}
	if cfg.CatalogMaxAge <= 0 {
		cfg.CatalogMaxAge = d.CatalogMaxAge
	}
	if cfg.BacklogGrowth <= 0 {
		cfg.BacklogGrowth = d.BacklogGrowth
	}
	return &Checker{cfg: cfg, open: map[string]Alert{}, backlog: map[string][]int{}, dropped: map[string]uint64{}}
}

// Check evaluates in and returns what changed.
func (c *Checker) Check(in Input) Report {
	firing := map[string]Alert{}
	fire := func(kind, subject, severity, summary string) {
		key := kind
		if subject != "" {
			key += "/" + subject
		}
		firing[key] = Alert{Key: key, Kind: kind, Subject: subject, Severity: severity, Summary: summary}
	}
	if in.PandaFailures >= c.cfg.PandaFailures {
		fire("panda", "", "critical", fmt.Sprintf("PanDA failed %d cycles in a row: %s", in.PandaFailures, in.PandaError))
	}
	for name, age := range in.CatalogAges {
		if age > c.cfg.CatalogMaxAge {
			fire("catalog_stale", name, "warning", fmt.Sprintf("%s metadata is %s old (limit %s)",
				name, age.Round(time.Minute), c.cfg.CatalogMaxAge))
		}
	}
	if c.cfg.Interval > 0 {
		since := in.LastCompleted
		if since.IsZero() {
			since = in.Started
		}
		if !since.IsZero() && in.Now.Sub(since) > 2*c.cfg.Interval {
			fire("no_cycle", "", "critical", fmt.Sprintf("no cycle completed for %s (interval %s)",
				in.Now.Sub(since).Round(time.Second), c.cfg.Interval))
		}
	}
	if in.StoreError != "" {
		fire("store", "", "critical", "the embedded store is failing: "+in.StoreError)
	}
	for _, s := range in.Sinks {
		h := append(c.backlog[s.Name], s.BacklogBatches)
		if len(h) > c.cfg.BacklogGrowth+1 {
			h = h[len(h)-c.cfg.BacklogGrowth-1:]
		}
		c.backlog[s.Name] = h
		if growing(h, c.cfg.BacklogGrowth) {
			fire("sink_backlog", s.Name, "warning", fmt.Sprintf("sink %s: backlog grew for %d checks to %d batches",
				s.Name, c.cfg.BacklogGrowth, s.BacklogBatches))
		} else if a, ok := c.open["sink_backlog/"+s.Name]; ok && s.BacklogBatches > 0 {
			firing[a.Key] = a // stays open until the backlog is delivered
		}
		if prev, ok := c.dropped[s.Name]; ok && s.Dropped > prev {
			fire("sink_dropping", s.Name, "critical", fmt.Sprintf("sink %s: spool full, %d batches dropped",
				s.Name, s.Dropped-prev))
		}
		c.dropped[s.Name] = s.Dropped
	}

	var rep Report
	for key, a := range firing {
		if old, ok := c.open[key]; ok {
			a.Start = old.Start
		} else {
			a.Start = in.Now
			rep.Opened = append(rep.Opened, a)
		}
		c.open[key] = a
	}
	for key, a := range c.open {
		if _, ok := firing[key]; ok {
			continue
		}
		end := in.Now
		a.End = &end
		rep.Resolved = append(rep.Resolved, a)
		delete(c.open, key)
	}
	for _, a := range c.open {
		rep.Open = append(rep.Open, a)
	}
	byKey := func(a, b Alert) int { return cmp.Compare(a.Key, b.Key) }
	slices.SortFunc(rep.Open, byKey)
	slices.SortFunc(rep.Opened, byKey)
	slices.SortFunc(rep.Resolved, byKey)
	return rep
}

// growing reports whether the last n steps of h each increased.
func growing(h []int, n int) bool {
	if len(h) < n+1 {
		return false
	}
	for i := len(h) - n; i < len(h); i++ {
		if h[i] <= h[i-1] {
			return false
		}
	}
	return true
}
