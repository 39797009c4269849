package app

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/value"

	"github.com/qmonit/qmonit/internal/catalog"
	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/notify"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/source/datadisk"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// rollupMetric names the rollup series of a bucket size, and samplesMetric
// the series holding how many raw samples each bucket had (coverage).
func rollupMetric(size time.Duration) string {
	if size == derive.Day {
		return tsdb.MetricJobs1d
	}
	return tsdb.MetricJobs1h
}

func samplesMetric(size time.Duration) string {
	if size == derive.Day {
		return tsdb.MetricJobsSamples1d
	}
	return tsdb.MetricJobsSamples1h
}

// pointLabels returns the 21 tags of p as store labels.
func pointLabels(p *point.Point) []tsdb.Label {
	out := make([]tsdb.Label, 0, 4+point.NumAttrs)
	p.EachTag(func(k, v string) { out = append(out, tsdb.Label{Name: k, Value: v}) })
	return out
}

// staleSamples marks series that went stale, so queries stop returning them
// at once instead of after the lookback window.
func staleSamples(pts []point.Point) []tsdb.Sample {
	out := make([]tsdb.Sample, 0, len(pts))
	for i := range pts {
		out = append(out, tsdb.Sample{Name: tsdb.MetricJobs, Labels: pointLabels(&pts[i]), T: pts[i].Time, V: math.Float64frombits(value.StaleNaN)})
	}
	return out
}

// queueSamples describes every queue of the cycle once: its attributes as
// an info metric (with the datadisk it reads from), corecount and corepower.
func queueSamples(t time.Time, pts []point.Point, ix *enrich.Index) []tsdb.Sample {
	var out []tsdb.Sample
	last := ""
	for i := range pts {
		p := &pts[i]
		if p.Queue == last {
			continue
		}
		last = p.Queue
		q := tsdb.Label{Name: "panda_queue", Value: p.Queue}
		info := []tsdb.Label{q}
		for a, name := range point.AttrNames {
			info = append(info, tsdb.Label{Name: name, Value: p.Attrs[a]})
		}
		cq, known := ix.Queue(p.Queue)
		disk := ""
		if known {
			disk = firstDatadisk(cq.ReadLAN)
		}
		info = append(info, tsdb.Label{Name: "datadisk", Value: disk})
		out = append(out, tsdb.Sample{Name: tsdb.MetricQueueInfo, Labels: info, T: t, V: 1})
		out = append(out, tsdb.Sample{Name: tsdb.MetricQueueCorepower, Labels: []tsdb.Label{q}, T: t, V: p.Corepower})
		if known && cq.CoreCount != nil {
			out = append(out, tsdb.Sample{Name: tsdb.MetricQueueCorecount, Labels: []tsdb.Label{q}, T: t, V: *cq.CoreCount})
		}
	}
	return out
}

// firstDatadisk is the first *DATADISK* RSE of a PQ's read_lan storages,
// the seed's join between queues and datadisk occupancy.
func firstDatadisk(readLAN []string) string {
	for _, rse := range readLAN {
		if strings.Contains(rse, "DATADISK") {
			return rse
		}
	}
	return ""
}

// rollupStoreSamples are the two store samples of a rollup: its value and
// its sample count. They are stamped at the bucket's end, when it is
// complete, as a Prometheus recording rule would be: qmonit_jobs:1h at
// 11:00 is the 10:00-11:00 bucket. Writes then stay in time order, live and
// in backfill.
func rollupStoreSamples(labels []tsdb.Label, r derive.Rollup) []tsdb.Sample {
	end := r.Bucket.Start.Add(r.Size)
	return []tsdb.Sample{
		{Name: rollupMetric(r.Size), Labels: labels, T: end, V: r.Value()},
		{Name: samplesMetric(r.Size), Labels: labels, T: end, V: float64(r.Bucket.Samples)},
	}
}

