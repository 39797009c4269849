package source

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Status is the health of one source as the Tracker last saw it.
type Status struct {
	Name                string
	Up                  bool
	Duration            time.Duration // of the last run
	LastSuccess         time.Time     // zero until a run succeeds
	LastAttempt         time.Time     // start of the last run
	ConsecutiveFailures int
	LastError           string // of the last failed run; "" after a success
}

// Tracker is the one wrapper around every source run: it times the run and
// keeps up/down state, logs transitions only (not every failed tick), and
// exports the state as Prometheus metrics. Sources themselves only fetch
// and decode. A Tracker is safe for concurrent use.
type Tracker struct {
	logger *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	states map[string]*state

	up, duration, lastSuccess, failures *prometheus.Desc
}

type state struct {
	Status
	failuresTotal float64
}

// NewTracker returns an empty Tracker. now is the clock (time.Now in
// production); nil means time.Now.
func NewTracker(logger *slog.Logger, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	labels := []string{"source"}
	return &Tracker{
		logger: logger,
		now:    now,
		states: map[string]*state{},
		up: prometheus.NewDesc("qmonit_source_up",
			"1 if the last run of the source succeeded, else 0.", labels, nil),
		duration: prometheus.NewDesc("qmonit_source_duration_seconds",
			"Duration of the last run of the source.", labels, nil),
		lastSuccess: prometheus.NewDesc("qmonit_source_last_success_timestamp_seconds",
			"Unix time of the last successful run of the source (0 if none yet).", labels, nil),
		failures: prometheus.NewDesc("qmonit_source_failures_total",
			"Failed runs of the source.", labels, nil),
	}
}

// Run calls fn, records its duration and outcome under name, and returns
// fn's error unchanged. It logs only transitions: Warn "source down" on the
// first failure after a success (or as the first run), Info "source up
// again" on the first success after a failure. The caller should not log
// the returned error again.
func (t *Tracker) Run(ctx context.Context, name string, fn func(context.Context) error) error {
	start := t.now()
	err := fn(ctx)
	d := max(t.now().Sub(start), 0)

	t.mu.Lock()
	s, seen := t.states[name]
	if !seen {
		s = &state{Status: Status{Name: name}}
		t.states[name] = s
	}
	wasUp := s.Up
	s.LastAttempt, s.Duration = start, d
	if err == nil {
		s.Up, s.LastSuccess, s.ConsecutiveFailures, s.LastError = true, start.Add(d), 0, ""
	} else {
		s.Up, s.LastError = false, err.Error()
		s.ConsecutiveFailures++
		s.failuresTotal++
	}
	t.mu.Unlock()

	log := t.logger.With("source", name)
	switch {
	case err != nil && (wasUp || !seen):
		log.Warn("source down", "err", err, "duration_seconds", d.Seconds())
	case err == nil && seen && !wasUp:
		log.Info("source up again", "duration_seconds", d.Seconds())
	}
	return err
}

// Status returns the state of the source called name; false if it never ran.
func (t *Tracker) Status(name string) (Status, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.states[name]
	if !ok {
		return Status{}, false
	}
	return s.Status, true
}

// Snapshot returns the state of every source that ran, sorted by name.
func (t *Tracker) Snapshot() []Status {
	t.mu.Lock()
	out := make([]Status, 0, len(t.states))
	for _, s := range t.states {
		out = append(out, s.Status)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Status) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Describe implements prometheus.Collector.
func (t *Tracker) Describe(ch chan<- *prometheus.Desc) {
	ch <- t.up
	ch <- t.duration
	ch <- t.lastSuccess
	ch <- t.failures
}

// Collect implements prometheus.Collector. The state is copied first so a
// slow scrape never holds up Run.
func (t *Tracker) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	states := make([]state, 0, len(t.states))
	for _, s := range t.states {
		states = append(states, *s)
	}
	t.mu.Unlock()
	for _, s := range states {
		up := 0.0
		if s.Up {
			up = 1
		}
		last := 0.0
		if !s.LastSuccess.IsZero() {
			last = float64(s.LastSuccess.UnixNano()) / 1e9
		}
		ch <- constMetric(t.up, prometheus.GaugeValue, up, s.Name)
		ch <- constMetric(t.duration, prometheus.GaugeValue, s.Duration.Seconds(), s.Name)
		ch <- constMetric(t.lastSuccess, prometheus.GaugeValue, last, s.Name)
		ch <- constMetric(t.failures, prometheus.CounterValue, s.failuresTotal, s.Name)
	}
}

// constMetric is MustNewConstMetric without the panic: a source name that
// is not valid UTF-8 yields an invalid metric, which the registry reports.
func constMetric(d *prometheus.Desc, typ prometheus.ValueType, v float64, name string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, typ, v, name)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
