package uitest

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// uiPage is one page of the UI and the parts of the DOM contract it promises.
type uiPage struct {
	name   string // screenshot file name
	path   string // path and query, from the base URL
	charts []string
	tables []string
	// empty lists tables allowed to have no data rows: a quiet grid can
	// have no incident and no series past the default thresholds (the
	// suspicious-links test lowers them to 0 and needs rows).
	empty []string
}

// uiPages are the four pages; queue is a real queue of the grid.
func uiPages(queue string) []uiPage {
	return []uiPage{
		{name: "jobs", path: "/", charts: []string{"chart-jobs", "chart-cores"}, tables: []string{"table-current"}},
		{name: "suspicious", path: "/suspicious", tables: []string{"table-suspicious", "table-incidents"}, empty: []string{"table-suspicious", "table-incidents"}},
		{name: "daod", path: "/daod", charts: []string{"chart-daod"}, tables: []string{"table-daod", "table-mismatch"}},
		{name: "queue", path: "/queue/" + url.PathEscape(queue), charts: []string{"chart-queue"}, tables: []string{"table-attrs", "table-averages"}},
	}
}

// artifactsDir is where TestUI writes its screenshots: the CI keeps
// $QMONIT_ARTIFACTS; "" means none.
func artifactsDir() string {
	if d := os.Getenv("QMONIT_ARTIFACTS"); d != "" {
		return filepath.Join(d, "screenshots")
	}
	return ""
}

// TestUI drives every page of qmonit's UI in headless Chromium against a
// demo over a small simulated grid with three days of history.
func TestUI(t *testing.T) {
	b := newBrowser(t, browserOptions{Width: 1440, Height: 900}) // skips without Chromium
	base := startDemo(t, smallGrid)
	queue := busiestQueue(t, base)
	shots := artifactsDir()

	t.Run("pages", func(t *testing.T) {
		for _, p := range uiPages(queue) {
			t.Run(p.name, func(t *testing.T) {
				checkPage(t, b, base, p)
				b.screenshot(t, shots, p.name)
			})
		}
	})
	t.Run("jobs-controls", func(t *testing.T) { checkJobsControls(t, b, base) })
	t.Run("suspicious-links", func(t *testing.T) { checkSuspiciousLinks(t, b, base) })
	t.Run("queue-name", func(t *testing.T) {
		b.open(t, queueURL(base, queue))
		if got := eval[string](t, b, `document.getElementById("queue-name")?.textContent.trim() ?? "(no h1#queue-name)"`); got != queue {
			t.Errorf("h1#queue-name = %q, want %q", got, queue)
		}
		b.checkNoProblems(t, "queue page")
	})
	t.Run("filter-range-url", func(t *testing.T) { checkFilterAndRange(t, b, base) })
	t.Run("xss", func(t *testing.T) { checkXSS(t, b, base) })
	t.Run("time-to-first-chart", func(t *testing.T) {
		for _, r := range []string{"24h", "7d"} {
			ms := firstChartMs(t, b, base+"/?range="+r)
			t.Logf("time to first chart, range=%s, %d queues x %d days: %.0f ms", r, smallGrid.Queues, smallGrid.Days, ms)
		}
	})
}

