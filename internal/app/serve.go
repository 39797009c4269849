package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/promapi"
	"github.com/qmonit/qmonit/internal/schedule"
)

// ServeOptions configures `qmonit serve`.
type ServeOptions struct {
	Config *config.Config
	Logger *slog.Logger
	// Reload delivers configuration reload requests (SIGHUP); each receive
	// calls LoadConfig. Only the reloadable parts (sources, log level) change;
	// the store and listen address need a restart.
	Reload     <-chan struct{}
	LoadConfig func() (*config.Config, error)
	// Ready, when set, is called with the base URL once /-/ready answers 200.
	Ready func(baseURL string)
	// Listener, when set, is used instead of listening on Config.Listen.
	Listener net.Listener
	// BeforeCycles runs after the stores are open and rebuilt, before the
	// HTTP server is ready (demo uses it to backfill history).
	BeforeCycles func(ctx context.Context, d *Daemon) error
	// MemoryLimit, when positive, is the Go runtime's soft memory limit in
	// steady state. It is set once the daemon is ready: start-up (rebuild,
	// backfill) needs more, and a limit then makes the collector thrash.
	MemoryLimit int64
}

// Daemon is the running server, as seen by BeforeCycles.
type Daemon = daemon

// Serve runs qmonit as a daemon until ctx is done: cycles at aligned times,
// the HTTP API and UI, graceful shutdown (finish or abandon the cycle, stop
// the server, flush and close the stores).
func Serve(ctx context.Context, o ServeOptions) error {
	cfg := o.Config
	d, err := openDaemon(ctx, cfg, o.Logger, time.Now)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.rebuild(ctx, time.Now()); err != nil {
		return fmt.Errorf("rebuild from store: %w", err)
	}
	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return fmt.Errorf("listen %q: %w", cfg.Listen, err)
		}
	}
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	if o.BeforeCycles != nil {
		if err := o.BeforeCycles(ctx, d); err != nil {
			shutdownHTTP(srv, o.Logger)
			return err
		}
	}
	if o.MemoryLimit > 0 {
		debug.FreeOSMemory() // return start-up garbage before the limit applies
		debug.SetMemoryLimit(o.MemoryLimit)
	}
	d.ready.Store(true)
	o.Logger.Info("qmonit serving", "url", base, "version", Version, "interval", time.Duration(cfg.Interval).String(),
		"data_dir", cfg.DataDir)
	if o.Ready != nil {
		o.Ready(base)
	}
	runner := &schedule.Runner{
		Interval: time.Duration(cfg.Interval), Offset: time.Duration(cfg.CycleOffset),
		Timeout: cfg.EffectiveCycleTimeout(),
		Skipped: func(n int) {
			d.metrics.cyclesSkipped.Add(float64(n))
			o.Logger.Warn("cycle overran; ticks skipped", "skipped", n)
		},
	}
	// Cycles and sink senders run under their own context, so every way out
	// of Serve stops them and waits for them before the stores close.
	runCtx, stop := context.WithCancel(ctx)
	var workers sync.WaitGroup
	defer workers.Wait()
	defer stop()
	for _, s := range d.sinks {
		workers.Go(func() { s.run(runCtx) })
	}
	cycles := make(chan error, 1)
	workers.Go(func() { cycles <- runner.Run(runCtx, d.cycle) })
	workers.Go(func() { d.watchHealth(runCtx) })
	workers.Go(func() { d.notify.Run(runCtx) })
	workers.Go(func() { d.warmWeb(runCtx) })
	d.kickWarm() // the backfilled or rebuilt history is ready to show
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("http server: %w", err)
		case err := <-cycles:
			if err != nil && !errors.Is(err, context.Canceled) {
				o.Logger.Error("cycle runner stopped", "err", err)
			}
			o.Logger.Info("shutting down")
			shutdownHTTP(srv, o.Logger)
			return nil
		case <-o.Reload:
			d.reload(o.LoadConfig)
		}
	}
}

func shutdownHTTP(srv *http.Server, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("http shutdown failed", "err", err)
	}
}