// rollupSamples turns complete buckets into store samples, split into new
// buckets (appended) and re-rolled ones (replacing what was written).
func (d *daemon) rollupSamples(rollups []derive.Rollup) (fresh, rerolled []tsdb.Sample) {
	for _, r := range rollups {
		p, ok := d.latest[r.Key]
		if !ok {
			continue
		}
		s := rollupStoreSamples(pointLabels(&p), r)
		rk := rollKey{r.Key, r.Size}
		if done, ok := d.rolledUpTo[rk]; ok && !r.Bucket.Start.After(done) {
			rerolled = append(rerolled, s...)
			continue
		}
		d.rolledUpTo[rk] = r.Bucket.Start
		fresh = append(fresh, s...)
	}
	return fresh, rerolled
}

// datadiskSamples writes the datadisk occupancy once per new dump.
func (d *daemon) datadiskSamples(t time.Time) []tsdb.Sample {
	fetched, ok := d.up().catalog.Held(catalog.Datadisk)
	if !ok || !fetched.After(d.datadiskSeen) {
		return nil
	}
	d.datadiskSeen = fetched
	return datadiskStoreSamples(t, d.up().catalog.Datadisks())
}

// datadiskStoreSamples are the occupancy samples of every RSE at t.
func datadiskStoreSamples(t time.Time, disks map[string]datadisk.Usage) []tsdb.Sample {
	out := make([]tsdb.Sample, 0, 2*len(disks))
	for rse, u := range disks {
		l := []tsdb.Label{{Name: tsdb.LabelRSE, Value: rse}}
		out = append(out,
			tsdb.Sample{Name: tsdb.MetricDatadiskBytes, Labels: l, T: t, V: float64(u.Bytes)},
			tsdb.Sample{Name: tsdb.MetricDatadiskFiles, Labels: l, T: t, V: float64(u.Files)})
	}
	return out
}

// writeCycle writes one good cycle's points and everything derived from
// them. The raw points go first, in one commit; a failure there loses
// nothing already stored and is reported. Later steps log their failures
// and the others still run.
func (d *daemon) writeCycle(ctx context.Context, res CycleResult) error {
	t := res.Time
	gone := d.absent.Observe(t, res.Points)
	all := append(res.Points[:len(res.Points):len(res.Points)], gone.Zeros...)
	if err := d.store.AppendPoints(ctx, all); err != nil {
		d.metrics.writeErrors.WithLabelValues("store").Inc()
		return err
	}
	d.metrics.pointsWritten.WithLabelValues("jobs").Add(float64(len(res.Points)))
	d.metrics.pointsWritten.WithLabelValues("zero_filled").Add(float64(len(gone.Zeros)))
	for i := range all {
		d.latest[all[i].Key()] = all[i]
	}
	disks := d.datadiskSamples(t)
	extra := append(queueSamples(t, res.Points, d.up().catalog.Index()), disks...)
	extra = append(extra, staleSamples(gone.Stale)...)
	d.pruneLatest(t)
	d.metrics.pointsWritten.WithLabelValues("stale").Add(float64(len(gone.Stale)))

	samples := derive.AppendSamples(nil, all)
	rep := d.roller.Observe(t, samples)
	fresh, rerolled := d.rollupSamples(rep.Rollups)
	extra = append(extra, fresh...)
	if err := d.store.Append(ctx, extra); err != nil {
		d.metrics.writeErrors.WithLabelValues("store").Inc()
		d.logger.Error("store append of metadata and rollups failed", "err", err)
	}
	if len(rerolled) > 0 {
		if err := d.store.Replace(ctx, rerolled); err != nil {
			d.metrics.writeErrors.WithLabelValues("store").Inc()
			d.logger.Error("store replace of re-rolled buckets failed", "err", err)
		}
	}
	d.metrics.pointsWritten.WithLabelValues("rollup").Add(float64(len(fresh) + len(rerolled)))
	d.avg.Observe(t, samples)
	d.publishWeb()
	d.feedSinks(&sinkCycle{points: all, samples: extra, replaced: rerolled}, rep.Rollups, len(disks) > 0, t)
	found := d.det.Observe(t, detectObservations(all))
	d.inc.record(t, found)
	d.notify.Update(t, notify.ScopeIncidents, notify.FromReport(found, notify.IncidentOptions{ExternalURL: d.cfg.Notify.ExternalURL}))
	d.applyRetention(ctx, t)
	if err := d.snap.Write(ctx, d.snapshotRows(all), t, time.Duration(d.cfg.StaleAfter)); err != nil {
		d.metrics.writeErrors.WithLabelValues("snapshot").Inc()
		d.logger.Error("snapshot write failed", "err", err)
	}
	return nil
}