// checkPage loads one page and checks what every page promises: ready, no
// error, the navigation, the freshness banner, drawn charts and filled
// tables.
func checkPage(t *testing.T, b *browser, base string, p uiPage) {
	b.open(t, base+p.path)
	b.checkNoProblems(t, p.path+" load")

	links := evalJSON[[]string](t, b, `[...document.querySelectorAll("nav a[href]")].map(a => new URL(a.href).pathname)`)
	for _, want := range []string{"/", "/suspicious", "/daod"} {
		if !slices.Contains(links, want) {
			t.Errorf("%s: <nav> has no link to %s (links: %q)", p.path, want, links)
		}
	}
	state := eval[string](t, b, `document.getElementById("freshness")?.dataset.state ?? "(no #freshness)"`)
	if !slices.Contains([]string{"ok", "stale", "failing"}, state) {
		t.Errorf("%s: #freshness data-state = %q, want ok, stale or failing", p.path, state)
	}
	t.Logf("%s: freshness %s: %s", p.path, state, eval[string](t, b, `document.getElementById("freshness")?.textContent.trim() ?? ""`))

	charts := evalJSON[[]chartInfo](t, b, chartsJS)
	have := map[string]bool{}
	for _, c := range charts {
		have[c.ID] = true
		points, perr := strconv.Atoi(c.Points)
		series, serr := strconv.Atoi(c.Series)
		switch {
		case !c.Canvas || c.Width == 0 || c.Height == 0:
			t.Errorf("%s: .chart#%s has no canvas of non-zero size (%dx%d)", p.path, c.ID, c.Width, c.Height)
		case c.Painted == 0:
			t.Errorf("%s: .chart#%s canvas is blank", p.path, c.ID)
		case perr != nil || points <= 0:
			t.Errorf("%s: .chart#%s data-points = %q, want a count > 0", p.path, c.ID, c.Points)
		case serr != nil || series <= 0:
			t.Errorf("%s: .chart#%s data-series = %q, want a count > 0", p.path, c.ID, c.Series)
		default:
			t.Logf("%s: .chart#%s %dx%d, %d series, %d points", p.path, c.ID, c.Width, c.Height, series, points)
		}
	}
	if m := missing(p.charts, have); len(m) > 0 {
		t.Errorf("%s: no .chart with id %q", p.path, m)
	}

	tables := evalJSON[[]tableInfo](t, b, tablesJS)
	have = map[string]bool{}
	for _, tab := range tables {
		have[tab.ID] = true
		if tab.Rows == 0 && !slices.Contains(p.empty, tab.ID) {
			t.Errorf("%s: table.data#%s has no data rows in tbody (%q)", p.path, tab.ID, tab.Note)
		}
		t.Logf("%s: table.data#%s %d rows %s", p.path, tab.ID, tab.Rows, tab.Note)
		if tab.ID == "table-current" && tab.Total != 1 {
			t.Errorf("%s: table#table-current has %d tr.total, want 1", p.path, tab.Total)
		}
	}
	if m := missing(p.tables, have); len(m) > 0 {
		t.Errorf("%s: no table.data with id %q", p.path, m)
	}
	b.checkNoProblems(t, p.path)
}

// checkJobsControls checks that the Jobs Monitoring page has the filters,
// group-by and range controls of the contract.
func checkJobsControls(t *testing.T, b *browser, base string) {
	b.open(t, base+"/")
	for _, dim := range []string{"cloud", "site", "queue", "prod_source", "resource", "job_status", "tier", "type", "site_state"} {
		got := eval[string](t, b, `(() => {
			const s = document.getElementById("f-`+dim+`");
			if (!s) return "missing";
			if (s.tagName !== "SELECT" || !s.multiple) return "not a <select multiple>";
			if (s.name !== `+jsString(dim)+`) return "name=" + s.name;
			return s.options.length > 0 ? "ok" : "no options";
		})()`)
		if got != "ok" {
			t.Errorf("filter select#f-%s: %s", dim, got)
		}
	}
	for _, sel := range []string{`select#group-by`, `button[data-range="6h"]`, `button[data-range="24h"]`, `button[data-range="7d"]`,
		`button[data-range="30d"]`, `input#from`, `input#to`, `button#apply-range`} {
		if !eval[bool](t, b, `document.querySelector(`+jsString(sel)+`) !== null`) {
			t.Errorf("no %s", sel)
		}
	}
	b.checkNoProblems(t, "/")
}

