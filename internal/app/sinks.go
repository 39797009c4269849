package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/influx"
	"github.com/qmonit/qmonit/internal/store/spool"
)

// replayEvery is how often a sink's sender retries its backlog when no new
// cycle has arrived.
const replayEvery = 30 * time.Second

// sink is one external engine fed through its own disk spool. The cycle
// only encodes and appends to the spool (local disk); a sender goroutine
// delivers, so an outage never delays the cycle or the other sinks.
type sink struct {
	name   string
	sp     *spool.Spool
	encode func([]point.Point) [][]byte
	send   spool.SendFunc
	kick   chan struct{}
	logger *slog.Logger

	mu   sync.Mutex
	down bool
}

// newSinks opens the spools of the configured sinks under the data dir.
func newSinks(cfg *config.Config, logger *slog.Logger, reg prometheus.Registerer) ([]*sink, error) {
	var out []*sink
	if in := cfg.Sinks.InfluxDB; in.Enabled {
		sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool", "influxdb"), spool.Options{MaxBytes: in.SpoolMaxBytes, Name: "influxdb"}, logger)
		if err != nil {
			return nil, fmt.Errorf("sink influxdb: %w", err)
		}
		gzip := in.Gzip
		s, err := influx.New(influx.Options{
			URL: in.URL, Version: in.Version, Database: in.Database, RetentionPolicy: in.RetentionPolicy,
			Org: in.Org, Bucket: in.Bucket, Username: in.Username, Password: in.Password.Reveal(), Token: in.Token.Reveal(),
			BatchSize: in.BatchSize, Gzip: &gzip, Timeout: time.Duration(in.Timeout),
		}, &http.Client{})
		if err != nil {
			return nil, fmt.Errorf("sink influxdb: %w", err)
		}
		if reg != nil {
			reg.MustRegister(sp)
		}
		out = append(out, &sink{name: "influxdb", sp: sp, encode: s.Encode, send: s.Send,
			kick: make(chan struct{}, 1), logger: logger.With("sink", "influxdb")})
	}
	return out, nil
}

// enqueue spools a cycle's points and wakes the sender.
func (s *sink) enqueue(pts []point.Point) error {
	for _, b := range s.encode(pts) {
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
