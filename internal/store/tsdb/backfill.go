package tsdb

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// Cycle is one cycle's worth of history for Backfill: its points (written
// as qmonit_jobs at each point's Time) and any other samples (rollups,
// queue metadata). Samples are written first, in order, then the points,
// so samples may reach back into the block before the points' one. Backfill reads the slices only while handling the cycle;
// the producer may reuse them for the next one.
type Cycle struct {
	Points  []point.Point
	Samples []Sample
}

// Backfill writes history from cycles straight into blocks: one block per
// day (the head's block range), flushed as soon as the cycles move past it,
// so memory holds one day at a time. Cycles must come in time order; a
// sample for a day already written is an error. The blocks become visible
// to queries when Backfill returns; the store compacts them in the
// background.
//
// Backfill is meant for history older than the head (a fresh store, or a
// gap before the first live cycle). Data may overlap the head or earlier
// blocks, but a (series, time) present in both is not deduplicated: use
// Replace for values that must win. total (the number of cycles, or 0 if
// unknown) is passed to progress, which Backfill calls after every cycle
// from the calling goroutine; progress may be nil.
//
// Backfill runs concurrently with live appends and queries; only moving the
// finished blocks in takes the write lock. On error or cancellation nothing
// is installed.
func (s *Store) Backfill(ctx context.Context, total int, cycles iter.Seq2[Cycle, error], progress func(done, total int)) (err error) {
	if s.isClosed() {
		return ErrClosed
	}
	start := time.Now()
	staging, err := s.stage()
	if err != nil {
		return err
	}
	defer func() {
		if rerr := os.RemoveAll(staging); rerr != nil {
			err = errors.Join(err, fmt.Errorf("backfill: remove staging: %w", rerr))
		}
	}()
	sink := newBlockSink(ctx, s.logger.With("component", "backfill"), staging)
	done, err := s.fillBlocks(ctx, sink, cycles, total, progress)
	if err != nil {
		sink.abort()
		return fmt.Errorf("backfill after %d cycles: %w", done, err)
	}
	if err := sink.finish(); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	n, err := s.install(context.WithoutCancel(ctx), staging) // all blocks or an error naming the one that failed
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	s.logger.Info("backfill done", "cycles", done, "samples", sink.total, "blocks", n,
		"duration_seconds", time.Since(start).Seconds())
	return nil
}

// fillBlocks feeds every cycle into sink and returns how many it handled.
func (s *Store) fillBlocks(ctx context.Context, sink *blockSink, cycles iter.Seq2[Cycle, error],
	total int, progress func(done, total int)) (int, error) {
	points := newPointRefs()
	samples := newSampleRefs()
	done := 0
	for c, err := range cycles {
		if err != nil {
			return done, err
		}
		if err := ctx.Err(); err != nil {
			return done, err
		}
		if err := fillCycle(sink, &points, &samples, c); err != nil {
			return done, err
		}
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	return done, sink.commit()
}

func fillCycle(sink *blockSink, points *pointRefs, samples *sampleRefs, c Cycle) error {
	samples.begin(c.Samples)
	for i := range c.Samples {
		sm := &c.Samples[i]
		if sm.T.IsZero() {
			return fmt.Errorf("sample %q %v has no time", sm.Name, sm.Labels)
		}
		e, err := samples.get(i, sm, 0)
		if err != nil {
			return err
		}
		if err := sink.add(&e.seriesRef, sm.T.UnixMilli(), sm.V); err != nil {
			return err
		}
	}
	// Points after samples: a cycle's samples may belong to the block
	// before its points' (rollups are stamped at their bucket's start and
	// reported when the bucket ends, a day later for daily ones).
	for i := range c.Points {
		p := &c.Points[i]
		if err := sink.add(&points.get(i, p, 0).seriesRef, p.Time.UnixMilli(), float64(p.Jobs)); err != nil {
			return err
		}
	}
	return sink.commit()
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