// checkSuspiciousLinks checks the threshold controls and the links of the
// Suspicious queues table, with thresholds of 0 so that every series with
// a moving average is listed.
func checkSuspiciousLinks(t *testing.T, b *browser, base string) {
	b.open(t, base+"/suspicious?"+url.Values{"rel": {"0"}, "abs": {"0"}}.Encode())
	for _, sel := range []string{`input#th-rel`, `input#th-abs`, `select#th-avg`} {
		if !eval[bool](t, b, `document.querySelector(`+jsString(sel)+`) !== null`) {
			t.Errorf("no %s", sel)
		}
	}
	if got := eval[string](t, b, `document.getElementById("th-rel").value + " " + document.getElementById("th-abs").value`); got != "0 0" {
		t.Errorf("?rel=0&abs=0: input#th-rel, input#th-abs show %q, want \"0 0\"", got)
	}
	type row struct {
		Queue, QueueHref, BigPanda, CRIC string
	}
	rows := evalJSON[[]row](t, b, `[...document.querySelectorAll("#table-suspicious tbody tr")].slice(0, 20).map(r => ({
		Queue: r.querySelector("a.queue-link")?.textContent.trim() ?? "",
		QueueHref: r.querySelector("a.queue-link")?.href ?? "",
		BigPanda: r.querySelector("a.bigpanda-link")?.href ?? "",
		CRIC: r.querySelector("a.cric-link")?.href ?? ""}))`)
	if len(rows) == 0 || rows[0].Queue == "" {
		t.Fatalf("/suspicious?rel=0&abs=0: #table-suspicious has no row with a.queue-link (first row: %q)",
			eval[string](t, b, `document.querySelector("#table-suspicious tbody tr")?.textContent ?? "none"`))
	}
	for i, r := range rows {
		qu, err := url.Parse(r.QueueHref)
		if err != nil || !strings.HasPrefix(qu.Path, "/queue/") || strings.TrimPrefix(qu.Path, "/queue/") != r.Queue {
			t.Errorf("row %d: a.queue-link %q -> %q, want /queue/<path-escaped %q>", i, r.Queue, r.QueueHref, r.Queue)
		}
		if bu, err := url.Parse(r.BigPanda); err != nil || bu.Scheme != "https" || bu.Host != "bigpanda.cern.ch" || bu.Path != "/site/"+r.Queue+"/" {
			t.Errorf("row %d: a.bigpanda-link = %q, want https://bigpanda.cern.ch/site/<escaped %q>/", i, r.BigPanda, r.Queue)
		}
		if cu, err := url.Parse(r.CRIC); err != nil || cu.Scheme != "https" || cu.Host == "" {
			t.Errorf("row %d (%s): a.cric-link = %q, want an https URL", i, r.Queue, r.CRIC)
		}
	}
	b.checkNoProblems(t, "/suspicious")

	b.change(t, "select#th-avg 7d", selectOptionJS("th-avg", "7d"))
	q := query(t, eval[string](t, b, `location.search`))
	if q.Get("avg") != "7d" || q.Get("rel") != "0" || q.Get("abs") != "0" {
		t.Errorf("after choosing the 7d average the URL query is %q, want avg=7d, rel=0, abs=0", q.Encode())
	}
	if got := eval[string](t, b, `document.querySelector("#table-suspicious thead .chosen, #table-suspicious th.chosen")?.textContent ?? ""`); got != "" && got != "avg 7d" {
		t.Errorf("after choosing the 7d average the highlighted column is %q", got)
	}
	b.checkNoProblems(t, "/suspicious threshold change")
}

