package uitest

import (
	"net/url"
	"testing"
	"time"
)

// BenchmarkTimeToFirstChart loads the Jobs Monitoring page of a demo over
// the default grid (1,000 queues, 7 days) with the browser's cache off and
// reports window.qmonitTiming.firstChartMs, the time from navigation start
// to the first chart drawn, measured in the browser.
//
// The server caches each answer until the next cycle, so each range is
// measured twice: "cached" reloads the preset view (?range=24h), as a
// second viewer of the same view sees it; "uncached" loads a custom range
// of the same length whose end moves back one step per iteration, so every
// load computes its answer, as the first viewer after a cycle sees it.
// The demo's backfill (minutes) is not timed. With $QMONIT_UI_URL set it
// measures that running qmonit instead.
//
//	go test -run '^$' -bench TimeToFirstChart -benchtime 5x -timeout 30m ./internal/uitest/
func BenchmarkTimeToFirstChart(b *testing.B) {
	br := newBrowser(b, browserOptions{Width: 1440, Height: 900, NoCache: true})
	base := existingOrDemo(b, defaultGrid)
	for _, r := range []struct {
		name        string
		span, shift time.Duration
	}{
		{"24h", 24 * time.Hour, 10 * time.Minute},
		{"7d", 7 * 24 * time.Hour, time.Hour},
	} {
		b.Run("range="+r.name+"/uncached", func(b *testing.B) {
			end := time.Now().Truncate(r.shift)
			k := 0
			benchFirstChart(b, func() string {
				k++
				to := end.Add(-time.Duration(k) * r.shift)
				q := url.Values{"from": {to.Add(-r.span).UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}
				return "/?" + q.Encode()
			}, br, base)
		})
		b.Run("range="+r.name+"/cached", func(b *testing.B) {
			path := "/?range=" + r.name
			b.Logf("first load of %s: first chart after %.0f ms", path, firstChartMs(b, br, base+path))
			benchFirstChart(b, func() string { return path }, br, base)
		})
	}
}

// benchFirstChart loads next() once per iteration and reports the mean
// time to first chart.
func benchFirstChart(b *testing.B, next func() string, br *browser, base string) {
	b.ReportAllocs()
	var total float64
	n := 0
	for b.Loop() {
		total += firstChartMs(b, br, base+next())
		n++
	}
	b.ReportMetric(total/float64(n), "ms/first-chart")
	b.Logf("%d loads, last %s: %s", n, next(), eval[string](b, br, `document.getElementById("range-note")?.textContent ?? ""`))
}
