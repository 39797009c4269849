package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/source/datadisk"
	"github.com/qmonit/qmonit/internal/store/influx"
	"github.com/qmonit/qmonit/internal/store/remotewrite"
	"github.com/qmonit/qmonit/internal/store/spool"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// replayEvery is how often a sink's sender retries its backlog when no new
// cycle has arrived.
const replayEvery = 30 * time.Second

// Sink names, as in metrics labels and spool directories.
const (
	sinkInfluxDB    = "influxdb"
	sinkRemoteWrite = "remote_write"
)

// sinkCycle is what one cycle hands to the external sinks: everything the
// embedded store received, in the shapes the engines need.
type sinkCycle struct {
	points    []point.Point     // qmonit_jobs, zero-filled series included
	samples   []tsdb.Sample     // queue metadata, datadisk occupancy, stale markers, new rollups
	replaced  []tsdb.Sample     // re-rolled buckets, overwriting what was sent
	rollups   []sinkRollup      // new and re-rolled buckets, for engines that keep rollups apart
	datadisks []influx.Datadisk // the seed's hourly per-queue datadisks measurement
}

// sinkRollup is one bucket with the size that says where it goes.
type sinkRollup struct {
	size time.Duration
	r    influx.Rollup
}

// sink is one external engine fed through its own disk spool. The cycle
// only encodes and appends to the spool (local disk); a sender goroutine
// delivers, so an outage never delays the cycle or the other sinks.
type sink struct {
	name   string
	sp     *spool.Spool
	encode func(*sinkCycle) [][]byte
	send   spool.SendFunc
	kick   chan struct{}
	logger *slog.Logger
	// rollups says this sink writes rollups and the datadisks rows, so the
	// cycle builds them only when some sink needs them.
	rollups bool

	mu   sync.Mutex
	down bool
}

// newSinks opens the spools of the configured sinks under the data dir.
func newSinks(cfg *config.Config, logger *slog.Logger, reg prometheus.Registerer) ([]*sink, error) {
	var out []*sink
	if in := cfg.Sinks.InfluxDB; in.Enabled {
		s, err := newInfluxSink(cfg, in, logger)
		if err != nil {
			return nil, fmt.Errorf("sink %s: %w", sinkInfluxDB, err)
		}
		out = append(out, s)
	}
	if rw := cfg.Sinks.RemoteWrite; rw.Enabled {
		s, err := newRemoteWriteSink(cfg, rw, logger)
		if err != nil {
			return nil, fmt.Errorf("sink %s: %w", sinkRemoteWrite, err)
		}
		out = append(out, s)
	}
	if reg != nil && len(out) > 0 {
		reg.MustRegister(spoolCollector(out))
	}
	return out, nil
}

// spoolCollector collects every sink's spool metrics as one collector: the
// spools share their descriptors (told apart by the sink label), and a
// registry accepts each descriptor only once.
type spoolCollector []*sink

func (c spoolCollector) Describe(ch chan<- *prometheus.Desc) { c[0].sp.Describe(ch) }

func (c spoolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c {
		s.sp.Collect(ch)
	}
}

func openSpool(cfg *config.Config, name string, maxBytes int64, logger *slog.Logger) (*spool.Spool, error) {
	return spool.Open(filepath.Join(cfg.DataDir, "spool", name), spool.Options{MaxBytes: maxBytes, Name: name}, logger)
}

