package config

import (
	"strings"
	"testing"
	"time"
)

func TestIntervalBounds(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"59s", false},
		{"1m", true},
		{"10m", true},
		{"60m", true},
		{"1h", true},
		{"61m", false},
		{"0s", false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			c := Default()
			d, err := ParseDuration(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			c.Interval, c.CycleOffset = d, 0
			err = c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() with interval %s = %v; want ok %v", tt.in, err, tt.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "interval: ") {
				t.Errorf("error %q is not prefixed by its key", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    func(c *Config)
		wantErr []string // each must appear; none means valid
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "vo empty", edit: func(c *Config) { c.VO = "" }, wantErr: []string{"vo: must be non-empty"}},
		{name: "vo upper case", edit: func(c *Config) { c.VO = "ATLAS" }, wantErr: []string{"vo: "}},
		{name: "vo with dash and digit", edit: func(c *Config) { c.VO = "vo-1_x" }},
		{name: "data_dir empty", edit: func(c *Config) { c.DataDir = "" }, wantErr: []string{"data_dir: must not be empty"}},
		{name: "listen any host", edit: func(c *Config) { c.Listen = ":8080" }},
		{name: "listen ipv6", edit: func(c *Config) { c.Listen = "[::1]:8080" }},
		{name: "listen no port", edit: func(c *Config) { c.Listen = "localhost" }, wantErr: []string{"listen: must be host:port"}},
		{name: "listen bad port", edit: func(c *Config) { c.Listen = "localhost:99999" }, wantErr: []string{"listen: port must be"}},
		{name: "log_level", edit: func(c *Config) { c.LogLevel = "verbose" }, wantErr: []string{"log_level: must be one of"}},
		{name: "cycle_offset half interval", edit: func(c *Config) { c.CycleOffset = Duration(5 * time.Minute) }},
		{name: "cycle_offset too large", edit: func(c *Config) { c.CycleOffset = Duration(6 * time.Minute) },
			wantErr: []string{"cycle_offset: must be between 0s and 5m"}},
		{name: "cycle_offset negative", edit: func(c *Config) { c.CycleOffset = -1 }, wantErr: []string{"cycle_offset: "}},
		{name: "cycle_timeout equal interval", edit: func(c *Config) { c.CycleTimeout = c.Interval }},
		{name: "cycle_timeout above interval", edit: func(c *Config) { c.CycleTimeout = c.Interval + 1 },
			wantErr: []string{"cycle_timeout: "}},
		{name: "cycle_timeout negative", edit: func(c *Config) { c.CycleTimeout = -1 }, wantErr: []string{"cycle_timeout: "}},
		{name: "stale_after zero", edit: func(c *Config) { c.StaleAfter = 0 }, wantErr: []string{"stale_after: must be greater than 0"}},
		{name: "url scheme", edit: func(c *Config) { c.Sources.Panda.URL = "ftp://x/y" },
			wantErr: []string{"sources.panda.url: scheme must be http, https or file"}},
		{name: "url empty", edit: func(c *Config) { c.Sources.CRIC.Site.URL = "" },
			wantErr: []string{"sources.cric.site.url: must not be empty"}},
		{name: "url unparsable", edit: func(c *Config) { c.Sources.CRIC.Site.URL = "http://[::1" },
			wantErr: []string{"sources.cric.site.url: invalid URL"}},
		{name: "url without host", edit: func(c *Config) { c.Sources.WLCG.Federation.URL = "https:///x" },
			wantErr: []string{"sources.wlcg.federation.url: https URL needs a host"}},
		{name: "url with password", edit: func(c *Config) { c.Sources.Panda.URL = "https://u:pw@h/" },
			wantErr: []string{"sources.panda.url: must not contain user info"}},
		{name: "file url", edit: func(c *Config) { c.Sources.CRIC.PandaQueue.URL = "file:///var/lib/qmonit/pq.json" }},
		{name: "file url without path", edit: func(c *Config) { c.Sources.CRIC.PandaQueue.URL = "file://" },
			wantErr: []string{"sources.cric.pandaqueue.url: file URL needs a path"}},
		{name: "refresh zero", edit: func(c *Config) { c.Sources.CRIC.DDMEndpoint.Refresh = 0 },
			wantErr: []string{"sources.cric.ddmendpoint.refresh: must be greater than 0"}},
		{name: "timeout too small", edit: func(c *Config) { c.Sources.Panda.Timeout = Duration(time.Millisecond) },
			wantErr: []string{"sources.panda.timeout: must be between 1s and 10m"}},
		{name: "max_body_bytes too small", edit: func(c *Config) { c.Sources.Panda.MaxBodyBytes = 1023 },
			wantErr: []string{"sources.panda.max_body_bytes: "}},
		{name: "max_body_bytes 4 GiB", edit: func(c *Config) { c.Sources.Panda.MaxBodyBytes = 4 << 30 }},
		{name: "max_body_bytes above 4 GiB", edit: func(c *Config) { c.Sources.Panda.MaxBodyBytes = 4<<30 + 1 },
			wantErr: []string{"sources.panda.max_body_bytes: "}},
		{name: "retries", edit: func(c *Config) { c.Sources.Panda.Retries = 11 }, wantErr: []string{"sources.panda.retries: "}},
		{name: "retry_backoff negative", edit: func(c *Config) { c.Sources.Panda.RetryBackoff = -1 },
			wantErr: []string{"sources.panda.retry_backoff: "}},
		{name: "cert without key", edit: func(c *Config) { c.Sources.Panda.CertFile = "/c.pem" },
			wantErr: []string{"sources.panda.cert_file: cert_file and key_file must be set together"}},
		{name: "cert and key", edit: func(c *Config) { c.Sources.Panda.CertFile, c.Sources.Panda.KeyFile = "/c", "/k" }},
		{name: "proxy", edit: func(c *Config) { c.Sources.Panda.ProxyFile = "/tmp/x509up_u1" }},
		{name: "proxy with cert", edit: func(c *Config) {
			c.Sources.Panda.ProxyFile, c.Sources.Panda.CertFile, c.Sources.Panda.KeyFile = "/p", "/c", "/k"
		}, wantErr: []string{"sources.panda.proxy_file: proxy_file excludes cert_file and key_file"}},
		{name: "token and token file", edit: func(c *Config) {
			c.Sources.DataDisk.BearerToken, c.Sources.DataDisk.BearerTokenFile = "t", "/f"
		}, wantErr: []string{"sources.datadisk.bearer_token: set bearer_token or bearer_token_file, not both"}},
		{name: "dsn and dsn file", edit: func(c *Config) { c.Snapshot.DSN, c.Snapshot.DSNFile = "x", "/f" },
			wantErr: []string{"snapshot.dsn: set dsn or dsn_file, not both"}},
		{name: "datadisk index empty", edit: func(c *Config) { c.Sources.DataDisk.Index = "" },
			wantErr: []string{"sources.datadisk.index: must not be empty"}},
		{name: "datadisk disabled skips its checks", edit: func(c *Config) {
			c.Sources.DataDisk = DataDisk{Enabled: false}
		}},
		{name: "retention order", edit: func(c *Config) { c.Storage.Retention.Raw = Duration(500 * day) },
			wantErr: []string{"storage.retention.raw: must not exceed storage.retention.hourly (400d), got 500d"}},
		{name: "retention equal", edit: func(c *Config) {
			c.Storage.Retention = Retention{Raw: Duration(day), Hourly: Duration(day), Daily: Duration(day)}
		}},
		{name: "retention zero", edit: func(c *Config) { c.Storage.Retention.Daily = 0 },
			wantErr: []string{"storage.retention.daily: must be greater than 0", "storage.retention.hourly: must not exceed"}},
		{name: "every problem reported", edit: func(c *Config) {
			c.VO, c.LogLevel, c.Sources.CRIC.Site.Retries = "", "x", -1
		}, wantErr: []string{"vo: ", "log_level: ", "sources.cric.site.retries: "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(c)
			err := c.Validate()
			if !checkErrors(t, "Validate()", err, tt.wantErr) {
				return
			}
			if joined, ok := err.(interface{ Unwrap() []error }); !ok || len(joined.Unwrap()) < len(tt.wantErr) {
				t.Errorf("Validate() = %T, want errors.Join of %d problems", err, len(tt.wantErr))
			}
		})
	}
}

// checkErrors fails t unless err is nil when want is empty, or contains
// every string of want. It reports whether err is non-nil, for callers
// that check more.
func checkErrors(t *testing.T, call string, err error, want []string) bool {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("%s = %v; want nil", call, err)
		}
		return false
	}
	if err == nil {
		t.Fatalf("%s = nil; want %q", call, want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s = %q; lacks %q", call, err, w)
		}
	}
	return true
}

func TestValidateNeverEchoesURL(t *testing.T) {
	c := Default()
	c.Sources.Panda.URL = "gopher://h/?token=abc123"
	err := c.Validate()
	if err == nil || strings.Contains(err.Error(), "abc123") {
		t.Fatalf("Validate() = %v; want an error without the URL", err)
	}
}
