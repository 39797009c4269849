// Package config owns qmonit's configuration: the YAML schema and its
// defaults, the QMONIT_* environment overrides, reading *_file secrets,
// resolving relative paths, validation, and the Secret type that keeps
// credentials out of logs and marshalled output.
//
// Load applies, in order: Default, the YAML file (decoded strictly), relative
// path resolution against the file's directory, environment overrides,
// *_file secrets, and Validate.
//
// Conventions that the generic code relies on, so new keys need no extra code:
//   - every field carries a snake_case yaml tag; embedded option structs are
//     `yaml:",inline"`;
//   - every scalar key has the environment name "QMONIT_" + its key path
//     upper-cased and joined by "_" (sources.panda.url is
//     QMONIT_SOURCES_PANDA_URL);
//   - a key whose name ends in "_file" or "_dir" (and data_dir) is a path;
//     relative paths in the file resolve against the file's directory;
//   - a Secret key "x" may have a plain-path twin "x_file" in the same
//     struct; Load reads that file into x.
package config

import "time"

// Config is the whole qmonit configuration. Zero values are not defaults:
// start from Default or Load.
type Config struct {
	// Interval is the collection cycle period, aligned to the wall clock.
	Interval Duration `yaml:"interval"`
	// VO is the virtual organisation whose queues are monitored.
	VO string `yaml:"vo"`
	// DataDir holds the embedded store, caches and the default SQLite snapshot.
	DataDir string `yaml:"data_dir"`
	// Listen is the host:port of the HTTP server.
	Listen string `yaml:"listen"`
	// LogLevel is one of debug, info, warn, error.
	LogLevel string `yaml:"log_level"`
	// CycleOffset is the fixed delay after each aligned tick before a cycle starts.
	CycleOffset Duration `yaml:"cycle_offset"`
	// CycleTimeout bounds one cycle; 0 means 0.8*Interval (see EffectiveCycleTimeout).
	CycleTimeout Duration `yaml:"cycle_timeout"`
	// StaleAfter is how long a vanished series is written as 0 before it is
	// marked stale.
	StaleAfter Duration `yaml:"stale_after"`

	Sources  Sources  `yaml:"sources"`
	Storage  Storage  `yaml:"storage"`
	Snapshot Snapshot `yaml:"snapshot"`
	Sinks    Sinks    `yaml:"sinks"`
	Notify   Notify   `yaml:"notify"`
	Detect   Detect   `yaml:"detect"`

	// fromFile records the key paths of secrets that Load read from their
	// *_file twin, so Validate does not report both as set.
	fromFile map[string]bool
}

// Sources configures every upstream.
type Sources struct {
	Panda    Panda    `yaml:"panda"`
	CRIC     CRIC     `yaml:"cric"`
	WLCG     WLCG     `yaml:"wlcg"`
	DataDisk DataDisk `yaml:"datadisk"`
}

// Panda is the PanDA server.
type Panda struct {
	URL  string `yaml:"url"`
	HTTP `yaml:",inline"`
}

// CRIC holds the ATLAS CRIC endpoints.
type CRIC struct {
	PandaQueue  Endpoint `yaml:"pandaqueue"`
	Site        Endpoint `yaml:"site"`
	DDMEndpoint Endpoint `yaml:"ddmendpoint"`
}

// WLCG holds the WLCG CRIC endpoints.
type WLCG struct {
	Federation Endpoint `yaml:"federation"`
}

// Endpoint is a metadata source that is re-read every Refresh.
type Endpoint struct {
	URL     string   `yaml:"url"`
	Refresh Duration `yaml:"refresh"`
	HTTP    `yaml:",inline"`
}

// DataDisk is the MONIT Elasticsearch query for DATADISK usage.
type DataDisk struct {
	Enabled bool     `yaml:"enabled"`
	URL     string   `yaml:"url"`
	Refresh Duration `yaml:"refresh"`
	Index   string   `yaml:"index"`
	HTTP    `yaml:",inline"`
}

