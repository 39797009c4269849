package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qmonit/qmonit/internal/absent"
	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/detect"
	"github.com/qmonit/qmonit/internal/health"
	"github.com/qmonit/qmonit/internal/notify"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/sqlsnap"
	"github.com/qmonit/qmonit/internal/store/tsdb"
	"github.com/qmonit/qmonit/internal/web"
)

// daemon is the state of `qmonit serve`: the stores, the derived series
// and the upstreams. Cycles run one at a time (the scheduler guarantees
// it); HTTP handlers read through the store and the status snapshot.
type daemon struct {
	cfg     *config.Config
	logger  *slog.Logger
	reg     *prometheus.Registry
	metrics *metrics

	upp    atomic.Pointer[upstreams] // replaced by reload; read by cycles and scrapes
	store  *tsdb.Store
	snap   *sqlsnap.DB
	roller *derive.Roller
	avg    *derive.Averager
	absent *absent.Tracker
	det    *detect.Detector
	inc    incidents
	sinks  []*sink
	health *health.Checker // owned by the health goroutine
	notify *notify.Notifier
	// webSnap is what the UI reads of the cycle goroutine's state: current
	// counts and moving averages per series, replaced whole by publishWeb.
	webSnap atomic.Pointer[web.Snapshot]
	ui      *web.UI       // set with the handler, before cycles start
	warm    chan struct{} // kicks warmWeb after a good cycle
	// started is when the daemon opened; "no cycle" counts from it.
	started time.Time

	// Owned by the cycle goroutine.
	latest       map[point.Key]point.Point // last point of every series, for rollup labels
	rolledUpTo   map[rollKey]time.Time     // newest bucket start written per series and size
	datadiskSeen time.Time                 // fetch time of the datadisk dump last written
	prunedAt     time.Time                 // hour of the last pruneLatest
	retainedAt   time.Time                 // hour of the last applyRetention

	status atomic.Pointer[Status]
	ready  atomic.Bool

	handlerOnce sync.Once
	mux         http.Handler
}

type rollKey struct {
	key  point.Key
	size time.Duration
}

// Status is what the UI and health endpoints say about freshness.
type Status struct {
	LastCycle     time.Time // cycle time of the last cycle attempted
	LastGoodCycle time.Time // cycle time of the last cycle whose data was written
	LastError     string    // of the last cycle, "" when it succeeded
	Points        int       // points written by the last good cycle
	Queues        int       // queues in the last good answer
	Duration      time.Duration
	Completed     time.Time // wall time the last cycle finished, good or not
	FailedInARow  int       // consecutive cycles that failed fetching PanDA (or got no queues)
	StoreError    string    // the last cycle's store write error, "" when it wrote
}

// openDaemon opens every store under the data directory (or the DSN) and
// builds the upstreams. On error, whatever was opened is closed.
func openDaemon(ctx context.Context, cfg *config.Config, logger *slog.Logger, now func() time.Time) (d *daemon, err error) {
	d = &daemon{
		cfg: cfg, logger: logger, reg: prometheus.NewRegistry(),
		latest: map[point.Key]point.Point{}, rolledUpTo: map[rollKey]time.Time{},
		absent: absent.New(time.Duration(cfg.StaleAfter)),
		warm:   make(chan struct{}, 1),
	}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	d.metrics = newMetrics(d.reg)
	d.started = now()
	d.health = health.New(health.Default(time.Duration(cfg.Interval)))
	d.reg.MustRegister(pipelineCollector{&d.inc})
	if d.notify, err = notify.New(cfg.Notify, logger.With("component", "notify")); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	d.reg.MustRegister(d.notify)
	d.status.Store(&Status{})
	dcfg := derive.Config{Interval: time.Duration(cfg.Interval)}
	if d.roller, err = derive.NewRoller(dcfg); err != nil {
		return nil, err
	}
	if d.avg, err = derive.NewAverager(dcfg); err != nil {
		return nil, err
	}
	detCfg, err := detectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	if d.det, err = detect.New(detCfg); err != nil {
		return nil, err
	}
	up, err := newUpstreams(cfg, logger, now)
	if err != nil {
		return nil, err
	}
	d.upp.Store(up)
	d.reg.MustRegister(up.tracker)
	d.store, err = tsdb.Open(filepath.Join(cfg.DataDir, "tsdb"), tsdb.Options{
		Interval:  time.Duration(cfg.Interval),
		Retention: time.Duration(cfg.Storage.Retention.Daily),
	}, logger.With("component", "tsdb"))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	d.reg.MustRegister(storeCollector{d.store}, catalogCollector{d})
	if d.sinks, err = newSinks(cfg, logger, d.reg); err != nil {
		return nil, err
	}
	if d.snap, err = sqlsnap.Open(ctx, cfg.Snapshot.DSN.Reveal(), cfg.DataDir, logger.With("component", "snapshot")); err != nil {
		return nil, fmt.Errorf("open snapshot: %w", err)
	}
	return d, nil
}

// up returns the current upstreams (sources and catalog).
func (d *daemon) up() *upstreams { return d.upp.Load() }

// close flushes and closes the stores; each failing step is logged by name
// and the others still run.
func (d *daemon) close() {
	var wg sync.WaitGroup
	for name, closer := range map[string]func() error{
		"store":    func() error { return closeIf(d.store != nil, d.store.Close) },
		"snapshot": func() error { return closeIf(d.snap != nil, d.snap.Close) },
	} {
		wg.Go(func() {
			if err := closer(); err != nil && !errors.Is(err, tsdb.ErrClosed) {
				d.logger.Error("close failed", "what", name, "err", err)
			}
		})
	}
	wg.Wait()
}

func closeIf(ok bool, f func() error) error {
	if !ok {
		return nil
	}
	return f()
}

// storeCollector exports the store's size.
type storeCollector struct{ s *tsdb.Store }

var (
	storeBytesDesc  = prometheus.NewDesc("qmonit_store_size_bytes", "Bytes on disk of the embedded store.", nil, nil)
	storeSeriesDesc = prometheus.NewDesc("qmonit_store_head_series", "Series in the embedded store's head.", nil, nil)
)

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeBytesDesc
	ch <- storeSeriesDesc
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(storeBytesDesc, prometheus.GaugeValue, float64(st.DiskBytes))
	ch <- prometheus.MustNewConstMetric(storeSeriesDesc, prometheus.GaugeValue, float64(st.HeadSeries))
}

// catalogCollector exports the age of every catalog dump held.
type catalogCollector struct{ d *daemon }

var catalogAgeDesc = prometheus.NewDesc("qmonit_catalog_age_seconds",
	"Age of the catalog copy in use, per dump (grows while its source fails).", []string{"dump"}, nil)

func (c catalogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- catalogAgeDesc }

func (c catalogCollector) Collect(ch chan<- prometheus.Metric) {
	for name, age := range c.d.up().catalog.Ages(time.Now()) {
		ch <- prometheus.MustNewConstMetric(catalogAgeDesc, prometheus.GaugeValue, age.Seconds(), name)
	}
}
