package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/detect"
)

// signalling wraps a recorder and reports every request on a channel.
type signalling struct {
	*recorder
	got chan string
	tag string
}

func (s signalling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.recorder.ServeHTTP(w, r)
	s.got <- s.tag
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitRequests(t *testing.T, got <-chan string, n int) []string {
	t.Helper()
	var tags []string
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for len(tags) < n {
		select {
		case tag := <-got:
			tags = append(tags, tag)
		case <-timeout.C:
			t.Fatalf("got %d requests %q, want %d", len(tags), tags, n)
		}
	}
	return tags
}

func TestNotifier(t *testing.T) {
	got := make(chan string, 100)
	hook, mm, am := &recorder{}, &recorder{}, &recorder{}
	hookSrv := serve(t, signalling{hook, got, "webhook"})
	mmSrv := serve(t, signalling{mm, got, "mattermost"})
	amSrv := serve(t, signalling{am, got, "alertmanager"})

	cfg := config.DefaultNotify()
	cfg.Labels = "vo=atlas"
	cfg.Webhook.Enabled, cfg.Webhook.URL, cfg.Webhook.BearerToken = true, hookSrv.URL+"/hook", "tok"
	cfg.Mattermost.Enabled, cfg.Mattermost.URL = true, config.Secret(mmSrv.URL+"/hooks/abc")
	cfg.Alertmanager.Enabled, cfg.Alertmanager.URL = true, amSrv.URL
	var logs syncBuffer
	n, err := New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	inc := groupIncident()
	opts := IncidentOptions{ExternalURL: "https://q.example"}
	n.Update(t0, ScopeIncidents, FromReport(detect.Report{Open: []detect.Incident{inc}}, opts))
	n.Update(t0, ScopePipeline, []Alert{{Key: "pipeline/bad", Name: "bad name"}})
	waitRequests(t, got, 3)

	var body webhookBody
	if err := json.Unmarshal(hook.requests()[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if a := body.Alerts[0]; body.Kind != KindFiring || a.Labels["vo"] != "atlas" || a.Labels["incident_id"] != inc.ID ||
		len(a.Queues) != 3 {
		t.Errorf("webhook body %+v", body)
	}
	var pa []postableAlert
	if err := json.Unmarshal(am.requests()[0].body, &pa); err != nil {
		t.Fatal(err)
	}
	if len(pa) != 1 || pa[0].Labels["alertname"] != NameGroupDeviation || pa[0].Labels["vo"] != "atlas" {
		t.Errorf("alertmanager body %+v", pa)
	}
	if !strings.Contains(logs.String(), "alert skipped") || !strings.Contains(logs.String(), `pipeline/bad`) {
		t.Errorf("invalid alert not logged:\n%s", logs.String())
	}

	// The next cycle closes the incident: one resolved message per channel.
	closed := inc
	end := t0.Add(10 * time.Minute)
	closed.End = &end
	n.Update(end, ScopeIncidents, FromReport(detect.Report{Closed: []detect.Incident{closed}}, opts))
	waitRequests(t, got, 3)
	if err := json.Unmarshal(hook.requests()[1].body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Kind != KindResolved || body.Alerts[0].EndsAt == nil || !body.Alerts[0].EndsAt.Equal(end) {
		t.Errorf("second webhook body %+v, want resolved at %s", body, end)
	}

	// The server answers before the dispatcher counts: poll the counters.
	for deadline := time.Now().Add(30 * time.Second); !statsSettled(n, 2); {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want 2 sent per channel", n.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	want := `
# HELP qmonit_notifications_total Notification messages by channel and result: sent, or failed after retries (or at shutdown).
# TYPE qmonit_notifications_total counter
qmonit_notifications_total{channel="alertmanager",result="failed"} 0
qmonit_notifications_total{channel="alertmanager",result="sent"} 2
qmonit_notifications_total{channel="mattermost",result="failed"} 0
qmonit_notifications_total{channel="mattermost",result="sent"} 2
qmonit_notifications_total{channel="webhook",result="failed"} 0
qmonit_notifications_total{channel="webhook",result="sent"} 2
# HELP qmonit_notification_queue_length Messages waiting in the channel's in-memory queue.
# TYPE qmonit_notification_queue_length gauge
qmonit_notification_queue_length{channel="alertmanager"} 0
qmonit_notification_queue_length{channel="mattermost"} 0
qmonit_notification_queue_length{channel="webhook"} 0
# HELP qmonit_notification_drops_total Messages dropped because the channel's queue was full (the oldest goes).
# TYPE qmonit_notification_drops_total counter
qmonit_notification_drops_total{channel="alertmanager"} 0
qmonit_notification_drops_total{channel="mattermost"} 0
qmonit_notification_drops_total{channel="webhook"} 0
# HELP qmonit_notification_held_alerts Alerts held back by the channel's rate limit, waiting for the next digest.
# TYPE qmonit_notification_held_alerts gauge
qmonit_notification_held_alerts{channel="alertmanager"} 0
qmonit_notification_held_alerts{channel="mattermost"} 0
qmonit_notification_held_alerts{channel="webhook"} 0
`
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(n)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "qmonit_notifications_total",
		"qmonit_notification_queue_length", "qmonit_notification_drops_total", "qmonit_notification_held_alerts"); err != nil {
		t.Error(err)
	}
	if c, err := testutil.GatherAndCount(reg, "qmonit_notification_retries_total", "qmonit_notification_last_success_timestamp_seconds"); err != nil || c != 6 {
		t.Errorf("retries and last-success series: %d, %v; want 6", c, err)
	}
}

func statsSettled(n *Notifier, sent uint64) bool {
	for _, s := range n.Stats() {
		if s.Sent != sent {
			return false
		}
	}
	return true
}

func TestNotifierDisabled(t *testing.T) {
	n, err := New(config.DefaultNotify(), slog.New(slog.DiscardHandler))
	if err != nil || n.Enabled() {
		t.Fatalf("New(defaults) = enabled %v, %v; want a disabled notifier", n.Enabled(), err)
	}
	n.Update(t0, ScopeIncidents, []Alert{al("A")}) // no-op
	n.Tick(t0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	n.Run(ctx) // returns once ctx is done
	if c := testutil.CollectAndCount(n); c != 0 {
		t.Errorf("%d metrics from a disabled notifier, want 0", c)
	}
}

func TestNewErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mod     func(c *config.Notify)
		wantErr string
	}{
		{"bad labels", func(c *config.Notify) { c.Labels = "no-equals" }, "labels"},
		{"email CA file missing", func(c *config.Notify) {
			c.Email.Enabled, c.Email.Host, c.Email.From, c.Email.To = true, "smtp.example.org", "q@example.org", "a@example.org"
			c.Email.CAFile = "/nonexistent/ca.pem"
		}, `notify "email": ca_file`},
		{"webhook URL", func(c *config.Notify) { c.Webhook.Enabled, c.Webhook.URL = true, "ftp://x" }, `notify "webhook": url`},
		{"mattermost URL", func(c *config.Notify) { c.Mattermost.Enabled = true }, `notify "mattermost": url`},
		{"alertmanager URL", func(c *config.Notify) { c.Alertmanager.Enabled = true }, `notify "alertmanager": url`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := config.DefaultNotify()
			tt.mod(&c)
			if _, err := New(c, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}
