package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Validation bounds.
const (
	MinInterval     = Duration(time.Minute)
	MaxInterval     = Duration(time.Hour)
	MinTimeout      = Duration(time.Second)
	MaxTimeout      = Duration(10 * time.Minute)
	MinMaxBodyBytes = 1 << 10
	MaxMaxBodyBytes = 4 << 30
	MaxRetries      = 10
	MaxRetryBackoff = Duration(10 * time.Minute)
)

var (
	voPattern = regexp.MustCompile(`^[a-z0-9_-]+$`)
	logLevels = []string{"debug", "info", "warn", "error"}
)

// problems collects validation errors, each prefixed by its key path.
type problems []error

func (p *problems) addf(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

func (p *problems) between(key string, d, lo, hi Duration) {
	if d < lo || d > hi {
		p.addf(key, "must be between %s and %s, got %s", lo, hi, d)
	}
}

func (p *problems) positive(key string, d Duration) {
	if d <= 0 {
		p.addf(key, "must be greater than 0, got %s", d)
	}
}

// Validate returns every problem in c joined with errors.Join, each prefixed
// by its key path, e.g. "sources.panda.url: scheme must be http, https or
// file". It does not touch the file system.
func (c *Config) Validate() error {
	var p problems
	c.validateTop(&p)
	validateURL(&p, "sources.panda", c.Sources.Panda.URL)
	validateHTTP(&p, "sources.panda", c.Sources.Panda.HTTP)
	validateEndpoint(&p, "sources.cric.pandaqueue", c.Sources.CRIC.PandaQueue)
	validateEndpoint(&p, "sources.cric.site", c.Sources.CRIC.Site)
	validateEndpoint(&p, "sources.cric.ddmendpoint", c.Sources.CRIC.DDMEndpoint)
	validateEndpoint(&p, "sources.wlcg.federation", c.Sources.WLCG.Federation)
	if dd := c.Sources.DataDisk; dd.Enabled {
		validateEndpoint(&p, "sources.datadisk", Endpoint{URL: dd.URL, Refresh: dd.Refresh, HTTP: dd.HTTP})
		if dd.Index == "" {
			p.addf("sources.datadisk.index", "must not be empty")
		}
	}
	c.validateStorage(&p)
	c.validateSinks(&p)
	c.validateNotify(&p)
	c.validateDetect(&p)
	c.secretTwins(func(secret, file leaf) {
		if secret.value.String() != "" && file.value.String() != "" && !c.fromFile[secret.key()] {
			p.addf(secret.key(), "set %s or %s, not both", secret.name(), file.name())
		}
	})
	return errors.Join(p...)
}

func (c *Config) validateTop(p *problems) {
	p.between("interval", c.Interval, MinInterval, MaxInterval)
	if !voPattern.MatchString(c.VO) {
		p.addf("vo", "must be non-empty lowercase letters, digits, '-' or '_', got %q", c.VO)
	}
	if c.DataDir == "" {
		p.addf("data_dir", "must not be empty")
	}
	validateListen(p, c.Listen)
	if !slices.Contains(logLevels, c.LogLevel) {
		p.addf("log_level", "must be one of debug, info, warn, error, got %q", c.LogLevel)
	}
	p.between("cycle_offset", c.CycleOffset, 0, c.Interval/2)
	if c.CycleTimeout != 0 {
		p.between("cycle_timeout", c.CycleTimeout, 0, c.Interval)
	}
	p.positive("stale_after", c.StaleAfter)
}

func validateListen(p *problems, listen string) {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		p.addf("listen", "must be host:port, got %q", listen)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		p.addf("listen", "port must be a number from 0 to 65535, got %q", port)
	}
}

func (c *Config) validateStorage(p *problems) {
	r := c.Storage.Retention
	p.positive("storage.retention.raw", r.Raw)
	p.positive("storage.retention.hourly", r.Hourly)
	p.positive("storage.retention.daily", r.Daily)
	if r.Raw > r.Hourly {
		p.addf("storage.retention.raw", "must not exceed storage.retention.hourly (%s), got %s", r.Hourly, r.Raw)
	}
	if r.Hourly > r.Daily {
		p.addf("storage.retention.hourly", "must not exceed storage.retention.daily (%s), got %s", r.Daily, r.Hourly)
	}
}

func validateEndpoint(p *problems, key string, e Endpoint) {
	validateURL(p, key, e.URL)
	p.positive(key+".refresh", e.Refresh)
	validateHTTP(p, key, e.HTTP)
}

