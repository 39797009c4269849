package uitest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// chartInfo is what the page says about one div.chart.
type chartInfo struct {
	ID      string `json:"id"`
	Canvas  bool   `json:"canvas"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Painted int    `json:"painted"` // non-transparent pixels on the canvas
	Series  string `json:"series"`  // data-series, as written
	Points  string `json:"points"`  // data-points, as written
}

// chartsJS describes every div.chart of the page: its uPlot canvas (size and
// painted pixels) and its data-series / data-points attributes.
const chartsJS = `[...document.querySelectorAll(".chart")].map(el => {
	const c = el.querySelector("canvas");
	let painted = 0;
	if (c && c.width > 0 && c.height > 0) {
		const ctx = c.getContext("2d");
		if (ctx) {
			const d = ctx.getImageData(0, 0, c.width, c.height).data;
			for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) painted++;
		}
	}
	return {id: el.id, canvas: !!c, width: c ? c.width : 0, height: c ? c.height : 0, painted,
		series: el.getAttribute("data-series") ?? "", points: el.getAttribute("data-points") ?? ""};
})`

// tableInfo is what the page says about one table.data.
type tableInfo struct {
	ID    string `json:"id"`
	Rows  int    `json:"rows"`  // tbody rows with more than one cell (not a "no data" note)
	Total int    `json:"total"` // rows with class total
	Note  string `json:"note"`  // the text of tbody when it has no data row
}

const tablesJS = `[...document.querySelectorAll("table.data")].map(t => {
	const rows = [...t.querySelectorAll("tbody tr")].filter(r => r.cells.length > 1).length;
	return {id: t.id, rows, total: t.querySelectorAll("tr.total").length,
		note: rows ? "" : (t.tBodies[0]?.textContent.trim() ?? "no tbody")};
})`

// pageState is a fingerprint of the Jobs Monitoring page, to tell whether a
// filter or a range change changed the data.
type pageState struct {
	Search   string   `json:"search"`
	Series   string   `json:"series"` // #chart-jobs data-series
	Points   string   `json:"points"` // #chart-jobs data-points
	Table    string   `json:"table"`  // #table-current tbody text
	Groups   []string `json:"groups"` // first cell of each non-total row
	Selected []string `json:"selected"`
}

const pageStateJS = `(() => {
	const chart = document.getElementById("chart-jobs");
	const table = document.querySelector("#table-current tbody");
	const rows = table ? [...table.querySelectorAll("tr:not(.total)")] : [];
	const sel = document.getElementById("f-cloud");
	return {search: location.search,
		series: chart ? chart.getAttribute("data-series") ?? "" : "",
		points: chart ? chart.getAttribute("data-points") ?? "" : "",
		table: table ? table.textContent : "",
		groups: rows.map(r => r.cells.length ? r.cells[0].textContent.trim() : ""),
		selected: sel ? [...sel.selectedOptions].map(o => o.value) : []};
})()`

func readPageState(tb testing.TB, b *browser) pageState {
	tb.Helper()
	return evalJSON[pageState](tb, b, pageStateJS)
}

// watchReadyJS installs a MutationObserver that notes body[data-ready]
// leaving "1", so a wait after a change in the page does not mistake the
// old "1" for the new one. The marker tells whether the document survived.
const watchReadyJS = `(() => {
	window.__uitestMarker = true;
	window.__uitestLeftReady = false;
	new MutationObserver(() => {
		if (document.body.dataset.ready !== "1") window.__uitestLeftReady = true;
	}).observe(document.body, {attributes: true, attributeFilter: ["data-ready", "data-error"]});
	return true;
})()`

// afterChangeJS is the readiness test after a change: the page left ready
// and came back, or it navigated (a new document) and is ready.
const afterChangeJS = `document.body && (document.body.dataset.error !== undefined
	? "error: " + document.body.dataset.error
	: (window.__uitestLeftReady || !window.__uitestMarker) && document.body.dataset.ready === "1" ? "ready" : "")`

// change runs act (a change in the page: a selection, a click) and waits
// until the page has reloaded its data: body[data-ready] left "1" and came
// back to it, or the page navigated and the new document is ready.
func (b *browser) change(tb testing.TB, where string, act chromedp.Action[chromedp.Void]) {
	tb.Helper()
	eval[bool](tb, b, watchReadyJS)
	if err := chromedp.Do(b.ctx, act); err != nil {
		tb.Fatalf("%s: %v", where, err)
	}
	got, err := b.poll(afterChangeJS, readyTimeout)
	if err != nil {
		// An evaluation does not survive a navigation: wait for the new
		// document as for a fresh load.
		if marker, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__uitestMarker === true`)); !marker {
			b.waitReady(tb, where)
			return
		}
		b.checkNoProblems(tb, where)
		tb.Fatalf("%s: waiting for the page to reload its data: %v", where, err)
	}
	if got == "" {
		last, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify(document.body.dataset)`))
		b.checkNoProblems(tb, where)
		tb.Fatalf("%s: the page did not reload its data (body[data-ready] leaving \"1\" and coming back) within %v; body dataset %s",
			where, readyTimeout, last)
	}
	if got != "ready" {
		b.checkNoProblems(tb, where)
		tb.Fatalf("%s: page reports body[data-error]: %s", where, got)
	}
}

// selectOptionJS selects the option of the select with the given value
// (keeping others as they are) and fires input and change, as a user's pick
// does.
func selectOptionJS(selectID, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.getElementById(%s);
		const o = [...s.options].find(o => o.value === %s);
		o.selected = true;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, jsString(selectID), jsString(value)))
}

// missing lists the ids not present among have.
func missing(want []string, have map[string]bool) []string {
	var out []string
	for _, id := range want {
		if !have[id] {
			out = append(out, id)
		}
	}
	return out
}

// jsString quotes s as a JavaScript string literal (JSON is a subset).
func jsString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}