// checkFilterAndRange picks a cloud in #f-cloud, then the 7d range: each
// must change the data and the URL, and reloading the URL must restore the
// selection.
func checkFilterAndRange(t *testing.T, b *browser, base string) {
	b.open(t, base+"/")
	before := readPageState(t, b)
	clouds := evalJSON[[]string](t, b, `[...document.getElementById("f-cloud").options].map(o => o.value).filter(v => v !== "")`)
	if len(clouds) < 2 {
		t.Fatalf("#f-cloud offers %d clouds, want at least 2 to filter: %q", len(clouds), clouds)
	}
	cloud := clouds[0]

	b.change(t, "select cloud "+cloud, selectOptionJS("f-cloud", cloud))
	filtered := readPageState(t, b)
	if q := query(t, filtered.Search); !slices.Contains(q["cloud"], cloud) {
		t.Errorf("after selecting cloud %s the URL query is %q, want cloud=%s in it", cloud, filtered.Search, cloud)
	}
	if filtered.Table == before.Table && filtered.Points == before.Points && filtered.Series == before.Series {
		t.Errorf("selecting cloud %s changed neither #table-current nor #chart-jobs (series %s, points %s)", cloud, before.Series, before.Points)
	}
	t.Logf("cloud=%s: #chart-jobs series %s -> %s, points %s -> %s; URL %s", cloud, before.Series, filtered.Series, before.Points, filtered.Points, filtered.Search)
	b.checkNoProblems(t, "filter change")

	b.change(t, "click 7d", chromedp.Click(chromedp.CSS(`button[data-range="7d"]`)))
	ranged := readPageState(t, b)
	q := query(t, ranged.Search)
	if !slices.Contains(q["range"], "7d") {
		t.Errorf("after clicking 7d the URL query is %q, want range=7d in it", ranged.Search)
	}
	if !slices.Contains(q["cloud"], cloud) {
		t.Errorf("after clicking 7d the URL query %q lost cloud=%s", ranged.Search, cloud)
	}
	if ranged.Points == filtered.Points && ranged.Table == filtered.Table {
		t.Errorf("clicking 7d changed neither #chart-jobs data-points (%s) nor #table-current", ranged.Points)
	}
	t.Logf("range=7d: #chart-jobs points %s -> %s; URL %s", filtered.Points, ranged.Points, ranged.Search)
	b.checkNoProblems(t, "range change")

	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.waitReady(t, "reload "+ranged.Search)
	reloaded := readPageState(t, b)
	if reloaded.Search != ranged.Search {
		t.Errorf("reload changed the URL query from %q to %q", ranged.Search, reloaded.Search)
	}
	if !slices.Equal(reloaded.Selected, []string{cloud}) {
		t.Errorf("after reload #f-cloud selects %q, want [%s]", reloaded.Selected, cloud)
	}
	if reloaded.Series != ranged.Series || !slices.Equal(reloaded.Groups, ranged.Groups) {
		t.Errorf("after reload: series %s groups %q, want series %s groups %q as before", reloaded.Series, reloaded.Groups, ranged.Series, ranged.Groups)
	}
	// A live cycle of the demo may land between the two loads and add a
	// point, so points are compared loosely.
	if got, was := atoi(reloaded.Points), atoi(ranged.Points); got < was-max(1, was/50) || got > was+max(1, was/50) {
		t.Errorf("after reload #chart-jobs has %d points, before %d", got, was)
	}
	b.checkNoProblems(t, "reload")

	// A custom range: yesterday's day, as a user types it in the
	// datetime-local inputs (local time).
	setRange := chromedp.Evaluate[chromedp.Void](`(() => {
		const p = (n) => String(n).padStart(2, "0");
		const local = (d) => d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes());
		const now = Date.now();
		for (const [id, t] of [["from", now - 2 * 864e5], ["to", now - 864e5]]) {
			const i = document.getElementById(id);
			i.value = local(new Date(t));
			i.dispatchEvent(new Event("input", {bubbles: true}));
			i.dispatchEvent(new Event("change", {bubbles: true}));
		}
		document.getElementById("apply-range").click();
	})()`)
	b.change(t, "custom range", setRange)
	custom := readPageState(t, b)
	q = query(t, custom.Search)
	if q.Get("from") == "" || q.Get("to") == "" || q.Has("range") {
		t.Errorf("after applying a custom range the URL query is %q, want from and to and no range", custom.Search)
	}
	if atoi(custom.Points) <= 0 || custom.Points == reloaded.Points {
		t.Errorf("a custom range of one day: #chart-jobs data-points %s (7d: %s), want a different count > 0", custom.Points, reloaded.Points)
	}
	t.Logf("custom range: #chart-jobs points %s; URL %s", custom.Points, custom.Search)
	b.checkNoProblems(t, "custom range")
}

