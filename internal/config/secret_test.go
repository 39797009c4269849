package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Known secret values; no output may contain them.
const (
	inlineToken = "inline-token-3f9a"
	envToken    = "env-token-77c1"
	fileToken   = "file-token-a0b2"
	dsnPassword = "pw-Secr3t-DSN"
)

// secretConfig loads a config holding every kind of secret source.
func secretConfig(t *testing.T) *Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(fileToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := `sources:
  panda:
    bearer_token: ` + inlineToken + `
  datadisk:
    bearer_token_file: token
`
	path := filepath.Join(dir, "qmonit.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, mapEnv(map[string]string{
		"QMONIT_SOURCES_CRIC_SITE_BEARER_TOKEN": envToken,
		"QMONIT_SNAPSHOT_DSN":                   "postgres://qmonit:" + dsnPassword + "@db.example.org/qmonit",
	}))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	return c
}

func TestSecretSources(t *testing.T) {
	c := secretConfig(t)
	for _, tt := range []struct {
		name string
		got  Secret
		want string
	}{
		{"inline", c.Sources.Panda.BearerToken, inlineToken},
		{"env", c.Sources.CRIC.Site.BearerToken, envToken},
		{"file, trailing newline trimmed", c.Sources.DataDisk.BearerToken, fileToken},
		{"dsn from env", c.Snapshot.DSN, "postgres://qmonit:" + dsnPassword + "@db.example.org/qmonit"},
		{"unset", c.Sources.WLCG.Federation.BearerToken, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.Reveal() != tt.want {
				t.Errorf("Reveal() = %q, want %q", tt.got.Reveal(), tt.want)
			}
		})
	}
	t.Run("revalidate after load", func(t *testing.T) {
		if err := c.Validate(); err != nil {
			t.Errorf("Validate() = %v", err)
		}
	})
}

func TestSecretNeverPrinted(t *testing.T) {
	c := secretConfig(t)
	for _, tt := range []struct {
		name string
		out  func() (string, error)
	}{
		{"Redacted", func() (string, error) { b, err := c.Redacted(); return string(b), err }},
		{"fmt %v", func() (string, error) { return fmt.Sprintf("%v", c), nil }},
		{"fmt %+v", func() (string, error) { return fmt.Sprintf("%+v", *c), nil }},
		{"fmt %#v", func() (string, error) { return fmt.Sprintf("%#v", *c), nil }},
		{"fmt %s %q %x of a Secret", func() (string, error) {
			s := c.Sources.Panda.BearerToken
			return fmt.Sprintf("%s %q %x %X %d %10s", s, s, s, s, s, s), nil
		}},
		{"json.Marshal", func() (string, error) { b, err := json.Marshal(c); return string(b), err }},
		{"slog JSON handler", func() (string, error) { return logLine(slog.NewJSONHandler, c), nil }},
		{"slog text handler", func() (string, error) { return logLine(slog.NewTextHandler, c), nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.out()
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{inlineToken, envToken, fileToken, dsnPassword} {
				if strings.Contains(out, secret) {
					t.Errorf("output contains secret %q:\n%s", secret, out)
				}
			}
			// encoding/json escapes '<' and '>'.
			if !strings.Contains(out, Redaction) && !strings.Contains(out, `\u003csecret\u003e`) {
				t.Errorf("output lacks %q:\n%s", Redaction, out)
			}
		})
	}
}

func logLine[H slog.Handler](newHandler func(w io.Writer, o *slog.HandlerOptions) H, c *Config) string {
	var buf bytes.Buffer
	logger := slog.New(newHandler(&buf, nil))
	logger.Info("effective config", "config", c, "token", c.Sources.Panda.BearerToken,
		slog.Group("snapshot", "dsn", c.Snapshot.DSN))
	return buf.String()
}

func TestSecretEmpty(t *testing.T) {
	var s Secret
	for _, tt := range []struct{ name, got string }{
		{"String", s.String()},
		{"fmt %v", fmt.Sprintf("%v", s)},
		{"LogValue", s.LogValue().String()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != "" {
				t.Errorf("got %q, want empty: an unset secret shows as unset", tt.got)
			}
		})
	}
}

func TestSecretFileErrors(t *testing.T) {
	const content = "content-must-not-leak"
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat(content, MaxSecretBytes/len(content)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, env, file string
		wantErr         []string
	}{
		{"missing", "QMONIT_SOURCES_PANDA_BEARER_TOKEN_FILE", filepath.Join(dir, "nope"),
			[]string{"sources.panda.bearer_token_file:", "nope", "no such file"}},
		{"directory", "QMONIT_SNAPSHOT_DSN_FILE", dir,
			[]string{"snapshot.dsn_file:", "not a regular file"}},
		{"too large", "QMONIT_SOURCES_CRIC_SITE_BEARER_TOKEN_FILE", big,
			[]string{"sources.cric.site.bearer_token_file:", "larger than"}},
		{"empty", "QMONIT_SNAPSHOT_DSN_FILE", empty, []string{"snapshot.dsn_file:", "is empty"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", mapEnv(map[string]string{tt.env: tt.file}))
			if err == nil {
				t.Fatal("Load() = nil error")
			}
			for _, want := range append(tt.wantErr, tt.file) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), content) {
				t.Errorf("error %q leaks the file content", err)
			}
		})
	}
	t.Run("both set", func(t *testing.T) {
		_, err := Load("", mapEnv(map[string]string{
			"QMONIT_SOURCES_PANDA_BEARER_TOKEN":      inlineToken,
			"QMONIT_SOURCES_PANDA_BEARER_TOKEN_FILE": good,
		}))
		want := "sources.panda.bearer_token: set bearer_token or bearer_token_file, not both"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Load() = %v, want %q", err, want)
		}
		if strings.Contains(err.Error(), inlineToken) || strings.Contains(err.Error(), content) {
			t.Errorf("error %q leaks a secret", err)
		}
	})
}
