package app

import (
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/qmonit/qmonit/internal/absent"
	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/schedule"
	"github.com/qmonit/qmonit/internal/sim"
	"github.com/qmonit/qmonit/internal/source/datadisk"
	"github.com/qmonit/qmonit/internal/source/panda"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// DemoOptions configures `qmonit demo`.
type DemoOptions struct {
	Listen  string // qmonit's HTTP address
	DataDir string // "" means a temporary directory removed at exit
	Days    int    // history to backfill
	Queues  int
	Seed    int64
	Stderr  io.Writer // progress bar
	Logger  *slog.Logger
	Ready   func(baseURL string)
	// MemoryLimit is passed to Serve (steady-state soft memory limit).
	MemoryLimit int64
}

// Demo starts the simulated grid on loopback, backfills Days of history at
// the interval, then serves live against the simulator until ctx is done.
func Demo(ctx context.Context, o DemoOptions) error {
	if o.DataDir == "" {
		dir, err := os.MkdirTemp("", "qmonit-demo-")
		if err != nil {
			return fmt.Errorf("create demo data dir: %w", err)
		}
		defer os.RemoveAll(dir)
		o.DataDir = dir
	}
	grid := sim.New(sim.Options{Seed: o.Seed, Queues: o.Queues})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the simulator: %w", err)
	}
	simSrv := &http.Server{Handler: grid.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = simSrv.Serve(ln) }()
	defer shutdownHTTP(simSrv, o.Logger)

	env := map[string]string{"QMONIT_DATA_DIR": o.DataDir, "QMONIT_LISTEN": o.Listen}
	for _, line := range grid.Env("http://" + ln.Addr().String()) {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	lookup := func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}
	cfg, err := config.Load("", lookup)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	o.Logger.Info("demo: simulated grid started", "url", "http://"+ln.Addr().String(), "queues", len(grid.QueueNames()), "data_dir", o.DataDir)
	return Serve(ctx, ServeOptions{
		Config: cfg, Logger: o.Logger, Ready: o.Ready, MemoryLimit: o.MemoryLimit,
		BeforeCycles: func(ctx context.Context, d *Daemon) error {
			return d.backfill(ctx, grid, o.Days, o.Stderr)
		},
	})
}

// backfill writes days of simulated history, up to the first live cycle, straight into blocks, then rebuilds the derived state from
// the store as after a restart.
func (d *daemon) backfill(ctx context.Context, grid *sim.Grid, days int, progress io.Writer) error {
	if days <= 0 {
		return nil
	}
	now := time.Now()
	interval := time.Duration(d.cfg.Interval)
	if err := d.up().catalog.Refresh(ctx, now); err != nil {
		return fmt.Errorf("backfill: catalog: %w", err)
	}
	// History covers every cycle before the first live one, so no cycle is
	// skipped between them.
	end := schedule.Next(now, interval, time.Duration(d.cfg.CycleOffset))
	if st := d.store.Stats(); !st.HeadMaxTime.IsZero() {
		d.logger.Info("backfill skipped: the store already holds data", "newest", st.HeadMaxTime.Format(time.RFC3339))
		return nil
	}
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	total := int(end.Sub(start) / interval)
	began := time.Now()
	bar := newProgress(progress, "backfill", total)
	err := d.store.Backfill(ctx, total, historyCycles(grid, d.up().catalog.Index(), d.up().catalog.Datadisks(), start, total, interval, time.Duration(d.cfg.StaleAfter)), bar.update)
	bar.done()
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	d.logger.Info("backfill done", "days", days, "cycles", total, "duration_seconds", time.Since(began).Seconds())
	return d.rebuild(ctx, now)
}

