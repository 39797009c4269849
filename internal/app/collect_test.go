package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/sim"
)

var simTime = time.Date(2026, 11, 20, 14, 7, 0, 0, time.UTC)

// simConfig starts a simulated grid and returns a config pointing at it,
// loaded the way `eval $(qmonit sim)` would: from its environment lines.
func simConfig(t testing.TB, queues int, extra map[string]string) (*sim.Grid, *config.Config) {
	t.Helper()
	g := sim.New(sim.Options{Seed: 1, Queues: queues, Now: func() time.Time { return simTime }})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	env := map[string]string{"QMONIT_DATA_DIR": t.TempDir()}
	for _, line := range g.Env(srv.URL) {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	for _, name := range []string{"PANDA", "CRIC_PANDAQUEUE", "CRIC_SITE", "CRIC_DDMENDPOINT", "WLCG_FEDERATION", "DATADISK"} {
		env["QMONIT_SOURCES_"+name+"_RETRIES"] = "0"
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return g, cfg
}

func collect(t testing.TB, cfg *config.Config, output string) (string, string, error) {
	t.Helper()
	var out, logs bytes.Buffer
	err := Collect(context.Background(), CollectOptions{
		Config: cfg, At: simTime, Output: output, Stdout: &out,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	return out.String(), logs.String(), err
}

type jsonPoint struct {
	Measurement string             `json:"measurement"`
	Time        string             `json:"time"`
	Tags        map[string]string  `json:"tags"`
	Fields      map[string]float64 `json:"fields"`
}

func TestCollectAgainstSimulatedGrid(t *testing.T) {
	_, cfg := simConfig(t, 1000, nil)
	out, logs, err := collect(t, cfg, "json")
	if err != nil {
		t.Fatalf("collect: %v\n%s", err, logs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 20000 {
		t.Fatalf("got %d points, want >= 20000", len(lines))
	}
	clouds := map[string]bool{}
	for i, line := range lines {
		var p jsonPoint
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		if p.Measurement != "jobs" || p.Time != "2026-11-20T14:00:00Z" || len(p.Tags) != 21 || len(p.Fields) != 4 {
			t.Fatalf("line %d malformed: %s", i, line)
		}
		clouds[p.Tags["cloud"]] = true
	}
	if len(clouds) < 10 {
		t.Errorf("only %d clouds joined: %v", len(clouds), clouds)
	}
	if !strings.Contains(logs, "queues without CRIC pandaqueue metadata") {
		t.Errorf("unknown queues not logged: %s", logs)
	}

	lp, _, err := collect(t, cfg, "lp")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(lp, "\n"); n != len(lines) {
		t.Errorf("lp has %d lines, json %d", n, len(lines))
	}
}

func TestCollectFailures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		faults  map[string]sim.Fault
		wantErr string
	}{
		{"PanDA 500", map[string]sim.Fault{sim.PathPandaV1: {Status: 500, Body: "boom"}}, `source "panda"`},
		{"PanDA HTML 200", map[string]sim.Fault{sim.PathPandaV1: {Body: "<html><body>Service unavailable</body></html>"}}, "HTML"},
		{"PanDA truncated", map[string]sim.Fault{sim.PathPandaV1: {Body: `{"success": true, "message": "", "data": {"Q": {"managed"`}}, `source "panda"`},
		{"PanDA success false", map[string]sim.Fault{sim.PathPandaV1: {Body: `{"success": false, "message": "Database failure getting the job statistics", "data": {}}`}}, "Database failure"},
		{"no pandaqueue metadata", map[string]sim.Fault{sim.PathPandaQueue: {Status: 503}}, "cric_pandaqueue"},
		{"pandaqueue dump empty object", map[string]sim.Fault{sim.PathPandaQueue: {Body: "{}"}}, "cric_pandaqueue"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, cfg := simConfig(t, 50, nil)
			for path, f := range tt.faults {
				g.SetFault(path, f)
			}
			out, _, err := collect(t, cfg, "json")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if out != "" {
				t.Errorf("points printed on failure: %d bytes", len(out))
			}
		})
	}
}

func TestCollectDegradedButUsable(t *testing.T) {
	t.Run("legacy fallback on 404", func(t *testing.T) {
		g, cfg := simConfig(t, 50, nil)
		g.SetFault(sim.PathPandaV1, sim.Fault{Status: 404, Body: "not found"})
		out, logs, err := collect(t, cfg, "json")
		if err != nil || out == "" || !strings.Contains(logs, "endpoint=legacy") {
			t.Fatalf("err = %v, %d bytes, logs %s", err, len(out), logs)
		}
	})
	t.Run("cached CRIC used when CRIC is down", func(t *testing.T) {
		g, cfg := simConfig(t, 50, nil)
		first, _, err := collect(t, cfg, "json")
		if err != nil {
			t.Fatal(err)
		}
		// An hour later every metadata source is down; the cached copies stay in use.
		simTime := simTime.Add(time.Hour)
		for _, p := range []string{sim.PathPandaQueue, sim.PathSite, sim.PathDDMEndpoint, sim.PathFederation, sim.PathMsearch} {
			g.SetFault(p, sim.Fault{Status: 503})
		}
		var out, logs bytes.Buffer
		err = Collect(context.Background(), CollectOptions{Config: cfg, At: simTime, Output: "json", Stdout: &out,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatalf("collect with cached catalog: %v", err)
		}
		if !strings.Contains(logs.String(), "using last good copy") || !strings.Contains(logs.String(), "age=1h") {
			t.Errorf("no stale-catalog warning naming the age:\n%s", logs.String())
		}
		joined := func(out string) int {
			return strings.Count(out, `"cloud":"`) - strings.Count(out, `"cloud":"No value"`)
		}
		if joined(first) == 0 || joined(out.String()) != joined(first) {
			t.Errorf("cached catalog not joined: %d points with a cloud, %d before", joined(out.String()), joined(first))
		}
	})
	t.Run("zero queues is a warning, not an error", func(t *testing.T) {
		g, cfg := simConfig(t, 50, nil)
		g.SetFault(sim.PathPandaV1, sim.Fault{Body: `{"success": true, "message": "", "data": {}}`})
		out, logs, err := collect(t, cfg, "json")
		if err != nil || out != "" || !strings.Contains(logs, "no usable entries") {
			t.Fatalf("err = %v, out %q, logs %s", err, out, logs)
		}
	})
	t.Run("bad records skipped, rest used", func(t *testing.T) {
		g, cfg := simConfig(t, 50, nil)
		g.SetFault(sim.PathPandaV1, sim.Fault{Body: `{"success": true, "message": "", "data": {"Q1": {"managed": {"SCORE": {"running": 3, "failed": -1, "finished": 1.5}}}, "Q2": []}}`})
		out, logs, err := collect(t, cfg, "json")
		if err != nil || strings.Count(out, "\n") != 1 || !strings.Contains(logs, "PanDA records skipped") || !strings.Contains(logs, "count=3") {
			t.Fatalf("err = %v, out %q, logs %s", err, out, logs)
		}
	})
}

// TestLineProtocolAcceptedByInfluxDBIntegration writes one cycle's
// line-protocol output to a real InfluxDB and counts the points back.
func TestLineProtocolAcceptedByInfluxDBIntegration(t *testing.T) {
	base := os.Getenv("INFLUX_URL")
	if base == "" {
		t.Skip("INFLUX_URL not set: start InfluxDB with scripts/services-start.sh DIR influxdb and source DIR/services.env")
	}
	_, cfg := simConfig(t, 1000, nil)
	lp, _, err := collect(t, cfg, "lp")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Count(lp, "\n")
	db := fmt.Sprintf("qmonit_lp_%d", time.Now().UnixNano())
	influxQuery(t, base, "", "CREATE DATABASE "+db)
	t.Cleanup(func() { influxQuery(t, base, "", "DROP DATABASE "+db) })

	resp, err := http.Post(base+"/write?precision=ns&db="+db, "text/plain", strings.NewReader(lp))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("InfluxDB rejected the line protocol: %s: %s", resp.Status, body)
	}
	got := influxQuery(t, base, db, `SELECT count("jobs") FROM "jobs"`)
	if !strings.Contains(got, fmt.Sprintf(",%d]", want)) {
		t.Fatalf("InfluxDB holds %s, want %d points", got, want)
	}
	// Hostile names survive the round trip as written.
	for _, q := range []string{"TEST_Zürich queue", "<img src=x onerror=alert(1)>"} {
		res := influxQuery(t, base, db, `SHOW TAG VALUES FROM "jobs" WITH KEY = "panda_queue" WHERE "panda_queue" = '`+q+`'`)
		if !strings.Contains(res, strings.ReplaceAll(strings.ReplaceAll(q, "<", `\u003c`), ">", `\u003e`)) && !strings.Contains(res, q) {
			t.Errorf("queue %q not found in InfluxDB: %s", q, res)
		}
	}
	t.Logf("InfluxDB accepted %d points", want)
}

func influxQuery(t testing.TB, base, db, q string) string {
	t.Helper()
	v := url.Values{"q": {q}}
	if db != "" {
		v.Set("db", db)
	}
	resp, err := http.PostForm(base+"/query", v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, bufio.NewReader(resp.Body)); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || strings.Contains(b.String(), `"error"`) {
		t.Fatalf("influx %q: %s %s", q, resp.Status, b.String())
	}
	return b.String()
}
