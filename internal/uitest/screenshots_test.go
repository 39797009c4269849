package uitest

import (
	"os"
	"testing"
)

// TestScreenshots writes a PNG of each page, as the README shows them, to
// $QMONIT_SCREENSHOTS (scripts/screenshots.sh, `make screenshots`). It runs
// a demo over the default grid (1,000 queues, 7 days) and takes the
// 1440x1400 viewport of each page ($QMONIT_UI_URL: of that running qmonit
// instead). Without $QMONIT_SCREENSHOTS it skips.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("QMONIT_SCREENSHOTS")
	if dir == "" {
		t.Skip("set QMONIT_SCREENSHOTS to a directory to write the README's screenshots (make screenshots)")
	}
	b := newBrowser(t, browserOptions{Width: 1440, Height: 1400, Required: true})
	base := existingOrDemo(t, defaultGrid)
	for _, p := range uiPages(busiestQueue(t, base)) {
		b.open(t, base+p.path)
		b.checkNoProblems(t, p.path)
		b.viewportShot(t, dir, p.name)
	}
}
