package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const examplePath = "../../deploy/qmonit.example.yaml"

// writeConfig writes body as a config file in a new temp dir and returns its path.
func writeConfig(t testing.TB, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qmonit.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mapEnv returns a lookup function over m, as Load expects.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"interval", c.Interval, Duration(10 * time.Minute)},
		{"vo", c.VO, "atlas"},
		{"data_dir", c.DataDir, "data"},
		{"listen", c.Listen, "127.0.0.1:8080"},
		{"cycle_offset", c.CycleOffset, Duration(30 * time.Second)},
		{"effective cycle_timeout", c.EffectiveCycleTimeout(), 8 * time.Minute},
		{"panda timeout", c.Sources.Panda.Timeout, Duration(30 * time.Second)},
		{"panda max_body_bytes", c.Sources.Panda.MaxBodyBytes, int64(512 << 20)},
		{"pandaqueue refresh", c.Sources.CRIC.PandaQueue.Refresh, Duration(10 * time.Minute)},
		{"federation url", c.Sources.WLCG.Federation.URL, "https://wlcg-cric.cern.ch/api/core/federation/query/?json"},
		{"datadisk enabled", c.Sources.DataDisk.Enabled, true},
		{"datadisk index", c.Sources.DataDisk.Index, "monit_prod_rucioacc_enr_site*"},
		{"retention daily", c.Storage.Retention.Daily, Duration(3650 * 24 * time.Hour)},
		{"snapshot dsn", c.Snapshot.DSN, Secret("")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	t.Run("fresh copy", func(t *testing.T) {
		Default().VO = "changed"
		if Default().VO != "atlas" {
			t.Error("Default() shares state between calls")
		}
	})
}

// TestLoadExample checks that deploy/qmonit.example.yaml loads to Default().
// The only difference is data_dir, which resolves against deploy/.
func TestLoadExample(t *testing.T) {
	got, err := Load(examplePath, nil)
	if err != nil {
		t.Fatalf("Load(example) = %v", err)
	}
	dir, err := filepath.Abs(filepath.Dir(examplePath))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DataDir = filepath.Join(dir, "data")
	if !reflect.DeepEqual(got, want) {
		gy, _ := got.Redacted()
		wy, _ := want.Redacted()
		t.Errorf("example differs from Default():\n--- got\n%s\n--- want\n%s", gy, wy)
	}
}

// TestExampleListsEveryKey keeps the example complete: a new key must be
// documented there.
func TestExampleListsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	idx := newKeyIndex(&root)
	var written []string
	for _, keys := range idx.byKeyLine {
		written = append(written, keys...)
	}
	for _, l := range Default().leaves() {
		if !slices.Contains(written, l.key()) {
			t.Errorf("example lacks key %s", l.key())
		}
	}
}

// loadCase is a config file body and what Load must say about it. Fuzzing
// reuses the bodies as seeds.
type loadCase struct {
	name    string
	body    string
	wantErr []string // substrings of the error; none means success
	check   func(t *testing.T, c *Config)
}

func loadCases() []loadCase {
	return []loadCase{
		{name: "empty file", body: ""},
		{name: "only comments", body: "# nothing\n"},
		{name: "null values keep defaults", body: "vo:\ninterval: ~\nsources:\n",
			check: func(t *testing.T, c *Config) {
				if c.VO != "atlas" || c.Interval != Duration(10*time.Minute) {
					t.Errorf("vo, interval = %q, %s; want defaults", c.VO, c.Interval)
				}
			}},
		{name: "overrides", body: "interval: 5m\nvo: cms\nsources:\n  panda:\n    retries: 0\n",
			check: func(t *testing.T, c *Config) {
				if c.Interval != Duration(5*time.Minute) || c.VO != "cms" || c.Sources.Panda.Retries != 0 {
					t.Errorf("got %s %q %d", c.Interval, c.VO, c.Sources.Panda.Retries)
				}
				if c.Sources.Panda.Timeout != Duration(30*time.Second) {
					t.Errorf("sibling default lost: timeout = %s", c.Sources.Panda.Timeout)
				}
			}},
		{name: "days", body: "stale_after: 1d12h\nstorage:\n  retention: {raw: 30d}\n",
			check: func(t *testing.T, c *Config) {
				if c.StaleAfter != Duration(36*time.Hour) || c.Storage.Retention.Raw != Duration(30*day) {
					t.Errorf("got %s, %s", c.StaleAfter, c.Storage.Retention.Raw)
				}
			}},
		{name: "unknown top-level key", body: "interval: 10m\nintervall: 5m\n",
			wantErr: []string{"line 2: intervall: unknown key"}},
		{name: "unknown nested key", body: "sources:\n  panda:\n    timout: 5s\n",
			wantErr: []string{"line 3: sources.panda.timout: unknown key"}},
		{name: "two unknown keys", body: "sources:\n  cric:\n    site: {foo: 1}\n  bar: 2\n",
			wantErr: []string{"line 3: sources.cric.site.foo: unknown key", "line 4: sources.bar: unknown key"}},
		{name: "wrong type int", body: "sources:\n  panda:\n    retries: many\n",
			wantErr: []string{"line 3: sources.panda.retries: cannot unmarshal !!str `many`"}},
		{name: "wrong type bool", body: "sources:\n  datadisk:\n    enabled: maybe\n",
			wantErr: []string{"line 3: sources.datadisk.enabled:"}},
		{name: "mapping for scalar", body: "vo:\n  name: atlas\n",
			wantErr: []string{"line 2: vo: cannot unmarshal !!map"}},
		{name: "scalar for mapping", body: "sources: 5\n",
			wantErr: []string{"line 1: sources: cannot unmarshal !!int"}},
		{name: "bad duration", body: "interval: soon\n",
			wantErr: []string{`line 1: interval: invalid duration "soon"`}},
		{name: "sequence for duration", body: "interval: [1m]\n",
			wantErr: []string{"line 1: interval: want a duration"}},
		{name: "number without unit", body: "interval: 600\n",
			wantErr: []string{`interval: invalid duration "600"`}},
		{name: "two documents", body: "vo: atlas\n---\nvo: cms\n",
			wantErr: []string{"line 2: a second YAML document"}},
		{name: "duplicate key", body: "vo: atlas\nvo: cms\n",
			wantErr: []string{"line 2: vo: key already defined at line 1"}},
		{name: "duplicate nested key", body: "sources:\n  panda: {url: 'http://a', url: 'http://b'}\n",
			wantErr: []string{"line 2: sources.panda.url: key already defined at line 2"}},
		{name: "syntax error", body: "vo: [atlas\n", wantErr: []string{"yaml:"}},
		{name: "top level sequence", body: "- 1\n", wantErr: []string{"cannot unmarshal !!seq"}},
		{name: "invalid value", body: "interval: 59s\n",
			wantErr: []string{"interval: must be between 1m and 1h, got 59s"}},
	}
}

