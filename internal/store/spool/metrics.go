package spool

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descBacklogBatches = prometheus.NewDesc("qmonit_spool_backlog_batches",
		"Batches waiting in the spool.", []string{"sink"}, nil)
	descBacklogBytes = prometheus.NewDesc("qmonit_spool_backlog_bytes",
		"Bytes waiting in the spool.", []string{"sink"}, nil)
	descOldestAge = prometheus.NewDesc("qmonit_spool_oldest_age_seconds",
		"Age of the oldest batch in the spool, 0 when empty.", []string{"sink"}, nil)
	descDropped = prometheus.NewDesc("qmonit_spool_dropped_batches_total",
		"Batches dropped because the spool was full.", []string{"sink"}, nil)
	descQuarantined = prometheus.NewDesc("qmonit_spool_quarantined_batches_total",
		"Batches the sink rejected permanently, moved to quarantine.", []string{"sink"}, nil)
	descReplayFailures = prometheus.NewDesc("qmonit_spool_replay_failures_total",
		"Replays stopped by a transient send error.", []string{"sink"}, nil)
)

// Describe implements prometheus.Collector.
func (s *Spool) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBacklogBatches, descBacklogBytes, descOldestAge,
		descDropped, descQuarantined, descReplayFailures} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *Spool) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	batches, bytes := len(s.entries), s.bytes
	var age float64
	if batches > 0 {
		age = max(time.Since(s.entries[0].created).Seconds(), 0)
	}
	dropped, quarantined, failures := s.dropped, s.quarantined, s.failures
	s.mu.Unlock()

	name := s.opts.Name
	ch <- prometheus.MustNewConstMetric(descBacklogBatches, prometheus.GaugeValue, float64(batches), name)
	ch <- prometheus.MustNewConstMetric(descBacklogBytes, prometheus.GaugeValue, float64(bytes), name)
	ch <- prometheus.MustNewConstMetric(descOldestAge, prometheus.GaugeValue, age, name)
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(dropped), name)
	ch <- prometheus.MustNewConstMetric(descQuarantined, prometheus.CounterValue, float64(quarantined), name)
	ch <- prometheus.MustNewConstMetric(descReplayFailures, prometheus.CounterValue, float64(failures), name)
}