// cycle runs one collection and writes it; it never returns an error: a
// failed cycle writes nothing, is logged and counted.
func (d *daemon) cycle(ctx context.Context, at time.Time) {
	start := time.Now()
	st := *d.status.Load()
	st.LastCycle = at
	res, err := d.up().runCycle(ctx, at, d.logger)
	st.StoreError = ""
	switch {
	case err != nil || res.Empty:
		st.FailedInARow++
	default:
		st.FailedInARow = 0
		if err = d.writeCycle(ctx, res); err != nil {
			st.StoreError = err.Error()
		}
	}
	d.metrics.badRecords.WithLabelValues(PandaSource).Add(float64(res.Stats.BadTotal))
	st.Duration = time.Since(start)
	st.Completed = time.Now()
	d.metrics.cycleDuration.Observe(st.Duration.Seconds())
	switch {
	case err != nil:
		d.metrics.cycles.WithLabelValues("failed").Inc()
		st.LastError = err.Error()
		d.logger.Error("cycle failed; nothing written", "cycle", at.Format(time.RFC3339), "err", err)
	case res.Empty:
		d.metrics.cycles.WithLabelValues("empty").Inc()
		st.LastError = "PanDA answered with no queues"
	default:
		d.metrics.cycles.WithLabelValues("ok").Inc()
		d.metrics.lastGoodCycle.Set(float64(res.Time.Unix()))
		d.metrics.unknownQueues.Set(float64(len(res.Unknown)))
		defer d.kickWarm() // after the status below is stored: the cache key uses it
		st.LastError, st.LastGoodCycle, st.Points, st.Queues = "", res.Time, len(res.Points), res.Stats.Queues
		d.logger.Info("cycle written", "cycle", res.Time.Format(time.RFC3339), "points", len(res.Points),
			"duration_seconds", st.Duration.Seconds())
	}
	d.status.Store(&st)
}

// reload re-reads the configuration. Changing sources or the log level
// takes effect at the next cycle; a bad file keeps the old configuration.
func (d *daemon) reload(load func() (*config.Config, error)) {
	if load == nil {
		return
	}
	cfg, err := load()
	if err == nil {
		var up *upstreams
		if up, err = newUpstreams(cfg, d.logger, time.Now); err == nil {
			d.reg.Unregister(d.up().tracker)
			d.reg.MustRegister(up.tracker)
			d.upp.Store(up)
		}
	}
	if err != nil {
		d.metrics.reloadOK.Set(0)
		d.logger.Error("configuration reload failed; keeping the old one", "err", err)
		return
	}
	d.metrics.reloadOK.Set(1)
	d.metrics.reloadTimestamp.Set(float64(time.Now().Unix()))
	d.logger.Info("configuration reloaded")
}

// handler returns the HTTP mux (Prometheus-compatible API, metrics,
// health), built once.
func (d *daemon) handler() http.Handler {
	d.handlerOnce.Do(func() { d.mux = d.newHandler() })
	return d.mux
}

func (d *daemon) newHandler() http.Handler {
	mux := http.NewServeMux()
	iv := time.Duration(d.cfg.Interval)
	lookback := func(e parser.Expr) time.Duration { return rollupLookback(e, iv) }
	api := promapi.New(d.store.Queryable(), d.store.Engine(), promapi.Options{Version: Version, LookbackFor: lookback},
		d.logger.With("component", "api"))
	d.reg.MustRegister(api.Collector())
	api.Register(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /api/qmonit/v1/incidents", d.inc.serveHTTP)
	d.registerWeb(mux)
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "qmonit is healthy.")
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !d.ready.Load() {
			http.Error(w, "qmonit is not ready: opening the store or backfilling.", http.StatusServiceUnavailable)
			return
		}
		_, _ = fmt.Fprintln(w, "qmonit is ready.")
	})
	return mux
}

// rollupLookback gives queries that read rollups a lookback of one bucket
// plus two intervals (a rollup is written by the cycle after its bucket
// ends), so an hourly (daily) rollup is found at any time until the next
// one, at whatever step a dashboard asks. Raw series keep the store's
// lookback, so a failed cycle stays a visible gap.
func rollupLookback(expr parser.Expr, interval time.Duration) time.Duration {
	var d time.Duration
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == "__name__" {
				name = m.Value
			}
		}
		switch {
		case strings.HasSuffix(name, ":1d"):
			d = max(d, 24*time.Hour)
		case strings.HasSuffix(name, ":1h"):
			d = max(d, time.Hour)
		}
		return nil
	})
	if d == 0 {
		return 0
	}
	return d + 2*interval
}