// feedSinks spools the cycle for every external sink; rollups and the
// datadisks rows are built only when a sink writes them. A spool failure
// (local disk) is logged and counted; it never fails the cycle.
func (d *daemon) feedSinks(c *sinkCycle, rollups []derive.Rollup, newDisks bool, t time.Time) {
	if len(d.sinks) == 0 {
		return
	}
	if wantsRollups(d.sinks) {
		c.rollups = d.sinkRollups(rollups)
		if newDisks {
			c.datadisks = d.datadiskRows(t.Truncate(time.Hour), d.up().catalog.Datadisks())
		}
	}
	for _, s := range d.sinks {
		if err := s.enqueue(c); err != nil {
			d.metrics.writeErrors.WithLabelValues(s.name).Inc()
			d.logger.Error("sink enqueue failed", "sink", s.name, "err", err)
		}
	}
}

// pruneLatest forgets the labels of series not written for longer than the
// stale time plus the roller's late window: their last rollups are written
// by then. It runs once per hour.
func (d *daemon) pruneLatest(t time.Time) {
	if t.Truncate(time.Hour).Equal(d.prunedAt) {
		return
	}
	d.prunedAt = t.Truncate(time.Hour)
	horizon := t.Add(-time.Duration(d.cfg.StaleAfter) - derive.DefaultLate - derive.Day)
	for k, p := range d.latest {
		if p.Time.Before(horizon) {
			delete(d.latest, k)
			delete(d.rolledUpTo, rollKey{k, derive.Hour})
			delete(d.rolledUpTo, rollKey{k, derive.Day})
		}
	}
}

// retention is which metrics each retention setting covers; qmonit_jobs:1d
// lives as long as the store itself (storage.retention.daily).
var retention = []struct {
	metrics []string
	keep    func(*daemon) time.Duration
}{
	{[]string{tsdb.MetricJobs, tsdb.MetricQueueInfo, tsdb.MetricQueueCorecount, tsdb.MetricQueueCorepower},
		func(d *daemon) time.Duration { return time.Duration(d.cfg.Storage.Retention.Raw) }},
	{[]string{tsdb.MetricJobs1h, tsdb.MetricJobsSamples1h, tsdb.MetricDatadiskBytes, tsdb.MetricDatadiskFiles},
		func(d *daemon) time.Duration { return time.Duration(d.cfg.Storage.Retention.Hourly) }},
}

// applyRetention deletes data past each metric's retention, once an hour.
func (d *daemon) applyRetention(ctx context.Context, t time.Time) {
	if t.Truncate(time.Hour).Equal(d.retainedAt) {
		return
	}
	d.retainedAt = t.Truncate(time.Hour)
	for _, r := range retention {
		before := t.Add(-r.keep(d))
		for _, m := range r.metrics {
			if err := d.store.DeleteBefore(ctx, before, tsdb.NameMatcher(m)); err != nil {
				d.metrics.writeErrors.WithLabelValues("retention").Inc()
				d.logger.Error("retention delete failed", "metric", m, "before", before.Format(time.RFC3339), "err", err)
			}
		}
	}
}
