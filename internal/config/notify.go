package config

import (
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Notify configures notifications about incidents and qmonit's own health:
// one section per channel kind, each enabled on its own.
type Notify struct {
	// ExternalURL is qmonit's public base URL, for links in messages; ""
	// leaves the link to qmonit out.
	ExternalURL string `yaml:"external_url"`
	// Labels are added to every alert, "name=value,name=value" (e.g.
	// "vo=atlas,instance=prod"), so several qmonits can be told apart.
	Labels string `yaml:"labels"`

	Email        Email        `yaml:"email"`
	Webhook      Webhook      `yaml:"webhook"`
	Mattermost   Mattermost   `yaml:"mattermost"`
	Alertmanager Alertmanager `yaml:"alertmanager"`
}

// Delivery holds the options every notification channel has.
type Delivery struct {
	// RenotifyInterval repeats a still-open alert after this long; 0 never
	// repeats. For Alertmanager it is the re-post interval (at most once per
	// cycle).
	RenotifyInterval Duration `yaml:"renotify_interval"`
	// RateLimit is the maximum number of messages per RatePeriod; the excess
	// is combined into one digest when the window has room. 0 is unlimited.
	RateLimit  int      `yaml:"rate_limit"`
	RatePeriod Duration `yaml:"rate_period"`
	// QueueSize bounds the in-memory queue; when full the oldest message is
	// dropped (counted and logged).
	QueueSize int `yaml:"queue_size"`
	// Timeout bounds one delivery attempt (HTTP request, SMTP session).
	Timeout Duration `yaml:"timeout"`
	// Retries after the first attempt, waiting RetryBackoff, doubled each
	// time up to RetryBackoffMax.
	Retries         int      `yaml:"retries"`
	RetryBackoff    Duration `yaml:"retry_backoff"`
	RetryBackoffMax Duration `yaml:"retry_backoff_max"`
}

// Email is the SMTP channel.
type Email struct {
	Enabled bool   `yaml:"enabled"`
	Host    string `yaml:"host"`
	Port    int    `yaml:"port"`
	// TLS is starttls (required, the default), tls (implicit, port 465) or
	// none (only for a loopback host).
	TLS string `yaml:"tls"`
	// CAFile holds extra CAs trusted for the server certificate.
	CAFile       string `yaml:"ca_file"`
	Username     string `yaml:"username"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	From         string `yaml:"from"`
	// To is a comma-separated list of recipients.
	To       string `yaml:"to"`
	Delivery `yaml:",inline"`
}

// Webhook is the generic JSON webhook channel.
type Webhook struct {
	Enabled         bool   `yaml:"enabled"`
	URL             string `yaml:"url"`
	BearerToken     Secret `yaml:"bearer_token"`
	BearerTokenFile string `yaml:"bearer_token_file"`
	CAFile          string `yaml:"ca_file"`
	Delivery        `yaml:",inline"`
}

// Mattermost is a Mattermost or Slack incoming webhook. Its URL is a secret
// (the path is the credential), with a url_file twin.
type Mattermost struct {
	Enabled bool   `yaml:"enabled"`
	URL     Secret `yaml:"url"`
	URLFile string `yaml:"url_file"`
	// Username and Channel override the webhook's defaults when set (the
	// server must allow overrides).
	Username string `yaml:"username"`
	Channel  string `yaml:"channel"`
	CAFile   string `yaml:"ca_file"`
	Delivery `yaml:",inline"`
}

// Alertmanager is the Alertmanager v2 API channel (POST <url>/api/v2/alerts).
type Alertmanager struct {
	Enabled         bool   `yaml:"enabled"`
	URL             string `yaml:"url"`
	BearerToken     Secret `yaml:"bearer_token"`
	BearerTokenFile string `yaml:"bearer_token_file"`
	CAFile          string `yaml:"ca_file"`
	// AlertTTL is the endsAt given to firing alerts (post time + TTL), so
	// Alertmanager resolves them by itself if qmonit stops re-posting.
	AlertTTL Duration `yaml:"alert_ttl"`
	Delivery `yaml:",inline"`
}

func delivery(renotify time.Duration, rate int) Delivery {
	return Delivery{
		RenotifyInterval: Duration(renotify), RateLimit: rate, RatePeriod: Duration(time.Hour),
		QueueSize: 100, Timeout: Duration(30 * time.Second),
		Retries: 5, RetryBackoff: Duration(10 * time.Second), RetryBackoffMax: Duration(5 * time.Minute),
	}
}

// DefaultNotify returns the notification defaults: every channel off;
// reminders every 4 h and at most 10 e-mails, 20 chat posts or 60 webhook
// calls per hour; Alertmanager re-posted every cycle with a 1 h TTL.
func DefaultNotify() Notify {
	return Notify{
		Email:        Email{Port: 587, TLS: "starttls", Delivery: delivery(4*time.Hour, 10)},
		Webhook:      Webhook{Delivery: delivery(4*time.Hour, 60)},
		Mattermost:   Mattermost{Delivery: delivery(4*time.Hour, 20)},
		Alertmanager: Alertmanager{AlertTTL: Duration(time.Hour), Delivery: delivery(time.Minute, 0)},
	}
}

// Notification bounds.
const (
	MaxNotifyQueue      = 100_000
	MaxNotifyRetries    = 20
	MaxNotifyRateLimit  = 10_000
	MaxNotifyRecipients = 100
)

func (c *Config) validateNotify(p *problems) {
	n := &c.Notify
	if n.ExternalURL != "" {
		validateHTTPURL(p, "notify.external_url", n.ExternalURL)
	}
	if _, err := ParseLabels(n.Labels); err != nil {
		p.addf("notify.labels", "%v", err)
	}
	if e := n.Email; e.Enabled {
		validateEmail(p, e)
		validateDelivery(p, "notify.email", e.Delivery)
	}
	if w := n.Webhook; w.Enabled {
		validateHTTPURL(p, "notify.webhook.url", w.URL)
		validateDelivery(p, "notify.webhook", w.Delivery)
	}
	if m := n.Mattermost; m.Enabled {
		validateHTTPURL(p, "notify.mattermost.url", m.URL.Reveal())
		validateDelivery(p, "notify.mattermost", m.Delivery)
	}
	if a := n.Alertmanager; a.Enabled {
		const key = "notify.alertmanager"
		validateHTTPURL(p, key+".url", a.URL)
		validateDelivery(p, key, a.Delivery)
		p.positive(key+".renotify_interval", a.RenotifyInterval)
		// Re-posts happen at most once per cycle: the TTL must outlive two.
		if least := 2 * max(c.Interval, a.RenotifyInterval); a.AlertTTL < least {
			p.addf(key+".alert_ttl", "must be at least twice max(interval, renotify_interval) (%s), got %s", least, a.AlertTTL)
		}
	}
}

func validateEmail(p *problems, e Email) {
	const key = "notify.email"
	if e.Host == "" {
		p.addf(key+".host", "must not be empty")
	}
	if e.Port < 1 || e.Port > 65535 {
		p.addf(key+".port", "must be 1..65535, got %d", e.Port)
	}
	switch e.TLS {
	case "starttls", "tls":
	case "none":
		if ip := net.ParseIP(e.Host); !strings.EqualFold(e.Host, "localhost") && (ip == nil || !ip.IsLoopback()) {
			p.addf(key+".tls", "none is only allowed for a loopback host (localhost, 127.0.0.1, ::1), got host %q", e.Host)
		}
	default:
		p.addf(key+".tls", "must be starttls, tls or none, got %q", e.TLS)
	}
	if (e.Username == "") != (e.Password.Reveal() == "") {
		p.addf(key+".username", "username and password (or password_file) must be set together")
	}
	if strings.ContainsAny(e.From+e.To, "\r\n") {
		p.addf(key+".from", "from and to must not contain line breaks")
		return
	}
	if _, err := mail.ParseAddress(e.From); err != nil {
		p.addf(key+".from", "want one address, got %q: %v", e.From, err)
	}
	if to, err := mail.ParseAddressList(e.To); err != nil {
		p.addf(key+".to", "want comma-separated addresses: %v", err)
	} else if len(to) > MaxNotifyRecipients {
		p.addf(key+".to", "at most %d recipients, got %d", MaxNotifyRecipients, len(to))
	}
}

func validateDelivery(p *problems, key string, d Delivery) {
	p.between(key+".renotify_interval", d.RenotifyInterval, 0, Duration(30*day))
	if d.RateLimit < 0 || d.RateLimit > MaxNotifyRateLimit {
		p.addf(key+".rate_limit", "must be 0..%d, got %d", MaxNotifyRateLimit, d.RateLimit)
	}
	p.between(key+".rate_period", d.RatePeriod, Duration(time.Minute), Duration(7*day))
	if d.QueueSize < 1 || d.QueueSize > MaxNotifyQueue {
		p.addf(key+".queue_size", "must be 1..%d, got %d", MaxNotifyQueue, d.QueueSize)
	}
	p.between(key+".timeout", d.Timeout, MinTimeout, MaxTimeout)
	if d.Retries < 0 || d.Retries > MaxNotifyRetries {
		p.addf(key+".retries", "must be 0..%d, got %d", MaxNotifyRetries, d.Retries)
	}
	p.between(key+".retry_backoff", d.RetryBackoff, Duration(100*time.Millisecond), Duration(time.Hour))
	p.between(key+".retry_backoff_max", d.RetryBackoffMax, d.RetryBackoff, Duration(time.Hour))
}

// validateHTTPURL checks an http(s) URL with a host and no user info. The
// message never echoes the URL, which may be a secret.
func validateHTTPURL(p *problems, key, raw string) {
	if raw == "" {
		p.addf(key, "must not be empty")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		p.addf(key, "invalid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		p.addf(key, "scheme must be http or https")
	case u.Host == "":
		p.addf(key, "%s URL needs a host", u.Scheme)
	case u.User != nil:
		p.addf(key, "must not contain user info; use bearer_token_file")
	}
}
