package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are qmonit's own, served on /metrics.
type metrics struct {
	cycleDuration   prometheus.Histogram
	cycles          *prometheus.CounterVec // result: ok, failed, empty
	cyclesSkipped   prometheus.Counter
	pointsWritten   *prometheus.CounterVec // kind: jobs, zero_filled, stale, rollup
	lastGoodCycle   prometheus.Gauge
	badRecords      *prometheus.CounterVec // source
	unknownQueues   prometheus.Gauge
	writeErrors     *prometheus.CounterVec // writer
	reloadOK        prometheus.Gauge
	reloadTimestamp prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		cycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "qmonit_cycle_duration_seconds", Help: "Duration of collection cycles, fetch to last write.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qmonit_cycles_total", Help: "Collection cycles by result (ok, failed, empty).",
		}, []string{"result"}),
		cyclesSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qmonit_cycles_skipped_total", Help: "Cycle ticks skipped because a cycle overran.",
		}),
		pointsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qmonit_points_written_total", Help: "Samples written to the embedded store, by kind.",
		}, []string{"kind"}),
		lastGoodCycle: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "qmonit_last_good_cycle_timestamp_seconds", Help: "Cycle time of the last cycle whose data was written.",
		}),
		badRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qmonit_bad_records_total", Help: "Upstream records skipped as malformed, by source.",
		}, []string{"source"}),
		unknownQueues: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "qmonit_unknown_queues", Help: "Queues in the last PanDA answer with no CRIC pandaqueue.",
		}),
		writeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qmonit_write_errors_total", Help: "Failed writes, by writer.",
		}, []string{"writer"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "qmonit_config_last_reload_successful", Help: "Whether the last configuration reload succeeded.",
		}),
		reloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "qmonit_config_last_reload_success_timestamp_seconds", Help: "Time of the last successful configuration load.",
		}),
	}
	m.reloadOK.Set(1)
	m.reloadTimestamp.Set(float64(time.Now().Unix()))
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "qmonit_build_info", Help: "qmonit's version.",
	}, []string{"version"})
	buildInfo.WithLabelValues(Version).Set(1)
	reg.MustRegister(m.cycleDuration, m.cycles, m.cyclesSkipped, m.pointsWritten, m.lastGoodCycle,
		m.badRecords, m.unknownQueues, m.writeErrors, m.reloadOK, m.reloadTimestamp, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
