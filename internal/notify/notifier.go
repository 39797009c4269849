package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qmonit/qmonit/internal/config"
)

// ChannelSpec is one channel of a Notifier: its sender, notification
// policy and delivery options.
type ChannelSpec struct {
	Name     string
	Sender   Sender
	Policy   Policy
	Dispatch DispatchOptions
}

// Notifier is what the daemon holds: for every enabled channel a Core
// (what to say, when) and a Dispatcher (delivery). Update and Tick never
// block on the network; Run delivers. Safe for concurrent use. It is a
// prometheus.Collector of the delivery metrics.
type Notifier struct {
	logger *slog.Logger
	labels map[string]string

	mu    sync.Mutex // serialises the cores
	chans []notifierChannel
	coll  *collector
}

type notifierChannel struct {
	core *Core
	disp *Dispatcher
}

// New builds the channels enabled in cfg. With none enabled it returns a
// Notifier that does nothing. Errors name the channel (a CA file that does
// not load, a bad address).
func New(cfg config.Notify, logger *slog.Logger) (*Notifier, error) {
	labels := map[string]string{}
	ls, err := config.ParseLabels(cfg.Labels)
	if err != nil {
		return nil, fmt.Errorf("notify labels: %w", err)
	}
	for _, l := range ls {
		labels[l.Name] = l.Value
	}
	var specs []ChannelSpec
	if e := cfg.Email; e.Enabled {
		s, err := NewEmail(EmailOptions{
			Host: e.Host, Port: e.Port, TLS: e.TLS, CAFile: e.CAFile,
			Username: e.Username, Password: e.Password.Reveal(), From: e.From, To: e.To,
			Timeout: time.Duration(e.Timeout),
		})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec("email", s, e.Delivery, false))
	}
	if w := cfg.Webhook; w.Enabled {
		s, err := NewWebhook(WebhookOptions{
			URL: w.URL, BearerToken: w.BearerToken.Reveal(), CAFile: w.CAFile, Timeout: time.Duration(w.Timeout),
		})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec("webhook", s, w.Delivery, false))
	}
	if m := cfg.Mattermost; m.Enabled {
		s, err := NewMattermost(MattermostOptions{
			URL: m.URL.Reveal(), Username: m.Username, ChatRoom: m.Channel, CAFile: m.CAFile,
			Timeout: time.Duration(m.Timeout),
		})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec("mattermost", s, m.Delivery, false))
	}
	if a := cfg.Alertmanager; a.Enabled {
		s, err := NewAlertmanager(AlertmanagerOptions{
			URL: a.URL, BearerToken: a.BearerToken.Reveal(), CAFile: a.CAFile,
			Timeout: time.Duration(a.Timeout), TTL: time.Duration(a.AlertTTL),
		})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec("alertmanager", s, a.Delivery, true))
	}
	return NewNotifier(logger, labels, specs...), nil
}

func spec(name string, s Sender, d config.Delivery, batch bool) ChannelSpec {
	return ChannelSpec{
		Name:   name,
		Sender: s,
		Policy: Policy{
			Renotify: time.Duration(d.RenotifyInterval), RateLimit: d.RateLimit,
			RatePeriod: time.Duration(d.RatePeriod), Batch: batch,
		},
		Dispatch: DispatchOptions{
			QueueSize: d.QueueSize, Timeout: time.Duration(d.Timeout), Retries: d.Retries,
			Backoff: time.Duration(d.RetryBackoff), MaxBackoff: time.Duration(d.RetryBackoffMax),
		},
	}
}

// NewNotifier returns a Notifier over the given channels; labels are added
// to every alert (the alert's own labels win).
func NewNotifier(logger *slog.Logger, labels map[string]string, chans ...ChannelSpec) *Notifier {
	n := &Notifier{logger: logger, labels: labels}
	ds := make([]*Dispatcher, 0, len(chans))
	for _, c := range chans {
		d := NewDispatcher(c.Name, c.Sender, c.Dispatch, logger.With("channel", c.Name))
		n.chans = append(n.chans, notifierChannel{core: NewCore(c.Policy), disp: d})
		ds = append(ds, d)
	}
	n.coll = &collector{dispatchers: ds, held: n.held}
	return n
}

// Enabled reports whether any channel is configured.
func (n *Notifier) Enabled() bool { return len(n.chans) > 0 }

// Update reports the alerts a scope (ScopeIncidents, ScopePipeline) sees at
// now: open ones, and optionally those that just ended (End set). Alerts of
// the scope reported before and missing now are resolved. Invalid alerts
// are logged and skipped. Messages are queued for delivery; Update never
// blocks on the network.
func (n *Notifier) Update(now time.Time, scope string, alerts []Alert) {
	if !n.Enabled() {
		return
	}
	valid := make([]Alert, 0, len(alerts))
	for i := range alerts {
		a := alerts[i]
		a.Labels = withLabels(a.Labels, n.labels)
		if err := a.Validate(); err != nil {
			n.logger.Warn("alert skipped", "scope", scope, "err", err)
			continue
		}
		valid = append(valid, a)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.chans {
		for _, m := range c.core.Update(now, scope, valid) {
			c.disp.Enqueue(m)
		}
	}
}

// Prime tells every channel that alerts were already announced (see
// Core.Prime): the daemon calls it with the incidents it rebuilt from the
// store after a restart. Invalid alerts are skipped.
func (n *Notifier) Prime(now time.Time, scope string, alerts []Alert) {
	if !n.Enabled() {
		return
	}
	valid := make([]Alert, 0, len(alerts))
	for i := range alerts {
		a := alerts[i]
		a.Labels = withLabels(a.Labels, n.labels)
		if a.Validate() == nil {
			valid = append(valid, a)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.chans {
		c.core.Prime(now, scope, valid)
	}
}

// Tick queues reminders and rate-limited digests that are due at now,
// without changing which alerts are open. Updates do this too; call Tick
// between updates (e.g. every minute) if cycles are long.
func (n *Notifier) Tick(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.chans {
		for _, m := range c.core.Tick(now) {
			c.disp.Enqueue(m)
		}
	}
}

// Run delivers queued messages until ctx is done, then waits for every
// channel's goroutine to stop. Call it once. With no channel it just waits
// for ctx.
func (n *Notifier) Run(ctx context.Context) {
	if len(n.chans) == 0 {
		<-ctx.Done()
		return
	}
	var wg sync.WaitGroup
	for _, c := range n.chans {
		wg.Go(func() { c.disp.Run(ctx) })
	}
	wg.Wait()
}

// Stats returns each channel's delivery counters by channel name.
func (n *Notifier) Stats() map[string]DispatchStats {
	out := make(map[string]DispatchStats, len(n.chans))
	for _, c := range n.chans {
		out[c.disp.Name()] = c.disp.Stats()
	}
	return out
}

func (n *Notifier) held(channel string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.chans {
		if c.disp.Name() == channel {
			return c.core.Held()
		}
	}
	return 0
}

// Describe implements prometheus.Collector.
func (n *Notifier) Describe(ch chan<- *prometheus.Desc) { n.coll.Describe(ch) }

// Collect implements prometheus.Collector.
func (n *Notifier) Collect(ch chan<- prometheus.Metric) { n.coll.Collect(ch) }
