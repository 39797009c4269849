package notify

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	descNotifications = prometheus.NewDesc("qmonit_notifications_total",
		"Notification messages by channel and result: sent, or failed after retries (or at shutdown).",
		[]string{"channel", "result"}, nil)
	descQueueLength = prometheus.NewDesc("qmonit_notification_queue_length",
		"Messages waiting in the channel's in-memory queue.", []string{"channel"}, nil)
	descRetries = prometheus.NewDesc("qmonit_notification_retries_total",
		"Delivery attempts that failed and were retried.", []string{"channel"}, nil)
	descDrops = prometheus.NewDesc("qmonit_notification_drops_total",
		"Messages dropped because the channel's queue was full (the oldest goes).", []string{"channel"}, nil)
	descLastSuccess = prometheus.NewDesc("qmonit_notification_last_success_timestamp_seconds",
		"Time of the channel's last delivered message (0 before the first).", []string{"channel"}, nil)
	descHeld = prometheus.NewDesc("qmonit_notification_held_alerts",
		"Alerts held back by the channel's rate limit, waiting for the next digest.", []string{"channel"}, nil)
)

// collector exports dispatcher counters; it reads them at scrape time.
type collector struct {
	dispatchers []*Dispatcher
	held        func(channel string) int // nil: not exported
}

// NewCollector returns a prometheus.Collector for the dispatchers.
func NewCollector(ds ...*Dispatcher) prometheus.Collector {
	return &collector{dispatchers: ds}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descNotifications
	ch <- descQueueLength
	ch <- descRetries
	ch <- descDrops
	ch <- descLastSuccess
	if c.held != nil {
		ch <- descHeld
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, d := range c.dispatchers {
		s := d.Stats()
		ch <- prometheus.MustNewConstMetric(descNotifications, prometheus.CounterValue, float64(s.Sent), d.name, "sent")
		ch <- prometheus.MustNewConstMetric(descNotifications, prometheus.CounterValue, float64(s.Failed), d.name, "failed")
		ch <- prometheus.MustNewConstMetric(descQueueLength, prometheus.GaugeValue, float64(s.Queued), d.name)
		ch <- prometheus.MustNewConstMetric(descRetries, prometheus.CounterValue, float64(s.Retries), d.name)
		ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue, float64(s.Drops), d.name)
		var last float64
		if !s.LastSuccess.IsZero() {
			last = float64(s.LastSuccess.Unix())
		}
		ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, last, d.name)
		if c.held != nil {
			ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, float64(c.held(d.name)), d.name)
		}
	}
}
