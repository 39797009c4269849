package remotewrite

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"
)

// To run these against local servers:
//
//	bash scripts/services-start.sh /tmp/rw-svc victoriametrics prometheus
//	set -a; . /tmp/rw-svc/services.env; set +a
//	go test -run Integration -v ./internal/store/remotewrite/
//	bash scripts/services-stop.sh --purge /tmp/rw-svc

func TestVictoriaMetricsIntegration(t *testing.T) {
	rw, base := os.Getenv("VM_REMOTE_WRITE_URL"), os.Getenv("VM_URL")
	if rw == "" || base == "" {
		t.Skip("VM_REMOTE_WRITE_URL and VM_URL not set; start VictoriaMetrics with scripts/services-start.sh and source its services.env")
	}
	runIntegration(t, rw, base, func() {
		// Buffered rows become searchable sooner; still polled below.
		if resp, err := http.Get(base + "/internal/force_flush"); err == nil {
			resp.Body.Close()
		}
	})
}

func TestPrometheusIntegration(t *testing.T) {
	rw, base := os.Getenv("PROM_REMOTE_WRITE_URL"), os.Getenv("PROM_URL")
	if rw == "" || base == "" {
		t.Skip("PROM_REMOTE_WRITE_URL and PROM_URL not set; start Prometheus (--web.enable-remote-write-receiver, out_of_order_time_window 24h) with scripts/services-start.sh and source its services.env")
	}
	runIntegration(t, rw, base, func() {})
}

// runIntegration writes 3 cycles of 100 points within the last hour, checks
// the per-cycle and total sample counts through PromQL, then writes one
// full-size cycle (25,000 points) to measure throughput. Every run uses its
// own workflow label, so reruns against the same server do not interfere.
func runIntegration(t *testing.T, rwURL, base string, flush func()) {
	const perCycle, cycles = 100, 3
	s, err := New(Options{URL: rwURL, Timeout: 30 * time.Second}, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := fmt.Sprintf("it-%d", time.Now().UnixNano())
	last := time.Now().Truncate(time.Minute).Add(-5 * time.Minute)

	var elapsed time.Duration
	for c := cycles - 1; c >= 0; c-- {
		batches := s.EncodePoints(synthPoints(perCycle, last.Add(-time.Duration(c)*10*time.Minute), run))
		start := time.Now()
		for _, b := range batches {
			if err := s.Send(ctx, b); err != nil {
				t.Fatalf("cycle %d: %v", c, err)
			}
		}
		elapsed += time.Since(start)
	}
	t.Logf("small cycles: %d samples in %s: %.0f samples/s", perCycle*cycles, elapsed, float64(perCycle*cycles)/elapsed.Seconds())

	sel := fmt.Sprintf(`qmonit_jobs{workflow=%q}`, run)
	waitFor(t, base, "count("+sel+")", last, perCycle, flush)
	waitFor(t, base, "sum(count_over_time("+sel+"[3h]))", last, perCycle*cycles, flush)
	// Values: jobs = index within the cycle, so the sum per cycle is 0+...+99.
	waitFor(t, base, "sum("+sel+")", last, perCycle*(perCycle-1)/2, flush)

	const load = 25000
	start := time.Now()
	batches := s.EncodePoints(synthPoints(load, last, run+"-load"))
	encoded := time.Since(start)
	bytes := 0
	for _, b := range batches {
		bytes += len(b)
		if err := s.Send(ctx, b); err != nil {
			t.Fatalf("load: %v", err)
		}
	}
	total := time.Since(start)
	t.Logf("full cycle: %d samples in %d batches (%d KiB snappy) encoded in %s, encoded+sent in %s: %.0f samples/s",
		load, len(batches), bytes>>10, encoded, total, load/total.Seconds())
	waitFor(t, base, fmt.Sprintf(`count(qmonit_jobs{workflow=%q})`, run+"-load"), last, load, flush)
}

// waitFor polls an instant query at time at until its single value is want.
func waitFor(t *testing.T, base, query string, at time.Time, want int, flush func()) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got string
	for {
		flush()
		var err error
		got, err = instant(base, query, at)
		if err != nil {
			t.Fatalf("query %s: %v", query, err)
		}
		if got == strconv.Itoa(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s at %s = %q, want %d", query, at.Format(time.RFC3339), got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// instant runs a PromQL instant query and returns the value of its only
// sample, or "" when the result is empty.
func instant(base, query string, at time.Time) (string, error) {
	q := url.Values{"query": {query}, "time": {strconv.FormatInt(at.Unix(), 10)}}
	resp, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return "", fmt.Errorf("decode %s: %w", resp.Status, err)
	}
	if r.Status != "success" {
		return "", fmt.Errorf("%s: %s", resp.Status, r.Error)
	}
	switch len(r.Data.Result) {
	case 0:
		return "", nil
	case 1:
		v, _ := r.Data.Result[0].Value[1].(string)
		return v, nil
	}
	return "", fmt.Errorf("%d results, want 1", len(r.Data.Result))
}
