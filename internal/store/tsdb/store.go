// Package tsdb owns qmonit's embedded time-series store: the Prometheus TSDB
// used as a library, plus its PromQL engine, behind one small API. Nothing
// else in qmonit imports prometheus/tsdb; the Prometheus-compatible API
// (promapi) reads through Queryable and Engine.
//
// What the store decides, and why (numbers in the issue that introduced it):
//
//   - The head cuts blocks of one day (library default 2 h): at a 10-minute
//     cycle a 2 h block holds 12 samples per chunk and compresses poorly.
//     Blocks are compacted up to 27 days (or a tenth of the retention).
//   - LookbackDelta is max(2 × interval, 20 m): the library's 5 m finds no
//     sample between two 10-minute cycles.
//   - Out-of-order writes are accepted within OutOfOrderWindow (48 h) so
//     late samples and rollups written after their bucket go in with Append.
//   - History and replaced values go in as blocks written with
//     tsdb.NewBlockWriter in a staging directory, marked "from out of order"
//     (so the head never treats them as a reason to drop its WAL on restart)
//     and moved into place; see Backfill and Replace.
//   - The WAL is snappy-compressed; a crash loses at most the write that was
//     being committed.
//   - Queries never ask the library to trim chunks to their range: trimming
//     panics in v0.316.0 next to a deleted sample (see queryable).
//   - There is no downsampling inside: qmonit writes its rollups itself and
//     reads them with RollupQueryOpts.
//
// Concurrency: every method of Store is safe for concurrent use. Writes
// (AppendPoints, Append, Replace, DeleteBefore and the last step of Backfill)
// are serialised inside the store; queries run concurrently with them.
package tsdb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/util/compression"
)

// Metric names qmonit writes (DESIGN.md, "Names in each store").
const (
	MetricJobs              = "qmonit_jobs"
	MetricJobs1h            = "qmonit_jobs:1h"
	MetricJobs1d            = "qmonit_jobs:1d"
	MetricJobsSamples1h     = "qmonit_jobs_samples:1h"
	MetricJobsSamples1d     = "qmonit_jobs_samples:1d"
	MetricQueueInfo         = "qmonit_queue_info"
	MetricQueueCorecount    = "qmonit_queue_corecount"
	MetricQueueCorepower    = "qmonit_queue_corepower"
	MetricDatadiskBytes     = "qmonit_datadisk_bytes"
	MetricDatadiskFiles     = "qmonit_datadisk_files"
	LabelRSE                = "rse"
	defaultInterval         = 10 * time.Minute
	defaultRetention        = 3650 * 24 * time.Hour
	defaultOutOfOrderWindow = 48 * time.Hour
	defaultQueryTimeout     = 2 * time.Minute
	defaultMaxSamples       = 50_000_000
	minLookbackDelta        = 20 * time.Minute

	// headRange is the head's block range (tsdb MinBlockDuration) and the
	// range of every block Backfill and Replace write.
	headRange = 24 * time.Hour
	// maxBlockRange caps compaction: 1 d, 3 d, 9 d, 27 d.
	maxBlockRange = 27 * 24 * time.Hour

	cleanMarker   = "qmonit-clean-shutdown"
	stagingPrefix = "qmonit-staging-"
)

// ErrClosed is returned by writes to a closed Store.
var ErrClosed = errors.New("tsdb store is closed")