// historyCycles yields one simulated cycle after another: the points, and
// the hourly and daily rollups that complete with it. Cycles are generated
// one step ahead in their own goroutine, so generation overlaps the store's
// writes; each cycle owns its slices.
//
// Like live cycles, a series that vanishes is written as 0 for staleAfter,
// then marked stale (internal/absent), so history replays through the
// detector as live data would.
func historyCycles(grid *sim.Grid, ix *enrich.Index, disks map[string]datadisk.Usage, start time.Time, n int, interval, staleAfter time.Duration) iter.Seq2[tsdb.Cycle, error] {
	return func(yield func(tsdb.Cycle, error) bool) {
		roller, err := derive.NewRoller(derive.Config{Interval: interval})
		if err != nil {
			yield(tsdb.Cycle{}, err)
			return
		}
		ch := make(chan tsdb.Cycle, 2)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			defer close(ch)
			gen := historyGen{grid: grid, ix: ix, disks: disks, roller: roller, interval: interval, latest: map[point.Key]*point.Point{},
				absent: absent.New(staleAfter)}
			for i := range n {
				select {
				case ch <- gen.cycle(start.Add(time.Duration(i) * interval)):
				case <-stop:
					return
				}
			}
		}()
		for c := range ch {
			if !yield(c, nil) {
				return
			}
		}
	}
}

// historyGen builds history cycles; it is owned by one goroutine.
type historyGen struct {
	grid     *sim.Grid
	ix       *enrich.Index
	disks    map[string]datadisk.Usage // occupancy written every hour (the demo has one dump)
	roller   *derive.Roller
	interval time.Duration
	latest   map[point.Key]*point.Point
	absent   *absent.Tracker
	samples  []derive.Sample
}

func (g *historyGen) cycle(t time.Time) tsdb.Cycle {
	res := enrich.Enrich(statsFromMap(g.grid.Stats(t, int(g.interval/time.Minute))), g.ix, t, g.interval)
	gone := g.absent.Observe(t, res.Points)
	all := append(res.Points, gone.Zeros...)
	for j := range all {
		g.latest[all[j].Key()] = &all[j]
	}
	for j := range gone.Stale {
		delete(g.latest, gone.Stale[j].Key())
	}
	g.samples = derive.AppendSamples(g.samples[:0], all)
	rep := g.roller.Observe(t, g.samples)
	var out []tsdb.Sample
	for _, r := range rep.Rollups {
		if p := g.latest[r.Key]; p != nil {
			out = append(out, rollupStoreSamples(pointLabels(p), r)...)
		}
	}
	out = append(out, queueSamples(t, res.Points, g.ix)...)
	out = append(out, staleSamples(gone.Stale)...)
	if t.Equal(t.Truncate(time.Hour)) {
		out = append(out, datadiskStoreSamples(t, g.disks)...)
	}
	return tsdb.Cycle{Points: all, Samples: out}
}

// statsFromMap turns the simulator's nested map into a decoded answer,
// entries sorted by (queue, label, resource, status).
func statsFromMap(m map[string]map[string]map[string]map[string]int64) panda.Stats {
	st := panda.Stats{Queues: len(m)}
	for _, q := range sortedKeys(m) {
		labels := m[q]
		for _, l := range sortedKeys(labels) {
			res := labels[l]
			for _, r := range sortedKeys(res) {
				states := res[r]
				for _, s := range sortedKeys(states) {
					st.Entries = append(st.Entries, panda.Entry{Queue: q, Label: l, Resource: r, Status: s, Count: states[s]})
				}
			}
		}
	}
	return st
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// progress draws a one-line progress bar on a terminal-like writer.
type progress struct {
	w     io.Writer
	what  string
	total int
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, what string, total int) *progress {
	return &progress{w: w, what: what, total: total, start: time.Now()}
}

func (p *progress) update(done, total int) {
	if p.w == nil || (time.Since(p.last) < 200*time.Millisecond && done != total) {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := float64(done) / float64(max(total, 1))
	bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d cycles (%3.0f%%) %s", p.what, bar, done, total, frac*100, time.Since(p.start).Round(time.Second))
}

func (p *progress) done() {
	if p.w != nil {
		fmt.Fprintln(p.w)
	}
}
