package influx

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestInfluxDBIntegration writes to a real InfluxDB 1.x given by INFLUX_URL,
// e.g. after scripts/services-start.sh: it creates a scratch database and
// drops it afterwards.
func TestInfluxDBIntegration(t *testing.T) {
	base := os.Getenv("INFLUX_URL")
	if base == "" {
		t.Skip("INFLUX_URL not set; start InfluxDB with scripts/services-start.sh DIR influxdb and source DIR/services.env")
	}
	if testing.Short() {
		t.Skip("integration test skipped under -short")
	}
	db := fmt.Sprintf("qmonit_it_%d", time.Now().UnixNano())
	influxQL(t, base, "", "CREATE DATABASE "+db)
	t.Cleanup(func() { influxQL(t, base, "", "DROP DATABASE "+db) })

	s := newSink(t, Options{URL: base, Database: db, BatchSize: 20, Spool: openSpool(t, t.TempDir())})
	cycle := func(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Minute) }
	for i := range 3 {
		if err := s.Write(t.Context(), synthPoints(50, cycle(i))); err != nil {
			t.Fatalf("cycle %d: Write() = %v", i, err)
		}
	}
	if got := countJobs(t, base, db); got != 150 {
		t.Fatalf("count after 3 cycles = %d; want 150", got)
	}
	// A retried cycle overwrites the same series and timestamps.
	if err := s.Write(t.Context(), synthPoints(50, cycle(1))); err != nil {
		t.Fatalf("rewrite: Write() = %v", err)
	}
	if got := countJobs(t, base, db); got != 150 {
		t.Fatalf("count after rewriting cycle 1 = %d; want 150 (idempotent)", got)
	}

	// Throughput of one full-size cycle with the default batch size.
	big := newSink(t, Options{URL: base, Database: db, Spool: openSpool(t, t.TempDir())})
	pts := synthPoints(25000, cycle(3))
	for _, run := range []string{"new series", "same cycle again"} {
		start := time.Now()
		if err := big.Write(t.Context(), pts); err != nil {
			t.Fatalf("25k cycle (%s): Write() = %v", run, err)
		}
		d := time.Since(start)
		t.Logf("%s: wrote %d points in %v: %.0f points/s (encode + spool + gzip + HTTP)",
			run, len(pts), d.Round(time.Millisecond), float64(len(pts))/d.Seconds())
	}
	if got := countJobs(t, base, db); got != 150+25000 {
		t.Fatalf("count after the 25k cycle = %d; want %d", got, 150+25000)
	}
}

// influxQL runs q and fails t on an HTTP or statement error.
func influxQL(t *testing.T, base, db, q string) json.RawMessage {
	t.Helper()
	form := url.Values{"q": {q}}
	if db != "" {
		form.Set("db", db)
	}
	resp, err := http.Post(base+"/query", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Error  string
			Series json.RawMessage
		}
		Error string
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Error != "" {
		t.Fatalf("query %q: status %d, error %q, decode %v", q, resp.StatusCode, out.Error, err)
	}
	for _, r := range out.Results {
		if r.Error != "" {
			t.Fatalf("query %q: %s", q, r.Error)
		}
	}
	raw, _ := json.Marshal(out.Results)
	return raw
}

// countJobs returns SELECT count("jobs") FROM "jobs".
func countJobs(t *testing.T, base, db string) int64 {
	t.Helper()
	raw := influxQL(t, base, db, `SELECT count("jobs") FROM "jobs"`)
	var res []struct {
		Series []struct{ Values [][]json.RawMessage }
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("decode count: %v", err)
	}
	if len(res) == 0 || len(res[0].Series) == 0 || len(res[0].Series[0].Values) == 0 {
		return 0
	}
	var n int64
	if err := json.Unmarshal(res[0].Series[0].Values[0][1], &n); err != nil {
		t.Fatalf("decode count %s: %v", res[0].Series[0].Values[0][1], err)
	}
	return n
}
