package app

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/value"

	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// rebuild restores the derived state from the store after a start: the
// moving averages (rollup buckets of the last 30 days, raw samples of the
// last 24 hours), the roller's partial hour and day, the absent tracker and
// the labels of every live series. Rollups a crash kept from being written
// are written now. It reads each range once; nothing per cycle re-reads.
// The detector then replays its own history (rebuildDetector).
func (d *daemon) rebuild(ctx context.Context, now time.Time) error {
	start := time.Now()
	loaded := map[rollKey]map[int64]bool{}
	for _, size := range []time.Duration{derive.Hour, derive.Day} {
		from := now.Add(-7 * derive.Day).Add(-derive.Hour)
		if size == derive.Day {
			from = now.Add(-derive.KeepFor).Add(-derive.Day)
		}
		if err := d.loadBuckets(ctx, size, from, now, loaded); err != nil {
			return err
		}
	}
	cycles, err := d.loadRaw(ctx, now)
	if err != nil {
		return err
	}
	// Feed today's cycles to the roller so the current hour and day roll up
	// complete; write what is not in the store (lost in a crash).
	var missing []tsdb.Sample
	for _, c := range cycles {
		rep := d.roller.Observe(c.t, c.samples)
		for _, r := range rep.Rollups {
			rk := rollKey{r.Key, r.Size}
			if loaded[rk][r.Bucket.Start.Add(r.Size).UnixMilli()] {
				d.rolledUpTo[rk] = maxTime(d.rolledUpTo[rk], r.Bucket.Start)
				continue
			}
			fresh, _ := d.rollupSamples([]derive.Rollup{r})
			missing = append(missing, fresh...)
		}
	}
	if len(missing) > 0 {
		if err := d.store.Replace(ctx, missing); err != nil {
			return fmt.Errorf("write rollups missed before the restart: %w", err)
		}
	}
	if err := d.rebuildDetector(ctx, now); err != nil {
		return err
	}
	d.publishWeb()
	d.logger.Info("state rebuilt from the store", "series", len(d.latest), "cycles", len(cycles),
		"rollups_rewritten", len(missing)/2, "duration_seconds", time.Since(start).Seconds())
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// loadBuckets reads the rollups of one size (value and sample count) and
// gives them to the averager.
func (d *daemon) loadBuckets(ctx context.Context, size time.Duration, from, to time.Time, loaded map[rollKey]map[int64]bool) error {
	counts := map[string]map[int64]float64{}
	for s, err := range d.store.Select(ctx, from, to, tsdb.NameMatcher(samplesMetric(size))) {
		if err != nil {
			return fmt.Errorf("read %s: %w", samplesMetric(size), err)
		}
		m := map[int64]float64{}
		for i, t := range s.T {
			m[t] = s.V[i]
		}
		counts[labelKey(s.Labels)] = m
	}
	for s, err := range d.store.Select(ctx, from, to, tsdb.NameMatcher(rollupMetric(size))) {
		if err != nil {
			return fmt.Errorf("read %s: %w", rollupMetric(size), err)
		}
		p := pointFromLabels(s.Labels)
		k := p.Key()
		rk := rollKey{k, size}
		n := counts[labelKey(s.Labels)]
		for i, t := range s.T {
			samples := int(n[t])
			if samples <= 0 || isStale(s.V[i]) {
				continue
			}
			sum := s.V[i]
			if !derive.IsFinal(k.Status) {
				sum *= float64(samples)
			}
			// Stored at the bucket's end (see rollupStoreSamples).
			b := derive.Bucket{Start: time.UnixMilli(t).UTC().Add(-size), Sum: sum, Samples: samples}
			if err := d.avg.LoadBucket(k, size, b); err != nil {
				return err
			}
			if loaded[rk] == nil {
				loaded[rk] = map[int64]bool{}
			}
			loaded[rk][t] = true
			d.rolledUpTo[rk] = maxTime(d.rolledUpTo[rk], b.Start)
		}
	}
	return nil
}

type rawCycle struct {
	t       time.Time
	samples []derive.Sample
}

// loadRaw reads the raw samples of the last 24 hours (which also cover
// today, for the roll-up), gives them to the averager series by series
// (its loads take any order), restores the absent tracker and the series
// labels, and returns today's cycles in time order for the roller.
func (d *daemon) loadRaw(ctx context.Context, now time.Time) ([]rawCycle, error) {
	from := now.Add(-derive.Day)
	dayStart := derive.BucketStart(now, derive.Day).UnixMilli()
	byTime := map[int64][]derive.Sample{}
	for s, err := range d.store.Select(ctx, from, now, tsdb.NameMatcher(tsdb.MetricJobs)) {
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", tsdb.MetricJobs, err)
		}
		p := pointFromLabels(s.Labels)
		k := p.Key()
		last := -1
		for i, t := range s.T {
			if isStale(s.V[i]) {
				last = -1
				continue
			}
			last = i
			if t > from.UnixMilli() {
				d.avg.LoadRaw(k, time.UnixMilli(t), s.V[i])
			}
			if t >= dayStart {
				byTime[t] = append(byTime[t], derive.Sample{Key: k, Value: s.V[i]})
			}
		}
		if last < 0 {
			continue // gone stale: nothing to restore
		}
		p.Time, p.Jobs = time.UnixMilli(s.T[last]).UTC(), int64(s.V[last])
		if prev, ok := d.latest[k]; !ok || prev.Time.Before(p.Time) {
			d.latest[k] = p
		}
		d.absent.Restore(p, p.Time)
	}
	times := make([]int64, 0, len(byTime))
	for t := range byTime {
		times = append(times, t)
	}
	slices.Sort(times)
	cycles := make([]rawCycle, 0, len(times))
	for _, t := range times {
		cycles = append(cycles, rawCycle{t: time.UnixMilli(t).UTC(), samples: byTime[t]})
	}
	return cycles, nil
}

func isStale(v float64) bool { return math.IsNaN(v) && value.IsStaleNaN(v) }

// labelKey identifies a series across metrics: its labels without __name__.
func labelKey(ls []tsdb.Label) string {
	var b strings.Builder
	for _, l := range ls {
		if l.Name == "__name__" {
			continue
		}
		b.WriteString(l.Name)
		b.WriteByte(0)
		b.WriteString(l.Value)
		b.WriteByte(0)
	}
	return b.String()
}

// pointFromLabels rebuilds a point's tags from a stored series' labels.
func pointFromLabels(ls []tsdb.Label) point.Point {
	attrs := &point.Attrs{}
	for i := range attrs {
		attrs[i] = point.NoValue
	}
	p := point.Point{Attrs: attrs, ResourceFactor: 1, Corepower: 1}
	for _, l := range ls {
		switch l.Name {
		case point.TagQueue:
			p.Queue = l.Value
		case point.TagProdSource:
			p.ProdSource = l.Value
		case point.TagResource:
			p.Resource = l.Value
		case point.TagStatus:
			p.Status = l.Value
		default:
			if i := slices.Index(point.AttrNames[:], l.Name); i >= 0 {
				attrs[i] = l.Value
			}
		}
	}
	return p
}
