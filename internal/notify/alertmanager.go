package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"time"
)

// DefaultAlertTTL is how long Alertmanager keeps a firing alert without a
// re-post when AlertmanagerOptions.TTL is 0.
const DefaultAlertTTL = time.Hour

// Alertmanager posts alerts to Alertmanager's v2 API
// (POST <url>/api/v2/alerts). Firing alerts carry endsAt = message time +
// TTL, so they stay active only while qmonit keeps re-posting them (the
// channel's renotify interval); resolved alerts carry their end.
type Alertmanager struct {
	p   *poster
	ttl time.Duration
}

// AlertmanagerOptions configure an Alertmanager sender.
type AlertmanagerOptions struct {
	Channel     string // name in errors and metrics; "" means "alertmanager"
	URL         string // base URL, e.g. http://127.0.0.1:9093
	BearerToken string
	CAFile      string
	Timeout     time.Duration
	TTL         time.Duration
}

// NewAlertmanager checks the URL and reads the CA file.
func NewAlertmanager(o AlertmanagerOptions) (*Alertmanager, error) {
	u := strings.TrimRight(o.URL, "/") + "/api/v2/alerts"
	p, err := newPoster(cmp.Or(o.Channel, "alertmanager"), u, o.BearerToken, o.Timeout, o.CAFile)
	if err != nil {
		return nil, err
	}
	if o.TTL <= 0 {
		o.TTL = DefaultAlertTTL
	}
	return &Alertmanager{p: p, ttl: o.TTL}, nil
}

// postableAlert is Alertmanager's v2 PostableAlert.
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// AlertmanagerJSON is the array posted for m: every alert of m with labels
// (alertname, severity and the alert's own), annotations (title, summary,
// description = evidence, queues, links), startsAt, endsAt and the first
// link as generatorURL.
func AlertmanagerJSON(m Message, ttl time.Duration) ([]byte, error) {
	out := make([]postableAlert, len(m.Alerts))
	for i := range m.Alerts {
		a := &m.Alerts[i]
		pa := postableAlert{
			Labels:      withLabels(map[string]string{"alertname": a.Name, "severity": a.Severity}, a.Labels),
			Annotations: map[string]string{"title": a.Title},
			StartsAt:    a.Start.UTC(),
			EndsAt:      m.Time.Add(ttl).UTC(),
		}
		if a.Resolved() {
			pa.EndsAt = a.End.UTC()
		}
		setLabel(pa.Annotations, "summary", a.Summary)
		setLabel(pa.Annotations, "description", strings.Join(a.Evidence, "\n"))
		setLabel(pa.Annotations, "queues", strings.Join(a.Queues, ", "))
		if len(a.Links) > 0 {
			pa.GeneratorURL = a.Links[0].URL
			links := make([]string, len(a.Links))
			for j, l := range a.Links {
				links[j] = l.Title + ": " + l.URL
			}
			pa.Annotations["links"] = strings.Join(links, "\n")
		}
		for k, v := range pa.Labels {
			if v == "" {
				delete(pa.Labels, k) // an empty value means "no label" to Alertmanager
			}
		}
		out[i] = pa
	}
	return json.Marshal(out)
}

// Send implements Sender.
func (am *Alertmanager) Send(ctx context.Context, m Message) error {
	body, err := AlertmanagerJSON(m, am.ttl)
	if err != nil {
		return &DeliveryError{Channel: am.p.channel, Op: "encode", Final: true, Err: err}
	}
	return am.p.post(ctx, "application/json", body)
}
