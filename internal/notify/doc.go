// Package notify owns qmonit's notifications: it turns the stream of open
// and closed detector incidents and pipeline-health alerts into messages
// and delivers them by e-mail (SMTP), a generic JSON webhook, a Mattermost
// or Slack incoming webhook, and Alertmanager's v2 API.
//
// # Pieces
//
//   - Alert is the one shape every producer uses: a stable Key, a Name
//     (alertname), labels, severity, title, summary, evidence lines, links,
//     start and end. FromReport converts a detect.Report; pipeline-health
//     alerts are built by the daemon.
//   - Core (pure, clock passed in, one per channel) decides what to say:
//     one message per alert when it opens (a grouped incident is one alert
//     listing its queues), nothing more while it stays open except a
//     reminder every Policy.Renotify, one message when it resolves, nothing
//     for Expected alerts (shown in the UI, not notified), and a rate limit
//     of Policy.RateLimit messages per Policy.RatePeriod whose excess is
//     held and sent as one digest when the window has room again (never
//     silently dropped; beyond DefaultMaxDigest alerts the digest counts
//     what it cannot list).
//   - Dispatcher (one per channel) delivers: a bounded in-memory queue that
//     never blocks the caller (full: the oldest message is dropped, counted
//     and logged) and a goroutine that sends with retries and capped
//     exponential backoff; 4xx answers other than 408 and 429, and SMTP 5xx,
//     are final.
//   - Notifier ties them together for the daemon, built from config.Notify.
//
// # Use
//
//	n, err := notify.New(cfg.Notify, logger.With("component", "notify"))
//	reg.MustRegister(n)                   // delivery metrics
//	go n.Run(ctx)                          // delivery goroutines; stop with ctx
//	...
//	rep := det.Observe(t, obs)             // every cycle
//	opts := notify.IncidentOptions{ExternalURL: cfg.Notify.ExternalURL}
//	n.Update(t, notify.ScopeIncidents, notify.FromReport(rep, opts))
//	n.Update(t, notify.ScopePipeline, pipelineAlerts)
//
// # Configuration
//
//	notify:
//	  external_url: https://qmonit.example.org   # links in messages
//	  labels: "vo=atlas"                         # added to every alert
//	  email:
//	    enabled: true
//	    host: smtp.example.org
//	    port: 587
//	    tls: starttls            # starttls (required) | tls (implicit, 465) | none (loopback only)
//	    username: qmonit
//	    password_file: /etc/qmonit/smtp-password
//	    from: "qmonit <qmonit@example.org>"
//	    to: "shifters@example.org, expert@example.org"
//	    renotify_interval: 4h
//	    rate_limit: 10           # messages per rate_period; the excess becomes one digest
//	    rate_period: 1h
//	  webhook:
//	    enabled: true
//	    url: https://hooks.example.org/qmonit
//	    bearer_token_file: /etc/qmonit/webhook-token
//	  mattermost:
//	    enabled: true
//	    url_file: /etc/qmonit/mattermost-url    # the URL's path is the secret
//	    channel: adc-alerts
//	  alertmanager:
//	    enabled: true
//	    url: http://alertmanager.example.org:9093
//	    renotify_interval: 1m    # re-post every cycle
//	    alert_ttl: 1h            # endsAt of firing alerts = post time + alert_ttl
//
// Every channel also has queue_size, timeout, retries, retry_backoff and
// retry_backoff_max (see deploy/qmonit.example.yaml).
//
// # Message formats
//
// Subject (e-mail subject, chat heading):
//
//	[FIRING] running drop at 5 queues (cloud=DE)
//	[FIRING] running drop at 5 queues (cloud=DE) (reminder)
//	[RESOLVED] running drop at 5 queues (cloud=DE)
//	[FIRING:3 RESOLVED:1] qmonit: 4 alerts (+2 not listed)     (digest)
//
// E-mail: text/plain; charset=utf-8, quoted-printable, with Date,
// Message-ID, MIME-Version, Auto-Submitted: auto-generated and, for one
// alert, References naming the alert so mail clients thread firing,
// reminders and resolution together. The body (Text) gives status, title,
// severity, start (and end), queues, summary, evidence lines, links, name,
// key and labels.
//
// Mattermost/Slack: {"text": markdown, "username": ..., "channel": ...}
// (Markdown); alert text is escaped so names cannot add links, formatting or
// @-mentions.
//
// Generic webhook (WebhookJSON), version "1":
//
//	{
//	  "version": "1",
//	  "kind": "firing",            // firing | resolved | digest
//	  "repeat": false,             // true for a reminder
//	  "time": "2026-01-01T10:00:00Z",
//	  "subject": "[FIRING] running drop at 5 queues (cloud=DE)",
//	  "omitted": 0,                // digest: alerts not listed
//	  "alerts": [{
//	    "key": "3f2a9c0d1e2b4a5f",
//	    "status": "firing",        // firing | resolved
//	    "name": "QmonitGroupDeviation",
//	    "severity": "warning",     // critical | warning | info
//	    "title": "running drop at 5 queues (cloud=DE)",
//	    "summary": "...",
//	    "labels": {"kind": "group", "group": "cloud=DE", "state": "running", "direction": "drop", "incident_id": "3f2a9c0d1e2b4a5f"},
//	    "queues": ["Q1", "Q2", "Q3", "Q4", "Q5"],
//	    "evidence": ["Q1 managed/SCORE running: 0 (baseline 100, ...)"],
//	    "links": [{"title": "qmonit", "url": "https://qmonit.example.org/suspicious"}],
//	    "starts_at": "2026-01-01T09:40:00Z",
//	    "ends_at": null,           // set when resolved
//	    "expected": false
//	  }]
//	}
//
// Alertmanager: POST <url>/api/v2/alerts with an array of postable alerts:
// labels = alertname (Name), severity and the alert's labels; annotations
// title, summary, description (evidence lines), queues, links; startsAt;
// endsAt = post time + alert_ttl while firing, the end once resolved;
// generatorURL = the first link. The channel batches: one POST per update
// carrying every alert that opened, resolved or is due for a re-post.
package notify
