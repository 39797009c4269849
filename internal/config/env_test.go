package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEnvContract checks every environment name that is part of the public
// contract: changing one breaks deployments.
func TestEnvContract(t *testing.T) {
	for _, tt := range []struct {
		env, value string
		get        func(c *Config) any
		want       any
	}{
		{"QMONIT_INTERVAL", "5m", func(c *Config) any { return c.Interval }, Duration(5 * time.Minute)},
		{"QMONIT_VO", "cms", func(c *Config) any { return c.VO }, "cms"},
		{"QMONIT_DATA_DIR", "/var/lib/qmonit", func(c *Config) any { return c.DataDir }, "/var/lib/qmonit"},
		{"QMONIT_SOURCES_PANDA_URL", "https://panda.example:25443",
			func(c *Config) any { return c.Sources.Panda.URL }, "https://panda.example:25443"},
		{"QMONIT_SOURCES_CRIC_PANDAQUEUE_URL", "file:///tmp/pq.json",
			func(c *Config) any { return c.Sources.CRIC.PandaQueue.URL }, "file:///tmp/pq.json"},
		{"QMONIT_SOURCES_CRIC_SITE_URL", "file:///tmp/site.json",
			func(c *Config) any { return c.Sources.CRIC.Site.URL }, "file:///tmp/site.json"},
		{"QMONIT_SOURCES_CRIC_DDMENDPOINT_URL", "file:///tmp/ddm.json",
			func(c *Config) any { return c.Sources.CRIC.DDMEndpoint.URL }, "file:///tmp/ddm.json"},
		{"QMONIT_SOURCES_WLCG_FEDERATION_URL", "file:///tmp/fed.json",
			func(c *Config) any { return c.Sources.WLCG.Federation.URL }, "file:///tmp/fed.json"},
		{"QMONIT_SOURCES_DATADISK_URL", "http://127.0.0.1:9200/_msearch",
			func(c *Config) any { return c.Sources.DataDisk.URL }, "http://127.0.0.1:9200/_msearch"},
		{"QMONIT_SNAPSHOT_DSN", "postgres://u:pw@db/q",
			func(c *Config) any { return c.Snapshot.DSN.Reveal() }, "postgres://u:pw@db/q"},
		{"QMONIT_LISTEN", ":9090", func(c *Config) any { return c.Listen }, ":9090"},
		// Not in the written contract, but they show the generic mapping.
		{"QMONIT_SOURCES_PANDA_TIMEOUT", "1m",
			func(c *Config) any { return c.Sources.Panda.Timeout }, Duration(time.Minute)},
		{"QMONIT_SOURCES_DATADISK_ENABLED", "false",
			func(c *Config) any { return c.Sources.DataDisk.Enabled }, false},
		{"QMONIT_SOURCES_CRIC_SITE_RETRIES", "7",
			func(c *Config) any { return c.Sources.CRIC.Site.Retries }, 7},
		{"QMONIT_STORAGE_RETENTION_RAW", "30d",
			func(c *Config) any { return c.Storage.Retention.Raw }, Duration(30 * day)},
	} {
		t.Run(tt.env, func(t *testing.T) {
			if !slices.Contains(EnvNames(), tt.env) {
				t.Errorf("EnvNames() lacks %s", tt.env)
			}
			env := mapEnv(map[string]string{tt.env: tt.value})
			for _, path := range []string{"", writeConfig(t, "vo: lhcb\n")} {
				c, err := Load(path, env)
				if err != nil {
					t.Fatalf("Load(%q) = %v", path, err)
				}
				if got := tt.get(c); got != tt.want {
					t.Errorf("Load(%q): got %v, want %v", path, got, tt.want)
				}
			}
		})
	}
}

func TestEnvInvalid(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"duration", map[string]string{"QMONIT_INTERVAL": "x"},
			[]string{`QMONIT_INTERVAL: invalid duration "x"`}},
		{"empty duration", map[string]string{"QMONIT_STALE_AFTER": ""},
			[]string{`QMONIT_STALE_AFTER: invalid duration ""`}},
		{"integer", map[string]string{"QMONIT_SOURCES_PANDA_RETRIES": "3.5"},
			[]string{`QMONIT_SOURCES_PANDA_RETRIES: invalid integer "3.5"`}},
		{"boolean", map[string]string{"QMONIT_SOURCES_DATADISK_ENABLED": "yes please"},
			[]string{`QMONIT_SOURCES_DATADISK_ENABLED: invalid boolean "yes please"`}},
		{"all reported", map[string]string{"QMONIT_INTERVAL": "x", "QMONIT_CYCLE_OFFSET": "y"},
			[]string{"QMONIT_INTERVAL", "QMONIT_CYCLE_OFFSET"}},
		{"valid type, invalid value", map[string]string{"QMONIT_INTERVAL": "61m"},
			[]string{"interval: must be between 1m and 1h, got 1h1m"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", mapEnv(tt.env))
			if err == nil {
				t.Fatalf("Load() = nil error, want %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Load() error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	names := EnvNames()
	seen := make(map[string]bool)
	for _, n := range names {
		if seen[n] {
			t.Errorf("two keys map to %s", n)
		}
		seen[n] = true
		if !strings.HasPrefix(n, EnvPrefix) || strings.ToUpper(n) != n {
			t.Errorf("bad env name %q", n)
		}
	}
	if len(names) < 80 {
		t.Errorf("EnvNames() has %d names; want every scalar key", len(names))
	}
}

func TestUnknownEnv(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
		want []string
	}{
		{"none", nil, nil},
		{"known and foreign", []string{"QMONIT_VO=atlas", "HOME=/root", "XQMONIT_FOO=1"}, nil},
		{"typo", []string{"QMONIT_INTERVALL=5m", "QMONIT_VO=atlas"}, []string{"QMONIT_INTERVALL"}},
		{"value never returned", []string{"QMONIT_SNAPSHOT_PASSWORD=hunter2"}, []string{"QMONIT_SNAPSHOT_PASSWORD"}},
		{"no equals sign", []string{"QMONIT_ODD"}, []string{"QMONIT_ODD"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := UnknownEnv(tt.env); !slices.Equal(got, tt.want) {
				t.Errorf("UnknownEnv(%q) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}

func TestEnvEmptyString(t *testing.T) {
	// A set but empty string variable clears the key, as in the file.
	c, err := Load("", mapEnv(map[string]string{"QMONIT_SNAPSHOT_DSN": "", "QMONIT_SOURCES_PANDA_CA_DIR": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Snapshot.DSN != "" || c.Sources.Panda.CADir != "" {
		t.Errorf("got %q, %q; want empty", c.Snapshot.DSN.Reveal(), c.Sources.Panda.CADir)
	}
}