// validateURL checks key+".url". Messages never echo the URL, which may
// carry a query token.
func validateURL(p *problems, key, raw string) {
	key += ".url"
	if raw == "" {
		p.addf(key, "must not be empty")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		p.addf(key, "invalid URL: %v", err)
		return
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			p.addf(key, "%s URL needs a host", u.Scheme)
		}
	case "file":
		if u.Path == "" && u.Opaque == "" {
			p.addf(key, "file URL needs a path")
		}
	default:
		p.addf(key, "scheme must be http, https or file")
	}
	if u.User != nil {
		p.addf(key, "must not contain user info; use bearer_token_file or a certificate")
	}
}

func validateHTTP(p *problems, key string, h HTTP) {
	p.between(key+".timeout", h.Timeout, MinTimeout, MaxTimeout)
	if h.MaxBodyBytes < MinMaxBodyBytes || h.MaxBodyBytes > MaxMaxBodyBytes {
		p.addf(key+".max_body_bytes", "must be between %d (1 KiB) and %d (4 GiB), got %d",
			MinMaxBodyBytes, int64(MaxMaxBodyBytes), h.MaxBodyBytes)
	}
	if h.Retries < 0 || h.Retries > MaxRetries {
		p.addf(key+".retries", "must be between 0 and %d, got %d", MaxRetries, h.Retries)
	}
	p.between(key+".retry_backoff", h.RetryBackoff, 0, MaxRetryBackoff)
	if (h.CertFile == "") != (h.KeyFile == "") {
		p.addf(key+".cert_file", "cert_file and key_file must be set together")
	}
	if h.ProxyFile != "" && (h.CertFile != "" || h.KeyFile != "") {
		p.addf(key+".proxy_file", "proxy_file excludes cert_file and key_file")
	}
}

func (c *Config) validateSinks(p *problems) {
	c.validateInfluxDB(p)
	c.validateRemoteWrite(p)
}

func (c *Config) validateRemoteWrite(p *problems) {
	rw := c.Sinks.RemoteWrite
	if !rw.Enabled {
		return
	}
	const key = "sinks.remote_write"
	validateURL(p, key, rw.URL)
	if u, err := url.Parse(rw.URL); err == nil && u.Scheme == "file" {
		p.addf(key+".url", "scheme must be http or https")
	}
	if rw.BearerToken.Reveal() != "" && rw.Username != "" {
		p.addf(key+".bearer_token", "bearer_token excludes username/password")
	}
	if _, err := ParseLabels(rw.ExternalLabels); err != nil {
		p.addf(key+".external_labels", "%v", err)
	}
	if rw.BatchSize < 1 || rw.BatchSize > 1_000_000 {
		p.addf(key+".batch_size", "must be 1..1000000, got %d", rw.BatchSize)
	}
	if rw.SpoolMaxBytes < 1<<20 {
		p.addf(key+".spool_max_bytes", "must be at least 1 MiB, got %d", rw.SpoolMaxBytes)
	}
	p.between(key+".timeout", rw.Timeout, Duration(time.Second), Duration(10*time.Minute))
}

func (c *Config) validateInfluxDB(p *problems) {
	in := c.Sinks.InfluxDB
	if !in.Enabled {
		return
	}
	const key = "sinks.influxdb"
	validateURL(p, key, in.URL)
	if u, err := url.Parse(in.URL); err == nil && u.Scheme == "file" {
		p.addf(key+".url", "scheme must be http or https")
	}
	switch in.Version {
	case 1:
		if in.Database == "" {
			p.addf(key+".database", "must not be empty for version 1")
		}
		if in.Rollups && (in.RetentionPolicyHourly == "" || in.RetentionPolicyDaily == "") {
			p.addf(key+".retention_policy_hourly", "retention_policy_hourly and retention_policy_daily must be set when rollups is true")
		}
	case 2:
		if in.Bucket == "" {
			p.addf(key+".bucket", "must not be empty for version 2")
		}
		if in.Rollups && (in.BucketHourly == "" || in.BucketDaily == "") {
			p.addf(key+".bucket_hourly", "bucket_hourly and bucket_daily must be set when rollups is true")
		}
	default:
		p.addf(key+".version", "must be 1 or 2, got %d", in.Version)
	}
	if in.BatchSize < 1 || in.BatchSize > 1_000_000 {
		p.addf(key+".batch_size", "must be 1..1000000, got %d", in.BatchSize)
	}
	if in.SpoolMaxBytes < 1<<20 {
		p.addf(key+".spool_max_bytes", "must be at least 1 MiB, got %d", in.SpoolMaxBytes)
	}
	p.between(key+".timeout", in.Timeout, Duration(time.Second), Duration(10*time.Minute))
}