func TestLoadFile(t *testing.T) {
	for _, tt := range loadCases() {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.body), nil)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load() = %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load() = nil error, want %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Load() error\n%v\nlacks %q", err, want)
				}
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.yaml")
		_, err := Load(missing, nil)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("Load() = %v, want error naming %q", err, missing)
		}
	})
	t.Run("too large", func(t *testing.T) {
		body := "# " + strings.Repeat("x", MaxFileBytes) + "\n"
		_, err := Load(writeConfig(t, body), nil)
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("Load() = %v, want size error", err)
		}
	})
	t.Run("many problems are capped", func(t *testing.T) {
		var b strings.Builder
		for i := range 200 {
			fmt.Fprintf(&b, "k%d: 1\n", i)
		}
		_, err := Load(writeConfig(t, b.String()), nil)
		if err == nil || !strings.Contains(err.Error(), "and 180 more errors") ||
			strings.Count(err.Error(), "\n") != maxErrors {
			t.Errorf("Load() = %v, want %d errors and a count of the rest", err, maxErrors)
		}
	})
	t.Run("huge mapping", func(t *testing.T) {
		// yaml.v3 compares every pair of keys; 50000 would take seconds.
		body := "sources:\n" + strings.Repeat("  vo: x\n", 50000)
		_, err := Load(writeConfig(t, body), nil)
		want := "line 2: sources: 50000 keys in one mapping; at most 256"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load() = %v, want %q", err, want)
		}
	})
	t.Run("no file: defaults", func(t *testing.T) {
		c, err := Load("", nil)
		if err != nil || !reflect.DeepEqual(c, Default()) {
			t.Errorf("Load(\"\") = %+v, %v; want Default()", c, err)
		}
	})
}

func TestRelativePaths(t *testing.T) {
	body := `data_dir: var/data
sources:
  panda:
    cert_file: certs/usercert.pem
    key_file: /abs/userkey.pem
    ca_dir: ../grid-security/certificates
  datadisk:
    proxy_file: x509up
`
	path := writeConfig(t, body)
	dir := filepath.Dir(path)

	t.Run("from file", func(t *testing.T) {
		c, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ key, got, want string }{
			{"data_dir", c.DataDir, filepath.Join(dir, "var/data")},
			{"cert_file", c.Sources.Panda.CertFile, filepath.Join(dir, "certs/usercert.pem")},
			{"key_file", c.Sources.Panda.KeyFile, "/abs/userkey.pem"},
			{"ca_dir", c.Sources.Panda.CADir, filepath.Join(filepath.Dir(dir), "grid-security/certificates")},
			{"proxy_file", c.Sources.DataDisk.ProxyFile, filepath.Join(dir, "x509up")},
			{"unset stays empty", c.Sources.Panda.CAFile, ""},
		} {
			if tt.got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, tt.got, tt.want)
			}
		}
	})
	t.Run("default data_dir next to file", func(t *testing.T) {
		c, err := Load(writeConfig(t, ""), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(c.DataDir) || filepath.Base(c.DataDir) != "data" {
			t.Errorf("data_dir = %q, want absolute .../data", c.DataDir)
		}
	})
	t.Run("env stays relative to cwd", func(t *testing.T) {
		c, err := Load(path, mapEnv(map[string]string{"QMONIT_DATA_DIR": "rel"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.DataDir != "rel" {
			t.Errorf("data_dir = %q, want %q", c.DataDir, "rel")
		}
	})
	t.Run("no file: untouched", func(t *testing.T) {
		c, err := Load("", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.DataDir != "data" {
			t.Errorf("data_dir = %q, want %q", c.DataDir, "data")
		}
	})
}

// TestSchemaConventions guards what the generic code relies on.
func TestSchemaConventions(t *testing.T) {
	var check func(t *testing.T, typ reflect.Type)
	check = func(t *testing.T, typ reflect.Type) {
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			if f.Tag.Get("yaml") == "" {
				t.Errorf("%s.%s has no yaml tag", typ.Name(), f.Name)
			}
			if f.Type.Kind() == reflect.Struct {
				check(t, f.Type)
			}
		}
	}
	check(t, reflect.TypeFor[Config]())

	for _, l := range Default().leaves() {
		if err := setText(reflect.New(l.value.Type()).Elem(), ""); err != nil && strings.HasPrefix(err.Error(), "BUG") {
			t.Errorf("%s: %v", l.key(), err)
		}
	}
}
