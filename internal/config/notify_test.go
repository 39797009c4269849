package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const validEmail = `notify:
  email:
    enabled: true
    host: smtp.example.org
    from: "qmonit <qmonit@example.org>"
    to: "a@example.org, B <b@example.org>"
`

func TestNotifyValidate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		body    string
		wantErr []string // none: valid
	}{
		{name: "defaults: everything off", body: ""},
		{name: "valid email", body: validEmail},
		{name: "email needs host, from and to", body: "notify:\n  email: {enabled: true}\n",
			wantErr: []string{"notify.email.host: must not be empty", "notify.email.from:", "notify.email.to:"}},
		{name: "email tls none only on loopback", body: validEmail + "    tls: none\n",
			wantErr: []string{`notify.email.tls: none is only allowed for a loopback host`}},
		{name: "email tls none on localhost", body: strings.Replace(validEmail, "smtp.example.org", "localhost", 1) + "    tls: none\n"},
		{name: "email tls unknown", body: validEmail + "    tls: ssl\n",
			wantErr: []string{`notify.email.tls: must be starttls, tls or none, got "ssl"`}},
		{name: "email user without password", body: validEmail + "    username: q\n",
			wantErr: []string{"notify.email.username: username and password"}},
		{name: "email port", body: validEmail + "    port: 70000\n", wantErr: []string{"notify.email.port: must be 1..65535"}},
		{name: "email bad recipient", body: strings.Replace(validEmail, "a@example.org,", "not an address,", 1),
			wantErr: []string{"notify.email.to: want comma-separated addresses"}},
		{name: "delivery bounds", body: validEmail + `    rate_limit: -1
    rate_period: 10s
    queue_size: 0
    retries: 99
    retry_backoff: 1m
    retry_backoff_max: 30s
    timeout: 0s
    renotify_interval: 60d
`, wantErr: []string{
			"notify.email.rate_limit: must be 0..10000, got -1",
			"notify.email.rate_period: must be between 1m and 7d, got 10s",
			"notify.email.queue_size: must be 1..100000, got 0",
			"notify.email.retries: must be 0..20, got 99",
			"notify.email.retry_backoff_max: must be between 1m and 1h, got 30s",
			"notify.email.timeout: must be between 1s and 10m",
			"notify.email.renotify_interval: must be between 0s and 30d",
		}},
		{name: "webhook url", body: "notify:\n  webhook: {enabled: true, url: 'ftp://x/'}\n",
			wantErr: []string{"notify.webhook.url: scheme must be http or https"}},
		{name: "webhook url missing", body: "notify:\n  webhook: {enabled: true}\n",
			wantErr: []string{"notify.webhook.url: must not be empty"}},
		{name: "mattermost url never echoed", body: "notify:\n  mattermost: {enabled: true, url: 'https://u:p@mm.example/hooks/SECRETPATH'}\n",
			wantErr: []string{"notify.mattermost.url: must not contain user info"}},
		{name: "alertmanager ttl must outlive two cycles", body: "notify:\n  alertmanager: {enabled: true, url: 'http://127.0.0.1:9093', alert_ttl: 15m}\n",
			wantErr: []string{"notify.alertmanager.alert_ttl: must be at least twice max(interval, renotify_interval) (20m), got 15m"}},
		{name: "alertmanager needs a re-post interval", body: "notify:\n  alertmanager: {enabled: true, url: 'http://127.0.0.1:9093', renotify_interval: 0s}\n",
			wantErr: []string{"notify.alertmanager.renotify_interval: must be greater than 0"}},
		{name: "valid alertmanager", body: "notify:\n  alertmanager: {enabled: true, url: 'http://127.0.0.1:9093'}\n"},
		{name: "external url", body: "notify:\n  external_url: 'qmonit.example.org'\n",
			wantErr: []string{"notify.external_url: scheme must be http or https"}},
		{name: "labels", body: "notify:\n  labels: 'vo=atlas,bad'\n", wantErr: []string{"notify.labels:"}},
		{name: "disabled channels are not validated", body: "notify:\n  webhook: {enabled: false, url: 'ftp://x/'}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tt.body), nil)
			if !checkErrors(t, "Load()", err, tt.wantErr) {
				return
			}
			if strings.Contains(err.Error(), "SECRETPATH") {
				t.Errorf("error echoes the URL: %v", err)
			}
		})
	}
}

func TestNotifySecrets(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"smtp-pw": "pw-notify-1\n", "mm-url": "https://mm.example/hooks/notify-key-2\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	body := validEmail + `    username: qmonit
    password_file: smtp-pw
    ca_file: certs/ca.pem
  mattermost:
    enabled: true
    url_file: mm-url
  webhook:
    enabled: true
    url: https://hooks.example/q
`
	path := filepath.Join(dir, "qmonit.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, mapEnv(map[string]string{"QMONIT_NOTIFY_WEBHOOK_BEARER_TOKEN": "tok-notify-3"}))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	n := c.Notify
	if n.Email.Password.Reveal() != "pw-notify-1" || n.Mattermost.URL.Reveal() != "https://mm.example/hooks/notify-key-2" ||
		n.Webhook.BearerToken.Reveal() != "tok-notify-3" || n.Email.CAFile != filepath.Join(dir, "certs/ca.pem") {
		t.Errorf("password %q, mattermost url %q, token %q, ca_file %q", n.Email.Password.Reveal(),
			n.Mattermost.URL.Reveal(), n.Webhook.BearerToken.Reveal(), n.Email.CAFile)
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"pw-notify-1", "notify-key-2", "tok-notify-3"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("Redacted() shows %q", secret)
		}
	}
	t.Run("secret and file both set", func(t *testing.T) {
		_, err := Load(writeConfig(t, validEmail+"    username: q\n    password: x\n    password_file: /etc/hostname\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "notify.email.password: set password or password_file, not both") {
			t.Errorf("Load() = %v", err)
		}
	})
}

func TestNotifyEnvNames(t *testing.T) {
	names := EnvNames()
	for _, want := range []string{
		"QMONIT_NOTIFY_EXTERNAL_URL", "QMONIT_NOTIFY_EMAIL_TO", "QMONIT_NOTIFY_EMAIL_PASSWORD_FILE",
		"QMONIT_NOTIFY_EMAIL_RATE_LIMIT", "QMONIT_NOTIFY_MATTERMOST_URL_FILE", "QMONIT_NOTIFY_ALERTMANAGER_ALERT_TTL",
		"QMONIT_NOTIFY_WEBHOOK_RENOTIFY_INTERVAL",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvNames() lacks %s", want)
		}
	}
	c, err := Load("", mapEnv(map[string]string{
		"QMONIT_NOTIFY_ALERTMANAGER_ENABLED": "true", "QMONIT_NOTIFY_ALERTMANAGER_URL": "http://127.0.0.1:9093",
		"QMONIT_NOTIFY_ALERTMANAGER_RENOTIFY_INTERVAL": "5m",
	}))
	if err != nil || !c.Notify.Alertmanager.Enabled || c.Notify.Alertmanager.RenotifyInterval != Duration(5*time.Minute) {
		t.Errorf("Load(env) = %+v, %v", c.Notify.Alertmanager, err)
	}
}