func newInfluxSink(cfg *config.Config, in config.InfluxDB, logger *slog.Logger) (*sink, error) {
	gzip := in.Gzip
	o := influx.Options{
		URL: in.URL, Version: in.Version, Database: in.Database, RetentionPolicy: in.RetentionPolicy,
		Org: in.Org, Bucket: in.Bucket, Username: in.Username, Password: in.Password.Reveal(), Token: in.Token.Reveal(),
		BatchSize: in.BatchSize, Gzip: &gzip, Timeout: time.Duration(in.Timeout),
	}
	if in.Rollups {
		o.HourlyRetentionPolicy, o.DailyRetentionPolicy = in.RetentionPolicyHourly, in.RetentionPolicyDaily
		o.HourlyBucket, o.DailyBucket = in.BucketHourly, in.BucketDaily
	}
	w, err := influx.New(o, &http.Client{})
	if err != nil {
		return nil, err
	}
	sp, err := openSpool(cfg, sinkInfluxDB, in.SpoolMaxBytes, logger)
	if err != nil {
		return nil, err
	}
	encode := func(c *sinkCycle) [][]byte {
		out := w.Encode(c.points)
		var hourly, daily []influx.Rollup
		for _, r := range c.rollups {
			if r.size == derive.Day {
				daily = append(daily, r.r)
			} else {
				hourly = append(hourly, r.r)
			}
		}
		out = append(out, w.EncodeRollups(influx.Hourly, hourly)...)
		out = append(out, w.EncodeRollups(influx.Daily, daily)...)
		return append(out, w.EncodeDatadisks(c.datadisks)...)
	}
	return &sink{name: sinkInfluxDB, sp: sp, encode: encode, send: w.Send,
		rollups: in.Rollups,
		kick:    make(chan struct{}, 1), logger: logger.With("sink", sinkInfluxDB)}, nil
}

func newRemoteWriteSink(cfg *config.Config, rw config.RemoteWrite, logger *slog.Logger) (*sink, error) {
	ext, err := config.ParseLabels(rw.ExternalLabels)
	if err != nil {
		return nil, fmt.Errorf("external_labels: %w", err)
	}
	o := remotewrite.Options{URL: rw.URL, BatchSize: rw.BatchSize, Timeout: time.Duration(rw.Timeout),
		BearerToken: rw.BearerToken.Reveal(), Username: rw.Username, Password: rw.Password.Reveal()}
	for _, l := range ext {
		o.ExternalLabels = append(o.ExternalLabels, remotewrite.Label{Name: l.Name, Value: l.Value})
	}
	w, err := remotewrite.New(o, &http.Client{})
	if err != nil {
		return nil, err
	}
	sp, err := openSpool(cfg, sinkRemoteWrite, rw.SpoolMaxBytes, logger)
	if err != nil {
		return nil, err
	}
	encode := func(c *sinkCycle) [][]byte {
		out := w.EncodePoints(c.points)
		out = append(out, encodeSamplesByName(w, c.samples)...)
		// Re-rolled buckets go in batches of their own: a receiver that
		// refuses to overwrite a sample (Prometheus) quarantines only them.
		return append(out, encodeSamplesByName(w, c.replaced)...)
	}
	// The spool quarantines what can never succeed; remotewrite marks it
	// with its own sentinel.
	send := func(ctx context.Context, b []byte) error {
		err := w.Send(ctx, b)
		if errors.Is(err, remotewrite.ErrPermanent) {
			return fmt.Errorf("%w (%w)", err, spool.ErrPermanent)
		}
		return err
	}
	return &sink{name: sinkRemoteWrite, sp: sp, encode: encode, send: send,
		kick: make(chan struct{}, 1), logger: logger.With("sink", sinkRemoteWrite)}, nil
}

// encodeSamplesByName encodes store samples for remote write, one run of
// batches per metric name in first-seen order.
func encodeSamplesByName(w *remotewrite.Sink, ss []tsdb.Sample) [][]byte {
	if len(ss) == 0 {
		return nil
	}
	byName := map[string][]remotewrite.Series{}
	var names []string
	for _, s := range ss {
		if _, ok := byName[s.Name]; !ok {
			names = append(names, s.Name)
		}
		ls := make([]remotewrite.Label, len(s.Labels))
		for i, l := range s.Labels {
			ls[i] = remotewrite.Label{Name: l.Name, Value: l.Value}
		}
		byName[s.Name] = append(byName[s.Name], remotewrite.Series{Labels: ls, T: s.T, V: s.V})
	}
	var out [][]byte
	for _, n := range names {
		out = append(out, w.EncodeSamples(n, byName[n])...)
	}
	return out
}

// wantsRollups reports whether any sink writes rollups and datadisks rows.
func wantsRollups(ss []*sink) bool {
	return slices.ContainsFunc(ss, func(s *sink) bool { return s.rollups })
}

