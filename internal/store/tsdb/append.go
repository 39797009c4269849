package tsdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/qmonit/qmonit/internal/point"
)

// Label is one label name and value.
type Label struct{ Name, Value string }

// Sample is one value of any series but qmonit_jobs (which AppendPoints
// writes from points): queue metadata, datadisk occupancy, rollups and their
// sample counts. Name is the metric name; Labels must not contain __name__,
// their order does not matter, and a label with an empty value is dropped.
// Label values are arbitrary UTF-8 (invalid bytes become U+FFFD).
type Sample struct {
	Name   string
	Labels []Label
	T      time.Time
	V      float64
}

// AppendPoints writes qmonit_jobs{the 21 tags of the point} = Jobs at each
// point's Time, in one commit: all points or none. A point may be up to
// OutOfOrderWindow older than the newest sample in the head; older history
// goes in with Backfill. The store does not keep pts.
func (s *Store) AppendPoints(ctx context.Context, pts []point.Point) error {
	return s.write(ctx, func(app storage.AppenderV2, now int64) error {
		for i := range pts {
			p := &pts[i]
			e := s.points.get(i, p, now)
			ref, err := app.Append(e.ref, e.lset, 0, p.Time.UnixMilli(), float64(p.Jobs), nil, nil, storage.AOptions{})
			if err != nil {
				return appendError(e.lset, p.Time, err)
			}
			e.ref = ref
		}
		return nil
	})
}

// Append writes samples in one commit: all or none. Like AppendPoints it
// accepts samples up to OutOfOrderWindow old. A value for a (series, time)
// that already holds a different value is an error: use Replace. The store
// does not keep samples.
func (s *Store) Append(ctx context.Context, samples []Sample) error {
	return s.write(ctx, func(app storage.AppenderV2, now int64) error {
		s.samples.begin(samples)
		for i := range samples {
			sm := &samples[i]
			if sm.T.IsZero() {
				return fmt.Errorf("append %q %v: sample has no time", sm.Name, sm.Labels)
			}
			e, err := s.samples.get(i, sm, now)
			if err != nil {
				return fmt.Errorf("append: %w", err)
			}
			ref, err := app.Append(e.ref, e.lset, 0, sm.T.UnixMilli(), sm.V, nil, nil, storage.AOptions{})
			if err != nil {
				return appendError(e.lset, sm.T, err)
			}
			e.ref = ref
		}
		return nil
	})
}

// write runs fill on one appender under the write lock and commits it, or
// rolls it back if fill fails.
func (s *Store) write(ctx context.Context, fill func(app storage.AppenderV2, now int64) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now().Unix()
	app := s.db.AppenderV2(ctx)
	if err := fill(app, now); err != nil {
		if rerr := app.Rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit to tsdb %q: %w", s.dir, err)
	}
	s.sweepCaches(now)
	return nil
}

// sweepCaches evicts series refs unused for evictCycles intervals, at most
// once per interval. The caller holds s.mu.
func (s *Store) sweepCaches(now int64) {
	every := int64(s.opts.Interval / time.Second)
	if now-s.lastSweep < every {
		return
	}
	s.lastSweep = now
	cutoff := now - evictCycles*every
	s.points.sweep(cutoff)
	s.samples.sweep(cutoff)
}

func appendError(lset labels.Labels, t time.Time, err error) error {
	return fmt.Errorf("append %s at %s: %w", lset, t.UTC().Format(time.RFC3339), err)
}