// Options configures a Store. The zero value of each field means its default.
type Options struct {
	// Interval is the cycle interval (default 10m); it sets LookbackDelta.
	Interval time.Duration
	// Retention is the longest time any sample is kept (default 10 years,
	// the daily-rollup retention). Whole blocks older than that are dropped;
	// shorter per-metric retention is DeleteBefore's job.
	Retention time.Duration
	// OutOfOrderWindow is how far behind the newest sample Append still
	// accepts a sample (default 48h). It must not be negative.
	OutOfOrderWindow time.Duration
	// QueryTimeout bounds one PromQL query (default 2m).
	QueryTimeout time.Duration
	// MaxSamples bounds the samples one PromQL query may hold (default 50e6).
	MaxSamples int
	// LookbackDelta overrides max(2 × Interval, 20m).
	LookbackDelta time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.Interval < 0 || o.Retention < 0 || o.OutOfOrderWindow < 0 || o.QueryTimeout < 0 ||
		o.MaxSamples < 0 || o.LookbackDelta < 0 {
		return o, fmt.Errorf("tsdb options: negative value in %+v", o)
	}
	o.Interval = orDefault(o.Interval, defaultInterval)
	o.Retention = orDefault(o.Retention, defaultRetention)
	o.OutOfOrderWindow = orDefault(o.OutOfOrderWindow, defaultOutOfOrderWindow)
	o.QueryTimeout = orDefault(o.QueryTimeout, defaultQueryTimeout)
	o.MaxSamples = orDefault(o.MaxSamples, defaultMaxSamples)
	o.LookbackDelta = orDefault(o.LookbackDelta, max(2*o.Interval, minLookbackDelta))
	return o, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// maxBlockDuration follows Prometheus' rule (a tenth of the retention, at
// most a month) on the 1 d × 3^k ladder the compactor uses.
func maxBlockDuration(retention time.Duration) time.Duration {
	r := headRange
	for r*3 <= maxBlockRange && r*3 <= retention/10 {
		r *= 3
	}
	return r
}

func (o Options) tsdbOptions() *tsdb.Options {
	opts := tsdb.DefaultOptions()
	opts.MinBlockDuration = headRange.Milliseconds()
	opts.MaxBlockDuration = maxBlockDuration(o.Retention).Milliseconds()
	opts.RetentionDuration = o.Retention.Milliseconds()
	opts.WALCompression = compression.Snappy
	opts.OutOfOrderTimeWindow = o.OutOfOrderWindow.Milliseconds()
	opts.EnableOverlappingCompaction = true // Backfill and Replace blocks overlap others
	return opts
}

// Store is the embedded time-series store. Create it with Open and release it
// with Close; all methods are safe for concurrent use.
type Store struct {
	dir    string
	opts   Options
	logger *slog.Logger
	db     *tsdb.DB
	engine *promql.Engine

	// life is held shared by Select and Stats while they read the DB, and
	// exclusively by Close, so those never read a closed DB.
	life sync.RWMutex

	mu        sync.Mutex // serialises writes and guards the fields below
	closed    bool
	points    pointRefs
	samples   sampleRefs
	lastSweep int64
}

// Open opens (or creates) the store in dir. A store that was not closed
// (crash, kill -9) is recovered from its write-ahead log; the log line
// "tsdb opened" says how long that took. An unusable directory (not
// creatable, not writable, disk full) is a clear error naming it.
func Open(dir string, o Options, logger *slog.Logger) (*Store, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	_, statErr := os.Stat(filepath.Join(dir, "wal"))
	unclean := statErr == nil && !exists(filepath.Join(dir, cleanMarker))
	start := time.Now()
	db, err := tsdb.Open(dir, logger.With("component", "tsdb"), nil, o.tsdbOptions(), nil)
	if err != nil {
		return nil, fmt.Errorf("open tsdb %q: %w", dir, err)
	}
	if err := os.Remove(filepath.Join(dir, cleanMarker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, errors.Join(fmt.Errorf("open tsdb %q: %w", dir, err), db.Close())
	}
	s := &Store{
		dir: dir, opts: o, logger: logger, db: db,
		points:  newPointRefs(),
		samples: newSampleRefs(),
	}
	s.engine = promql.NewEngine(promql.EngineOpts{
		Logger:                   logger.With("component", "promql"),
		MaxSamples:               o.MaxSamples,
		Timeout:                  o.QueryTimeout,
		LookbackDelta:            o.LookbackDelta,
		NoStepSubqueryIntervalFn: func(int64) int64 { return o.Interval.Milliseconds() },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
	})
	attrs := []any{"dir", dir, "duration_seconds", time.Since(start).Seconds(),
		"head_series", db.Head().NumSeries(), "blocks", len(db.Blocks())}
	if unclean {
		logger.Warn("tsdb opened after an unclean stop, WAL replayed", attrs...)
	} else {
		logger.Info("tsdb opened", attrs...)
	}
	return s, nil
}

// checkDir creates dir and proves it writable, so Open fails with a message
// naming the directory rather than deep inside the library.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tsdb directory %q: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".qmonit-write-test-*")
	if err != nil {
		return fmt.Errorf("tsdb directory %q is not writable: %w", dir, err)
	}
	name := f.Name()
	_, werr := f.Write(make([]byte, 4096))
	err = errors.Join(werr, f.Sync(), f.Close(), os.Remove(name))
	if err != nil {
		return fmt.Errorf("tsdb directory %q is not writable (disk full?): %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("tsdb directory %q: %w", dir, err)
	}
	for _, e := range entries { // left by a crash during Backfill or Replace
		if e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("tsdb directory %q: remove staging: %w", dir, err)
			}
		}
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Close flushes and closes the store. It waits for running Select
// iterations and Stats calls; queries through Queryable and Engine must
// have finished and must not start afterwards. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close tsdb %q: %w", s.dir, err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, cleanMarker), nil, 0o644); err != nil {
		return fmt.Errorf("close tsdb %q: %w", s.dir, err)
	}
	return nil
}

// Queryable returns the store as a Prometheus Queryable (for promapi and the
// Engine). It is safe for concurrent use until Close. Queriers it returns
// must be closed by the caller. Series may carry samples outside the
// querier's range (see queryable); PromQL ignores them.
func (s *Store) Queryable() storage.Queryable { return queryable{s.db} }

// Engine returns the PromQL engine configured for this store: LookbackDelta
// max(2 × interval, 20m), QueryTimeout, MaxSamples, the @ modifier and
// negative offsets enabled. Pass Queryable() to its New*Query methods.
// Rollups are written once per bucket: read them with RollupQueryOpts.
func (s *Store) Engine() *promql.Engine { return s.engine }

// RollupQueryOpts returns query options for reading a rollup of the given
// resolution (time.Hour for :1h, 24h for :1d): the lookback is one bucket,
// so a bucket's value holds at every step inside it (with the default 20m
// lookback an hourly rollup is invisible 20 minutes after its timestamp).
// It also keeps long range queries fast: with a step no longer than the
// lookback, PromQL walks each series with Next instead of seeking every
// block at every step (30 days of :1h at 1h steps: ~0.6 s instead of ~1.6 s).
func RollupQueryOpts(resolution time.Duration) promql.QueryOpts {
	return promql.NewPrometheusQueryOpts(false, resolution, nil)
}

// Options returns the options in effect, defaults filled in.
func (s *Store) Options() Options { return s.opts }
