package health

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const iv = 10 * time.Minute

func keys(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Key)
	}
	return out
}

// step is one check and the keys expected open, opened and resolved.
type step struct {
	in                     Input
	open, opened, resolved []string
	noneCompleted          bool // keep LastCompleted zero
}

func run(t *testing.T, c *Checker, steps []step) []Report {
	t.Helper()
	var reps []Report
	for i, s := range steps {
		if s.in.Now.IsZero() {
			s.in.Now = t0.Add(time.Duration(i) * iv)
		}
		if s.in.Started.IsZero() {
			s.in.Started = t0
		}
		if s.in.LastCompleted.IsZero() && !s.noneCompleted {
			s.in.LastCompleted = s.in.Now
		}
		rep := c.Check(s.in)
		if !slices.Equal(keys(rep.Open), s.open) || !slices.Equal(keys(rep.Opened), s.opened) ||
			!slices.Equal(keys(rep.Resolved), s.resolved) {
			t.Fatalf("check %d: open %v opened %v resolved %v; want %v %v %v", i,
				keys(rep.Open), keys(rep.Opened), keys(rep.Resolved), s.open, s.opened, s.resolved)
		}
		reps = append(reps, rep)
	}
	return reps
}

func TestPandaFailingForKCycles(t *testing.T) {
	c := New(Default(iv))
	fail := func(n int) Input { return Input{PandaFailures: n, PandaError: "panda: HTTP 503"} }
	reps := run(t, c, []step{
		{in: fail(1)},
		{in: fail(2)},
		{in: fail(3), open: []string{"panda"}, opened: []string{"panda"}},
		{in: fail(4), open: []string{"panda"}},
		{in: Input{}, resolved: []string{"panda"}},
	})
	a := reps[2].Opened[0]
	if a.Severity != "critical" || !strings.Contains(a.Summary, "HTTP 503") || !a.Start.Equal(t0.Add(2*iv)) {
		t.Errorf("panda alert = %+v", a)
	}
	if r := reps[4].Resolved[0]; r.End == nil || !r.End.Equal(t0.Add(4*iv)) || !r.Start.Equal(t0.Add(2*iv)) {
		t.Errorf("resolved = %+v", r)
	}
}

func TestCatalogStale(t *testing.T) {
	c := New(Default(iv))
	run(t, c, []step{
		{in: Input{CatalogAges: map[string]time.Duration{"pandaqueue": time.Hour, "site": 3 * time.Hour}}},
		{in: Input{CatalogAges: map[string]time.Duration{"pandaqueue": 4 * time.Hour, "site": 5 * time.Hour}},
			open: []string{"catalog_stale/pandaqueue", "catalog_stale/site"}, opened: []string{"catalog_stale/pandaqueue", "catalog_stale/site"}},
		{in: Input{CatalogAges: map[string]time.Duration{"pandaqueue": time.Minute, "site": 5 * time.Hour}},
			open: []string{"catalog_stale/site"}, resolved: []string{"catalog_stale/pandaqueue"}},
	})
}

func TestNoCycleForTwoIntervals(t *testing.T) {
	c := New(Default(iv))
	start := t0
	run(t, c, []step{
		// Just started, nothing completed yet: fine for two intervals.
		{in: Input{Now: start.Add(iv), Started: start}, noneCompleted: true},
		{in: Input{Now: start.Add(2*iv + time.Second), Started: start}, noneCompleted: true,
			open: []string{"no_cycle"}, opened: []string{"no_cycle"}},
		{in: Input{Now: start.Add(3 * iv), Started: start, LastCompleted: start.Add(3 * iv)},
			resolved: []string{"no_cycle"}},
		{in: Input{Now: start.Add(5*iv + time.Second), LastCompleted: start.Add(3 * iv)},
			open: []string{"no_cycle"}, opened: []string{"no_cycle"}},
	})
}

func TestStoreFailing(t *testing.T) {
	c := New(Default(iv))
	run(t, c, []step{
		{in: Input{StoreError: "disk full"}, open: []string{"store"}, opened: []string{"store"}},
		{in: Input{}, resolved: []string{"store"}},
	})
}

func TestSinkBacklogGrowingThenDelivered(t *testing.T) {
	c := New(Default(iv))
	sink := func(n int, dropped uint64) Input {
		return Input{Sinks: []Sink{{Name: "influxdb", BacklogBatches: n, Dropped: dropped}}}
	}
	run(t, c, []step{
		{in: sink(0, 0)},
		{in: sink(2, 0)},
		{in: sink(4, 0)},
		{in: sink(6, 0), open: []string{"sink_backlog/influxdb"}, opened: []string{"sink_backlog/influxdb"}},
		// Draining but not empty: stays open, no new message.
		{in: sink(3, 0), open: []string{"sink_backlog/influxdb"}},
		{in: sink(0, 0), resolved: []string{"sink_backlog/influxdb"}},
		// A steady non-growing backlog (a slow sink keeping up) does not fire.
		{in: sink(5, 0)},
		{in: sink(5, 0)},
		{in: sink(5, 0)},
		{in: sink(5, 0)},
	})
}

func TestSinkDropping(t *testing.T) {
	c := New(Default(iv))
	sink := func(dropped uint64) Input { return Input{Sinks: []Sink{{Name: "remote_write", Dropped: dropped}}} }
	reps := run(t, c, []step{
		{in: sink(7)}, // drops before qmonit knew of them are not news
		{in: sink(7)},
		{in: sink(9), open: []string{"sink_dropping/remote_write"}, opened: []string{"sink_dropping/remote_write"}},
		{in: sink(9), resolved: []string{"sink_dropping/remote_write"}},
	})
	if s := reps[2].Opened[0].Summary; !strings.Contains(s, "2 batches dropped") {
		t.Errorf("summary = %q", s)
	}
}

func TestDefaultsFillZeroConfig(t *testing.T) {
	c := New(Config{Interval: iv})
	if c.cfg.PandaFailures != 3 || c.cfg.CatalogMaxAge != 3*time.Hour || c.cfg.BacklogGrowth != 3 {
		t.Errorf("cfg = %+v", c.cfg)
	}
}
