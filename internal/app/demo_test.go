package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDemoBackfillsAndServes runs `qmonit demo` for a small grid and one day:
// it must become ready with history in the store (raw, rollups, datadisks).
func TestDemoBackfillsAndServes(t *testing.T) {
	if testing.Short() {
		t.Skip("backfills a day of history")
	}
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	var progress strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- Demo(ctx, DemoOptions{
			Listen: "127.0.0.1:0", DataDir: t.TempDir(), Days: 1, Queues: 40, Seed: 3,
			Stderr: &progress, Logger: slog.New(slog.DiscardHandler),
			Ready: func(u string) { ready <- u },
		})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("demo stopped before ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("demo not ready within 2 minutes")
	}
	for _, q := range []string{
		`count(count_over_time(qmonit_jobs[1d]))`,
		`count(qmonit_jobs:1h)`,
		`count(count_over_time(qmonit_datadisk_bytes[1d]))`,
		`count(qmonit_queue_info)`,
	} {
		if n := instantCount(t, base, q); n == 0 {
			t.Errorf("%s: no data after the backfill", q)
		}
	}
	if !strings.Contains(progress.String(), "144/144 cycles (100%)") {
		t.Errorf("progress bar did not reach 144/144: %q", progress.String())
	}
	resp, err := http.Get(base + "/-/ready")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/-/ready: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo shutdown: %v", err)
	}
}

func instantCount(t *testing.T, base, q string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?" + url.Values{"query": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%s: %v: %s", q, err, body)
	}
	if len(r.Data.Result) == 0 {
		return 0
	}
	var n float64
	if s, ok := r.Data.Result[0].Value[1].(string); ok {
		if err := json.Unmarshal([]byte(s), &n); err != nil {
			t.Fatal(err)
		}
	}
	return int(n)
}
