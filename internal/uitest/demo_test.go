package uitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/app"
	"github.com/qmonit/qmonit/internal/point"
)

// xssQueue is the simulated grid's queue whose name is an HTML payload
// (internal/sim/queues.go, oddities).
const xssQueue = "<img src=x onerror=alert(1)>"

// demoGrid sizes the simulated grid behind a test's qmonit.
type demoGrid struct {
	Days, Queues int
	// Wait bounds the backfill: the default grid takes minutes on a
	// loaded 2-core machine.
	Wait time.Duration
}

// Grids used by the tests: a small one for the functional tests (about 40 s
// of backfill under -race), and the default one of `qmonit demo` for the
// benchmark and the README's images.
var (
	smallGrid   = demoGrid{Days: 3, Queues: 30, Wait: 5 * time.Minute}
	defaultGrid = demoGrid{Days: 7, Queues: 1000, Wait: 20 * time.Minute}
)

// uiURLEnv names a running qmonit that the benchmark and the screenshots
// may use instead of starting a demo over the default grid.
const uiURLEnv = "QMONIT_UI_URL"

// existingOrDemo returns $QMONIT_UI_URL when set (after checking that it is
// ready), else starts a demo over g.
func existingOrDemo(tb testing.TB, g demoGrid) string {
	tb.Helper()
	base := strings.TrimSuffix(os.Getenv(uiURLEnv), "/")
	if base == "" {
		return startDemo(tb, g)
	}
	resp, err := http.Get(base + "/-/ready")
	if err != nil {
		tb.Fatalf("%s=%s: %v", uiURLEnv, base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s=%s: /-/ready answers %s", uiURLEnv, base, resp.Status)
	}
	tb.Logf("using the running qmonit at %s (%s)", base, uiURLEnv)
	return base
}

// startDemo runs `qmonit demo` in-process over the grid and returns its base
// URL once it is ready (history backfilled). It stops when the test ends.
func startDemo(tb testing.TB, g demoGrid) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(tb.Context())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	began := time.Now()
	dataDir := tb.TempDir() // before the cleanup below, so removed after it
	go func() {
		done <- app.Demo(ctx, app.DemoOptions{
			Listen: "127.0.0.1:0", DataDir: dataDir, Days: g.Days, Queues: g.Queues, Seed: 1,
			Logger: slog.New(slog.DiscardHandler),
			Ready:  func(u string) { ready <- u },
		})
	}()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("demo shutdown: %v", err)
		}
	})
	select {
	case base := <-ready:
		tb.Logf("qmonit demo (%d days, %d queues) ready at %s in %v", g.Days, g.Queues, base, time.Since(began).Round(time.Millisecond))
		return base
	case err := <-done:
		done <- err // for the cleanup
		tb.Fatalf("demo stopped before it was ready: %v", err)
	case <-time.After(g.Wait):
		tb.Fatalf("demo (%d days, %d queues) not ready within %v", g.Days, g.Queues, g.Wait)
	}
	return ""
}

// busiestQueue asks qmonit's Prometheus API for the queue with the most
// jobs now, so the queue page test uses a queue that has data.
func busiestQueue(tb testing.TB, base string) string {
	tb.Helper()
	q := fmt.Sprintf(`topk(1, sum by (%[1]s) (qmonit_jobs{%[1]s!=%[2]q}))`, point.TagQueue, xssQueue)
	u := base + "/api/v1/query?" + url.Values{"query": {q}}.Encode()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatalf("query busiest queue: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("query busiest queue: status %d, %v: %s", resp.StatusCode, err, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		tb.Fatalf("decode %s: %v", u, err)
	}
	if len(r.Data.Result) == 0 || r.Data.Result[0].Metric[point.TagQueue] == "" {
		tb.Fatalf("%s: no queue in the answer: %s", q, body)
	}
	return r.Data.Result[0].Metric[point.TagQueue]
}

// queueURL is the queue page of name.
func queueURL(base, name string) string {
	return fmt.Sprintf("%s/queue/%s", base, url.PathEscape(name))
}