// enqueue spools a cycle and wakes the sender.
func (s *sink) enqueue(c *sinkCycle) error {
	for _, b := range s.encode(c) {
		if err := s.sp.Append(b); err != nil {
			return fmt.Errorf("sink %s: spool: %w", s.name, err)
		}
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// replay delivers the backlog, oldest first, and logs up/down transitions.
func (s *sink) replay(ctx context.Context) error {
	err := s.sp.Replay(ctx, s.send)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil && !s.down:
		s.down = true
		batches, bytes, _ := s.sp.Backlog()
		s.logger.Warn("sink down; batches stay spooled", "err", err, "backlog_batches", batches, "backlog_bytes", bytes)
	case err == nil && s.down:
		s.down = false
		s.logger.Info("sink up again; backlog delivered")
	}
	return err
}

// run delivers until ctx is done: after every new cycle, and every
// replayEvery while a backlog remains.
func (s *sink) run(ctx context.Context) {
	t := time.NewTicker(replayEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, replayEvery)
		_ = s.replay(rctx) // logged on transitions; the backlog stays on disk
		cancel()
	}
}

// sinkRollups pairs complete buckets with their series' latest point (for
// tags and numeric fields), stamped at the bucket's start.
func (d *daemon) sinkRollups(rollups []derive.Rollup) []sinkRollup {
	out := make([]sinkRollup, 0, len(rollups))
	for _, r := range rollups {
		p, ok := d.latest[r.Key]
		if !ok {
			continue
		}
		p.Time = r.Bucket.Start
		out = append(out, sinkRollup{size: r.Size, r: influx.Rollup{
			Point: &p, Start: r.Bucket.Start, Value: r.Value(), Samples: r.Bucket.Samples}})
	}
	return out
}

// analysisSource and runningStatus select the jobs the datadisks
// measurement averages: analysis jobs running at the queue.
const (
	analysisSource = "user"
	runningStatus  = "running"
)

// datadiskRows builds the seed's datadisks measurement at hour: for every
// queue reading from a datadisk, the DAOD volume and files on it, the
// queue's running analysis jobs averaged over the six windows (summed over
// resource types), and the resource factor of its busiest analysis
// resource type.
func (d *daemon) datadiskRows(hour time.Time, disks map[string]datadisk.Usage) []influx.Datadisk {
	type acc struct {
		avg      [derive.NumWindows]float64
		factor   float64
		mostJobs int64
	}
	byQueue := map[string]*acc{}
	for k, a := range d.avg.All() {
		if k.ProdSource != analysisSource || k.Status != runningStatus {
			continue
		}
		q := byQueue[k.Queue]
		if q == nil {
			q = &acc{mostJobs: -1}
			byQueue[k.Queue] = q
		}
		for w := range a.Of {
			q.avg[w] += a.Of[w].Mean
		}
		if p, ok := d.latest[k]; ok && p.Jobs > q.mostJobs {
			q.mostJobs, q.factor = p.Jobs, p.ResourceFactor
		}
	}
	ix := d.up().catalog.Index()
	seen := map[string]bool{}
	var out []influx.Datadisk
	for k, p := range d.latest {
		if seen[k.Queue] || p.Attrs == nil {
			continue
		}
		seen[k.Queue] = true
		cq, known := ix.Queue(k.Queue)
		if !known {
			continue
		}
		disk := firstDatadisk(cq.ReadLAN)
		if disk == "" {
			continue
		}
		row := influx.Datadisk{Time: hour, Queue: k.Queue, Datadisk: disk,
			Cloud: p.Attrs[point.Cloud], Site: p.Attrs[point.AtlasSite], Tier: p.Attrs[point.Tier]}
		if u, ok := disks[disk]; ok {
			row.OccupiedGB, row.Files = float64(u.Bytes)/1e9, u.Files
		}
		if q := byQueue[k.Queue]; q != nil {
			row.RunningAvg = q.avg
			row.ResourceFactor = q.factor
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b influx.Datadisk) int { return cmp.Compare(a.Queue, b.Queue) })
	return out
}
