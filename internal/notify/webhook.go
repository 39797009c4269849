package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// WebhookVersion is the version field of the generic webhook body.
const WebhookVersion = "1"

// webhookBody is the documented JSON body of the generic webhook (see the
// package documentation).
type webhookBody struct {
	Version string         `json:"version"`
	Kind    Kind           `json:"kind"`
	Repeat  bool           `json:"repeat"`
	Time    time.Time      `json:"time"`
	Subject string         `json:"subject"`
	Omitted int            `json:"omitted"`
	Alerts  []webhookAlert `json:"alerts"`
}

type webhookAlert struct {
	Key      string            `json:"key"`
	Status   string            `json:"status"`
	Name     string            `json:"name"`
	Severity string            `json:"severity"`
	Title    string            `json:"title"`
	Summary  string            `json:"summary"`
	Labels   map[string]string `json:"labels"`
	Queues   []string          `json:"queues"`
	Evidence []string          `json:"evidence"`
	Links    []Link            `json:"links"`
	StartsAt time.Time         `json:"starts_at"`
	EndsAt   *time.Time        `json:"ends_at"`
	Expected bool              `json:"expected"`
}

// WebhookJSON is the body the generic webhook POSTs for m.
func WebhookJSON(m Message) ([]byte, error) {
	body := webhookBody{
		Version: WebhookVersion, Kind: m.Kind, Repeat: m.Repeat, Time: m.Time.UTC(),
		Subject: Subject(m), Omitted: m.Omitted, Alerts: make([]webhookAlert, len(m.Alerts)),
	}
	for i := range m.Alerts {
		a := &m.Alerts[i]
		w := webhookAlert{
			Key: a.Key, Status: a.Status(), Name: a.Name, Severity: a.Severity, Title: a.Title,
			Summary: a.Summary, Labels: a.Labels, Queues: a.Queues, Evidence: a.Evidence, Links: a.Links,
			StartsAt: a.Start.UTC(), Expected: a.Expected,
		}
		if a.Resolved() {
			end := a.End.UTC()
			w.EndsAt = &end
		}
		if w.Labels == nil {
			w.Labels = map[string]string{}
		}
		if w.Queues == nil {
			w.Queues = []string{}
		}
		if w.Evidence == nil {
			w.Evidence = []string{}
		}
		if w.Links == nil {
			w.Links = []Link{}
		}
		body.Alerts[i] = w
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode webhook body: %w", err)
	}
	return b, nil
}

// Webhook POSTs the generic JSON body to a URL, optionally with a bearer
// token.
type Webhook struct{ p *poster }

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	Channel     string // name in errors and metrics; "" means "webhook"
	URL         string
	BearerToken string
	CAFile      string
	Timeout     time.Duration
}

// NewWebhook checks the URL and reads the CA file.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	p, err := newPoster(cmp.Or(o.Channel, "webhook"), o.URL, o.BearerToken, o.Timeout, o.CAFile)
	if err != nil {
		return nil, err
	}
	return &Webhook{p: p}, nil
}

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := WebhookJSON(m)
	if err != nil {
		return &DeliveryError{Channel: w.p.channel, Op: "encode", Final: true, Err: err}
	}
	return w.p.post(ctx, "application/json", body)
}
