package app

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qmonit/qmonit/internal/health"
	"github.com/qmonit/qmonit/internal/notify"
)

// healthEvery is how often the pipeline-health checks run, independent of
// the cycles (a hung cycle must still be noticed).
const healthEvery = 30 * time.Second

var pipelineAlertDesc = prometheus.NewDesc("qmonit_pipeline_alert",
	"Open pipeline-health alerts (1 per alert), by kind and subject.", []string{"kind", "subject", "severity"}, nil)

// pipelineCollector exposes the open pipeline-health alerts on /metrics.
type pipelineCollector struct{ in *incidents }

func (c pipelineCollector) Describe(ch chan<- *prometheus.Desc) { ch <- pipelineAlertDesc }

func (c pipelineCollector) Collect(ch chan<- prometheus.Metric) {
	c.in.mu.RLock()
	defer c.in.mu.RUnlock()
	for _, a := range c.in.pipeline {
		ch <- prometheus.MustNewConstMetric(pipelineAlertDesc, prometheus.GaugeValue, 1, a.Kind, a.Subject, a.Severity)
	}
}

// healthInput samples the daemon's state for the checker.
func (d *daemon) healthInput(now time.Time) health.Input {
	st := d.status.Load()
	in := health.Input{
		Now: now, Started: d.started, LastCompleted: st.Completed,
		PandaFailures: st.FailedInARow, PandaError: st.LastError, StoreError: st.StoreError,
		CatalogAges: d.up().catalog.Ages(now),
	}
	for _, s := range d.sinks {
		n, _, _ := s.sp.Backlog()
		in.Sinks = append(in.Sinks, health.Sink{Name: s.name, BacklogBatches: n, Dropped: s.sp.Dropped()})
	}
	return in
}

// checkHealth runs one pipeline-health check: it records the alerts for
// the API and /metrics, logs what opened and resolved, and hands the
// changes to the notifiers.
func (d *daemon) checkHealth(now time.Time) health.Report {
	rep := d.health.Check(d.healthInput(now))
	d.inc.recordPipeline(rep)
	for _, a := range rep.Opened {
		lvl := slog.LevelWarn
		if a.Severity == "critical" {
			lvl = slog.LevelError
		}
		d.logger.Log(context.Background(), lvl, "pipeline alert", "kind", a.Kind, "subject", a.Subject, "summary", a.Summary)
	}
	for _, a := range rep.Resolved {
		d.logger.Info("pipeline alert resolved", "kind", a.Kind, "subject", a.Subject,
			"duration", a.End.Sub(a.Start).Round(time.Second).String())
	}
	d.notifyPipeline(now, rep)
	return rep
}

// watchHealth checks every healthEvery until ctx is done.
func (d *daemon) watchHealth(ctx context.Context) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			d.checkHealth(now)
		}
	}
}

// recordPipeline keeps the open pipeline alerts and the recently resolved
// ones for the API.
func (in *incidents) recordPipeline(rep health.Report) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.pipeline = rep.Open
	resolved := slices.Clone(rep.Resolved)
	slices.Reverse(resolved)
	in.pipelineRecent = append(resolved, in.pipelineRecent...)
	if len(in.pipelineRecent) > maxRecentIncidents {
		in.pipelineRecent = in.pipelineRecent[:maxRecentIncidents]
	}
}

// notifyPipeline hands the open and just-resolved pipeline-health alerts
// to the notifiers, which deduplicate, remind and announce resolution.
func (d *daemon) notifyPipeline(now time.Time, rep health.Report) {
	alerts := make([]notify.Alert, 0, len(rep.Open)+len(rep.Resolved))
	for _, a := range append(slices.Clip(rep.Open), rep.Resolved...) {
		alerts = append(alerts, pipelineAlert(a, d.cfg.Notify.ExternalURL))
	}
	// Update also sends the reminders and held digests that are due, of
	// incidents too: this check runs every 30 s, between cycles.
	d.notify.Update(now, notify.ScopePipeline, alerts)
}

// pipelineAlert maps a health alert to a notification. Keys get a
// "pipeline/" prefix: they share one namespace with incident IDs.
func pipelineAlert(a health.Alert, externalURL string) notify.Alert {
	n := notify.Alert{
		Key: "pipeline/" + a.Key, Name: "QmonitPipeline" + camel(a.Kind), Severity: a.Severity,
		Title: "qmonit: " + a.Summary, Summary: a.Summary,
		Labels: map[string]string{"kind": a.Kind}, Start: a.Start,
	}
	if a.Subject != "" {
		n.Labels["subject"] = a.Subject
	}
	if a.End != nil {
		n.End = *a.End
	}
	if base := strings.TrimRight(externalURL, "/"); base != "" {
		n.Links = []notify.Link{{Title: "qmonit metrics", URL: base + "/metrics"}}
	}
	return n
}

// camel turns "sink_backlog" into "SinkBacklog".
func camel(s string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(s, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
