// Package uitest holds the browser tests of qmonit's web UI (issue 4).
//
// The tests start `qmonit demo` in-process (app.Demo over the simulated grid
// with a few days of history), drive a headless Chromium through chromedp
// over the DevTools protocol, and check the DOM contract that internal/web
// promises: every page loads with no JavaScript error and no failed request
// and sets body[data-ready="1"], charts are drawn, tables have rows, filters
// and the time range change the data and the URL, and the queue named
// `<img src=x onerror=alert(1)>` stays inert text.
//
// The package has no code outside its tests. The browser is /usr/bin/chromium
// or $QMONIT_CHROMIUM; without one the tests skip, saying so (they fail
// under CI=true: the CI installs Chromium). With $QMONIT_ARTIFACTS set,
// TestUI writes a PNG of each page to $QMONIT_ARTIFACTS/screenshots/.
// TestScreenshots (run by scripts/screenshots.sh, `make screenshots`) writes
// the README's images, and BenchmarkTimeToFirstChart measures
// window.qmonitTiming.firstChartMs over the default grid; both start their
// own demo, or use the running qmonit at $QMONIT_UI_URL.
package uitest