// checkXSS opens the pages that show the queue named
// `<img src=x onerror=alert(1)>`: it must be text, no img element with
// src=x may exist, no dialog may open and window.__xss must stay unset.
func checkXSS(t *testing.T, b *browser, base string) {
	dialogs := b.dialogCount()
	inert := func(where string) {
		t.Helper()
		type verdict struct {
			Imgs    int
			OnError int
			XSS     any
		}
		v := evalJSON[verdict](t, b, `({
			Imgs: [...document.images].filter(i => i.getAttribute("src") === "x" || new URL(i.src, location.href).pathname.endsWith("/x")).length,
			OnError: document.querySelectorAll("[onerror]").length,
			XSS: window.__xss ?? null})`)
		if v.Imgs != 0 || v.OnError != 0 || v.XSS != nil {
			t.Errorf("%s: the payload is live: %d img with src=x, %d elements with onerror, window.__xss = %v", where, v.Imgs, v.OnError, v.XSS)
		}
		if n := b.dialogCount(); n != dialogs {
			t.Errorf("%s: %d JavaScript dialog(s) opened", where, n-dialogs)
		}
		b.checkNoProblems(t, where)
	}

	b.open(t, queueURL(base, xssQueue))
	if got := eval[string](t, b, `document.getElementById("queue-name")?.textContent.trim() ?? "(no h1#queue-name)"`); got != xssQueue {
		t.Errorf("queue page: h1#queue-name = %q, want the literal %q", got, xssQueue)
	}
	inert("queue page")

	jobs := base + "/?" + url.Values{"queue": {xssQueue}, "group": {"queue"}}.Encode()
	b.open(t, jobs)
	cells := evalJSON[[]string](t, b, `[...document.querySelectorAll("#table-current tbody td")].map(td => td.textContent.trim())`)
	if !slices.Contains(cells, xssQueue) {
		t.Errorf("/?queue=<payload>&group=queue: no #table-current cell reads %q; cells %q", xssQueue, cells[:min(len(cells), 10)])
	}
	opt := eval[string](t, b, `(() => {
		const o = [...(document.getElementById("f-queue")?.options ?? [])].find(o => o.value === `+jsString(xssQueue)+`);
		return o ? (o.selected ? "selected " : "") + o.textContent : "(no option)";
	})()`)
	if opt != "selected "+xssQueue {
		t.Errorf("#f-queue option for the payload: %q, want it selected with the literal text", opt)
	}
	if legend := eval[string](t, b, `[...document.querySelectorAll("#chart-jobs .u-legend")].map(l => l.textContent).join(" ")`); !strings.Contains(legend, xssQueue) {
		t.Errorf("/?queue=<payload>&group=queue: the #chart-jobs legend does not read %q: %q", xssQueue, legend)
	}
	inert("jobs page grouped by queue")

	b.open(t, base+"/suspicious?"+url.Values{"rel": {"0"}, "abs": {"0"}}.Encode())
	// With thresholds of 0 every series of the small grid is listed,
	// the payload queue's too.
	hrefs := evalJSON[[]string](t, b, `[...document.querySelectorAll("#table-suspicious a.queue-link")]
		.filter(a => a.textContent.trim() === `+jsString(xssQueue)+`).map(a => a.href)`)
	if len(hrefs) == 0 {
		t.Errorf("/suspicious?rel=0&abs=0: no a.queue-link reads the literal %q", xssQueue)
	}
	for _, h := range hrefs {
		if u, err := url.Parse(h); err != nil || u.Path != "/queue/"+xssQueue {
			t.Errorf("/suspicious: the payload queue links to %q, want /queue/<path-escaped payload>", h)
		}
	}
	inert("suspicious page")
}

// firstChartMs loads a Jobs Monitoring URL and returns
// window.qmonitTiming.firstChartMs.
func firstChartMs(tb testing.TB, b *browser, u string) float64 {
	tb.Helper()
	b.open(tb, u)
	ms := eval[float64](tb, b, `(window.qmonitTiming && typeof window.qmonitTiming.firstChartMs === "number") ? window.qmonitTiming.firstChartMs : -1`)
	if ms <= 0 {
		tb.Fatalf("%s: window.qmonitTiming.firstChartMs is not a positive number (%v)", u, ms)
	}
	b.checkNoProblems(tb, u)
	return ms
}

func query(tb testing.TB, search string) url.Values {
	tb.Helper()
	q, err := url.ParseQuery(strings.TrimPrefix(search, "?"))
	if err != nil {
		tb.Errorf("parse URL query %q: %v", search, err)
	}
	return q
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
