package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/sim"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

func TestCheckConfigNeverShowsSecrets(t *testing.T) {
	const token, dsnPass, fileToken = "tok-ABC123-secret", "dsn-pass-XYZ", "file-token-QQQ"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(fileToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "qmonit.yaml")
	yaml := "sources:\n  datadisk:\n    bearer_token_file: token\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("QMONIT_SOURCES_PANDA_BEARER_TOKEN", token)
	t.Setenv("QMONIT_SNAPSHOT_DSN", "postgres://monitor:"+dsnPass+"@127.0.0.1:5432/monitor")
	var out, errb bytes.Buffer
	if code := run([]string{"check-config", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	all := out.String() + errb.String()
	for _, s := range []string{token, dsnPass, fileToken} {
		if strings.Contains(all, s) {
			t.Errorf("check-config output contains the secret %q", s)
		}
	}
	if !strings.Contains(out.String(), "<secret>") {
		t.Errorf("no redaction marker in output:\n%s", out.String())
	}
}

func TestCollectSecretsNotLogged(t *testing.T) {
	const token = "panda-token-SHOULD-NOT-LEAK"
	g := sim.New(sim.Options{Queues: 30, Now: func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }})
	g.SetFault(sim.PathPandaV1, sim.Fault{Status: 500, Body: "upstream says " + "nothing"})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	for _, line := range g.Env(srv.URL) {
		k, v, _ := strings.Cut(line, "=")
		t.Setenv(k, v)
	}
	t.Setenv("QMONIT_DATA_DIR", t.TempDir())
	t.Setenv("QMONIT_SOURCES_PANDA_RETRIES", "0")
	t.Setenv("QMONIT_SOURCES_PANDA_BEARER_TOKEN", token)
	t.Setenv("QMONIT_LOG_LEVEL", "debug")
	var out, errb bytes.Buffer
	code := run([]string{"collect", "--once"}, &out, &errb)
	if code != 1 || out.Len() != 0 {
		t.Fatalf("exit %d, %d bytes of points; want exit 1 and no points", code, out.Len())
	}
	last := strings.TrimSpace(errb.String())
	last = last[strings.LastIndex(last, "\n")+1:]
	if !strings.HasPrefix(last, "qmonit: ") || !strings.Contains(last, "panda") {
		t.Errorf("last line does not name the source: %q", last)
	}
	if strings.Contains(errb.String(), token) {
		t.Errorf("token leaked into logs:\n%s", errb.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"nope"}, {"collect"}, {"collect", "--once", "--output", "xml"}, {"collect", "--once", "--at", "yesterday"},
		{"sim", "--queues", "0"}, {"sim", "--incidents"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		if code == 0 {
			t.Errorf("run(%q) exit 0, want non-zero", args)
		}
	}
}

func TestSimIncidentsCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"sim", "--incidents", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-03T00:00:00Z"}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), `"kind"`) || !strings.Contains(out.String(), `"queues"`) {
		t.Fatalf("exit %d, out %s, err %s", code, out.String(), errb.String())
	}
}

func TestBacktestUsageErrors(t *testing.T) {
	const from, to = "2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z"
	for _, tt := range []struct {
		args []string
		flag string // named in the message
	}{
		{[]string{"backtest"}, "--from"},
		{[]string{"backtest", "--from", "yesterday", "--to", to}, "--from"},
		{[]string{"backtest", "--from", from}, "--to"},
		{[]string{"backtest", "--from", from, "--to", "2026-11-11"}, "--to"},
		{[]string{"backtest", "--from", to, "--to", from}, "--to"},
		{[]string{"backtest", "--from", from, "--to", "2028-01-01T00:00:00Z"}, "--to"},
		{[]string{"backtest", "--from", from, "--to", to, "--output", "xml"}, "--output"},
		{[]string{"backtest", "--from", from, "--to", to, "--bogus"}, "-bogus"},
		{[]string{"backtest", "--from", from, "--to", to, "extra"}, "extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(tt.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.flag) {
			t.Errorf("run(%q) = exit %d, stderr %q; want exit 2 naming %s", tt.args, code, errb.String(), tt.flag)
		}
	}
}

func TestBacktestCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("QMONIT_DATA_DIR", dir)
	args := []string{"backtest", "--from", "2026-11-10T00:00:00Z", "--to", "2026-11-11T00:00:00Z", "--output", "text"}
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no store at") {
		t.Errorf("without a store: exit %d, stderr %q; want 1 and \"no store at\"", code, errb.String())
	}
	store, err := tsdb.Open(filepath.Join(dir, "tsdb"), tsdb.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run(args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "running qmonit") {
		t.Errorf("store held: exit %d, stderr %q; want 1 and a message naming the running qmonit", code, errb.String())
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run(args, &out, &errb); code != 0 || !strings.Contains(out.String(), "0 incidents") {
		t.Errorf("empty store: exit %d, stdout %q, stderr %q; want 0 and \"0 incidents\"", code, out.String(), errb.String())
	}
}