// HTTP holds the client options shared by every source. The client itself is
// built elsewhere.
type HTTP struct {
	Timeout      Duration `yaml:"timeout"`
	MaxBodyBytes int64    `yaml:"max_body_bytes"`
	Retries      int      `yaml:"retries"`
	RetryBackoff Duration `yaml:"retry_backoff"`

	BearerToken     Secret `yaml:"bearer_token"`
	BearerTokenFile string `yaml:"bearer_token_file"`
	CertFile        string `yaml:"cert_file"`
	KeyFile         string `yaml:"key_file"`
	// ProxyFile is an X.509 proxy: certificate, key and chain in one PEM file.
	ProxyFile          string `yaml:"proxy_file"`
	CADir              string `yaml:"ca_dir"`
	CAFile             string `yaml:"ca_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Storage configures the embedded time-series store.
type Storage struct {
	Retention Retention `yaml:"retention"`
}

// Retention is how long each resolution is kept.
type Retention struct {
	Raw    Duration `yaml:"raw"`
	Hourly Duration `yaml:"hourly"`
	Daily  Duration `yaml:"daily"`
}

// Snapshot configures the SQL snapshot of the latest cycle.
type Snapshot struct {
	// DSN is the database to write to; "" means an SQLite file under DataDir.
	DSN     Secret `yaml:"dsn"`
	DSNFile string `yaml:"dsn_file"`
}

// Sinks are the external engines every cycle's points are also written to,
// each through an on-disk spool so an outage loses nothing.
type Sinks struct {
	InfluxDB    InfluxDB    `yaml:"influxdb"`
	RemoteWrite RemoteWrite `yaml:"remote_write"`
}

// InfluxDB is the InfluxDB (or VictoriaMetrics /write) sink: line protocol
// over HTTP, v1 (database, retention policy, user/password) or v2 (org,
// bucket, token).
type InfluxDB struct {
	Enabled  bool   `yaml:"enabled"`
	URL      string `yaml:"url"`
	Version  int    `yaml:"version"`
	Database string `yaml:"database"`
	// RetentionPolicy receives raw points (v1); RetentionPolicyHourly and
	// RetentionPolicyDaily the rollups and the hourly datadisks measurement.
	// The seed's names are the defaults.
	RetentionPolicy       string `yaml:"retention_policy"`
	RetentionPolicyHourly string `yaml:"retention_policy_hourly"`
	RetentionPolicyDaily  string `yaml:"retention_policy_daily"`
	Org                   string `yaml:"org"`
	// Bucket, BucketHourly and BucketDaily are the v2 equivalents.
	Bucket       string `yaml:"bucket"`
	BucketHourly string `yaml:"bucket_hourly"`
	BucketDaily  string `yaml:"bucket_daily"`
	// Rollups writes the hourly and daily rollups (measurement jobs) and the
	// hourly datadisks measurement, as the seed's downsampling jobs did.
	Rollups      bool     `yaml:"rollups"`
	Username     string   `yaml:"username"`
	Password     Secret   `yaml:"password"`
	PasswordFile string   `yaml:"password_file"`
	Token        Secret   `yaml:"token"`
	TokenFile    string   `yaml:"token_file"`
	BatchSize    int      `yaml:"batch_size"`
	Gzip         bool     `yaml:"gzip"`
	Timeout      Duration `yaml:"timeout"`
	// SpoolMaxBytes bounds the on-disk backlog; when full, the oldest
	// batches are dropped (counted and logged).
	SpoolMaxBytes int64 `yaml:"spool_max_bytes"`
}

// RemoteWrite is the Prometheus remote write 1.0 sink (Prometheus with
// --web.enable-remote-write-receiver, VictoriaMetrics, Mimir, Thanos): the
// same series as the embedded store, raw and rolled up.
type RemoteWrite struct {
	Enabled         bool   `yaml:"enabled"`
	URL             string `yaml:"url"`
	BearerToken     Secret `yaml:"bearer_token"`
	BearerTokenFile string `yaml:"bearer_token_file"`
	Username        string `yaml:"username"`
	Password        Secret `yaml:"password"`
	PasswordFile    string `yaml:"password_file"`
	// ExternalLabels are added to every series, as "name=value,name=value"
	// (Prometheus' external_labels), e.g. to tell several qmonits apart.
	ExternalLabels string   `yaml:"external_labels"`
	BatchSize      int      `yaml:"batch_size"`
	Timeout        Duration `yaml:"timeout"`
	SpoolMaxBytes  int64    `yaml:"spool_max_bytes"`
}

const day = 24 * time.Hour

// Default returns a new Config with every default filled in.
func Default() *Config {
	return &Config{
		Interval:    Duration(10 * time.Minute),
		VO:          "atlas",
		DataDir:     "data",
		Listen:      "127.0.0.1:8080",
		LogLevel:    "info",
		CycleOffset: Duration(30 * time.Second),
		StaleAfter:  Duration(24 * time.Hour),
		Sources: Sources{
			Panda: Panda{URL: "https://pandaserver.cern.ch:25443", HTTP: defaultHTTP()},
			CRIC: CRIC{
				PandaQueue:  endpoint("https://atlas-cric.cern.ch/api/atlas/pandaqueue/query/?json", 10*time.Minute),
				Site:        endpoint("https://atlas-cric.cern.ch/api/atlas/site/query/?json", time.Hour),
				DDMEndpoint: endpoint("https://atlas-cric.cern.ch/api/atlas/ddmendpoint/query/?json", time.Hour),
			},
			WLCG: WLCG{
				Federation: endpoint("https://wlcg-cric.cern.ch/api/core/federation/query/?json", time.Hour),
			},
			DataDisk: DataDisk{
				Enabled: true,
				URL:     "https://monit-grafana.cern.ch/api/datasources/proxy/9037/_msearch",
				Refresh: Duration(time.Hour),
				Index:   "monit_prod_rucioacc_enr_site*",
				HTTP:    defaultHTTP(),
			},
		},
		Notify: DefaultNotify(),
		Detect: DefaultDetect(),
		Sinks: Sinks{
			InfluxDB: InfluxDB{
				URL: "http://127.0.0.1:8086", Version: 1, Database: "qmonit",
				RetentionPolicy: "10m", RetentionPolicyHourly: "1h", RetentionPolicyDaily: "1d",
				Bucket: "10m", BucketHourly: "1h", BucketDaily: "1d", Rollups: true,
				BatchSize: 5000, Gzip: true, Timeout: Duration(30 * time.Second), SpoolMaxBytes: 1 << 30,
			},
			RemoteWrite: RemoteWrite{
				URL:       "http://127.0.0.1:9090/api/v1/write",
				BatchSize: 5000, Timeout: Duration(30 * time.Second), SpoolMaxBytes: 1 << 30,
			},
		},
		Storage: Storage{Retention: Retention{
			Raw:    Duration(35 * day),
			Hourly: Duration(400 * day),
			Daily:  Duration(3650 * day),
		}},
	}
}

func defaultHTTP() HTTP {
	return HTTP{
		Timeout:      Duration(30 * time.Second),
		MaxBodyBytes: 512 << 20,
		Retries:      3,
		RetryBackoff: Duration(time.Second),
	}
}

func endpoint(url string, refresh time.Duration) Endpoint {
	return Endpoint{URL: url, Refresh: Duration(refresh), HTTP: defaultHTTP()}
}

// EffectiveCycleTimeout returns CycleTimeout, or 0.8*Interval when it is 0.
func (c *Config) EffectiveCycleTimeout() time.Duration {
	if c.CycleTimeout > 0 {
		return time.Duration(c.CycleTimeout)
	}
	return time.Duration(c.Interval) / 10 * 8
}
