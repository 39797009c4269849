package web

import (
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// jobsOut mirrors jobsAnswer with plain floats (null -> NaN via pointer).
type jobsOut struct {
	Range struct {
		Name, Resolution string
		StepSeconds      float64 `json:"step_seconds"`
	} `json:"range"`
	Group  string     `json:"group"`
	Times  []int64    `json:"times"`
	Jobs   []seriesIn `json:"jobs"`
	Cores  []seriesIn `json:"cores"`
	States []string   `json:"states"`
	Rows   []rowIn    `json:"rows"`
	Total  rowIn      `json:"total"`
}

type seriesIn struct {
	Name   string     `json:"name"`
	Other  bool       `json:"other"`
	Values []*float64 `json:"values"`
}

type rowIn struct {
	Group      string     `json:"group"`
	Current    []*float64 `json:"current"`
	Total      *float64   `json:"total"`
	FailurePct *float64   `json:"failure_pct"`
	Spark      []*float64 `json:"spark"`
}

func last(v []*float64) float64 {
	if len(v) == 0 || v[len(v)-1] == nil {
		return math.NaN()
	}
	return *v[len(v)-1]
}

func TestAPIJobs(t *testing.T) {
	f := newFixture(t)
	var ans jobsOut
	f.api(t, "/api/qmonit/v1/jobs?range=6h", http.StatusOK, &ans)
	if ans.Group != "cloud" || ans.Range.Resolution != "raw" || ans.Range.StepSeconds != 600 || len(ans.Times) != 37 {
		t.Fatalf("range %+v group %q, %d times", ans.Range, ans.Group, len(ans.Times))
	}
	if ans.Times[len(ans.Times)-1] != f.last.Unix() {
		t.Errorf("last time %d, want the newest cycle %d", ans.Times[len(ans.Times)-1], f.last.Unix())
	}
	// Per cycle: CERN 100+10+3+1+5 = 119, DE 7+1+3+1 = 12, FR 40+4+3+1 = 48.
	want := map[string]float64{"CERN": 119, "FR": 48, "DE": 12}
	var chartTop float64
	for _, s := range ans.Jobs {
		if got := last(s.Values); got != want[s.Name] {
			t.Errorf("chart %s last = %v, want %v", s.Name, got, want[s.Name])
		}
		chartTop += last(s.Values)
	}
	if len(ans.Rows) != 3 || ans.Rows[0].Group != "CERN" || ans.Rows[2].Group != "DE" {
		t.Fatalf("rows %+v", ans.Rows)
	}
	if *ans.Total.Total != 179 || chartTop != 179 {
		t.Errorf("total row %v, chart stack top %v, want 179 both", *ans.Total.Total, chartTop)
	}
	if got := *ans.Rows[0].FailurePct; got != 25 {
		t.Errorf("CERN failure %% = %v, want 25", got)
	}
	// Cores: CERN 100 single-core + 5 MCORE x 8 = 140; the others 7 and 40.
	cores := map[string]float64{}
	for _, s := range ans.Cores {
		cores[s.Name] = last(s.Values)
	}
	if cores["CERN"] != 140 || cores["DE"] != 7 || cores["FR"] != 40 {
		t.Errorf("cores %v", cores)
	}
	if !slices.Equal(ans.States, []string{"activated", "running", "finished", "failed"}) {
		t.Errorf("states %q", ans.States)
	}
	if len(ans.Rows[0].Spark) != 25 {
		t.Errorf("spark has %d points, want 25 (24 h hourly)", len(ans.Rows[0].Spark))
	}
	// The same view again is served from the cache; other filters are not.
	cached := f.ui.cache.len()
	f.api(t, "/api/qmonit/v1/jobs?range=6h", http.StatusOK, &ans)
	if f.ui.cache.len() != cached {
		t.Errorf("the same request computed a new answer")
	}
	f.api(t, "/api/qmonit/v1/jobs?range=6h&cloud=DE", http.StatusOK, &ans)
	if f.ui.cache.len() != cached+1 || len(ans.Rows) != 1 {
		t.Errorf("a filtered request: %d cached answers, %d rows", f.ui.cache.len(), len(ans.Rows))
	}
}

func TestAPIJobsFilters(t *testing.T) {
	f := newFixture(t)
	var ans jobsOut
	q := url.Values{"queue": {xss}, "group": {"queue"}, "job_status": {"running", "failed"}}
	rec := f.get(t, "/api/qmonit/v1/jobs?"+q.Encode())
	if rec.Code != http.StatusOK {
		t.Fatalf("%d: %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "<img") {
		t.Error("the answer holds a raw '<img': JSON must escape it")
	}
	f.api(t, "/api/qmonit/v1/jobs?"+q.Encode(), http.StatusOK, &ans)
	if len(ans.Rows) != 1 || ans.Rows[0].Group != xss || *ans.Rows[0].Total != 8 {
		t.Fatalf("rows %+v", ans.Rows)
	}
	if !slices.Equal(ans.States, []string{"running", "failed"}) {
		t.Errorf("states %q", ans.States)
	}
	// The state filter does not apply to cores (running by definition).
	if len(ans.Cores) != 1 || last(ans.Cores[0].Values) != 7 {
		t.Errorf("cores %+v", ans.Cores)
	}
	// Several values of one dimension are ORed; a regex-looking value is a literal.
	f.api(t, "/api/qmonit/v1/jobs?cloud=DE&cloud=FR&range=24h", http.StatusOK, &ans)
	if len(ans.Rows) != 2 {
		t.Errorf("cloud=DE|FR: rows %+v", ans.Rows)
	}
	f.api(t, "/api/qmonit/v1/jobs?cloud=.*", http.StatusOK, &ans)
	if len(ans.Rows) != 0 || len(ans.Jobs) != 0 {
		t.Errorf("cloud=.* matched %d rows, want none", len(ans.Rows))
	}
	// Long ranges read rollups (none in this store: empty, not an error).
	f.api(t, "/api/qmonit/v1/jobs?range=7d", http.StatusOK, &ans)
	if ans.Range.Resolution != "1h" || len(ans.Times) != 169 {
		t.Errorf("7d: %+v, %d times", ans.Range, len(ans.Times))
	}
}

func TestAPIBadRequests(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ target, want string }{
		{"/api/qmonit/v1/jobs?cloud=", `parameter "cloud": empty value`},
		{"/api/qmonit/v1/jobs?group=%3Cb%3E", `parameter "group": "<b>" is not one of`},
		{"/api/qmonit/v1/jobs?range=forever", `parameter "range"`},
		{"/api/qmonit/v1/jobs?sort=1", `parameter "sort": unknown parameter`},
		{"/api/qmonit/v1/suspicious?rel=x", `parameter "rel": not a number`},
		{"/api/qmonit/v1/queue", `parameter "name": empty value`},
		{"/api/qmonit/v1/daod?x=1", `parameter "x": unknown parameter`},
		{"/api/qmonit/v1/filters?x=1", `unknown parameter`},
		{"/api/qmonit/v1/status?x=1", `unknown parameter`},
	} {
		t.Run(tt.target, func(t *testing.T) {
			env := f.api(t, tt.target, http.StatusBadRequest, nil)
			if env.Status != "error" || env.ErrorType != "bad_data" || !strings.Contains(env.Error, tt.want) {
				t.Errorf("answer %+v, want an error containing %q", env, tt.want)
			}
		})
	}
	if rec := f.get(t, "/api/qmonit/v1/nope"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d", rec.Code)
	}
}

func TestAPIQueue(t *testing.T) {
	f := newFixture(t)
	var ans struct {
		Name     string     `json:"name"`
		Series   []seriesIn `json:"series"`
		Attrs    []attrJSON `json:"attrs"`
		BigPanDA string     `json:"bigpanda_url"`
		CRIC     string     `json:"cric_url"`
		Averages struct {
			Rows []struct {
				State   string   `json:"state"`
				Current *float64 `json:"current"`
			} `json:"rows"`
		} `json:"averages"`
	}
	f.api(t, "/api/qmonit/v1/queue?range=24h&name="+url.QueryEscape(xss), http.StatusOK, &ans)
	if ans.Name != xss || len(ans.Series) != 4 || ans.Series[0].Name != "activated" {
		t.Fatalf("answer %+v", ans)
	}
	if got := last(ans.Series[1].Values); got != 7 {
		t.Errorf("running = %v, want 7", got)
	}
	attrs := map[string]string{}
	for _, a := range ans.Attrs {
		attrs[a.Name] = a.Value
	}
	if attrs["cloud"] != "DE" || attrs["atlas_site"] != "BOINC" {
		t.Errorf("attrs %v", attrs)
	}
	bp, err := url.Parse(ans.BigPanDA)
	if err != nil || bp.Host != "bigpanda.cern.ch" || bp.Path != "/site/"+xss+"/" || strings.ContainsAny(ans.BigPanDA, "<> ") {
		t.Errorf("BigPanDA link %q", ans.BigPanDA)
	}
	if c, err := url.Parse(ans.CRIC); err != nil || c.Path != "/atlas/pandaqueue/detail/"+xss+"/" {
		t.Errorf("CRIC link %q", ans.CRIC)
	}
	if len(ans.Averages.Rows) != 1 || ans.Averages.Rows[0].State != "running" || *ans.Averages.Rows[0].Current != 7 {
		t.Errorf("averages %+v", ans.Averages)
	}
	f.api(t, "/api/qmonit/v1/queue?range=7d&name=CERN-PROD", http.StatusOK, &ans)
	if attrs := ans.Attrs; !slices.ContainsFunc(attrs, func(a attrJSON) bool { return a.Name == "corecount" && a.Value == "8" }) {
		t.Errorf("CERN-PROD attrs lack corecount 8: %+v", attrs)
	}
	env := f.api(t, "/api/qmonit/v1/queue?name=NOPE", http.StatusNotFound, nil)
	if env.ErrorType != "not_found" || !strings.Contains(env.Error, `queue "NOPE"`) {
		t.Errorf("unknown queue: %+v", env)
	}
}

func TestAPISuspiciousDAODStatusFilters(t *testing.T) {
	f := newFixture(t)
	var susp struct {
		Rows []struct {
			Queue string   `json:"queue"`
			Ratio *float64 `json:"ratio"`
			Avg   []*float64
		} `json:"rows"`
		Matched    int `json:"matched"`
		Considered int `json:"considered"`
	}
	f.api(t, "/api/qmonit/v1/suspicious", http.StatusOK, &susp)
	if susp.Matched != 1 || susp.Considered != 2 || susp.Rows[0].Queue != "CERN-PROD" || *susp.Rows[0].Ratio != 9 {
		t.Errorf("suspicious %+v", susp)
	}
	f.ui.b = &fakeBackend{} // before the first cycle
	var empty struct {
		Rows []any  `json:"rows"`
		Note string `json:"note"`
	}
	f.api(t, "/api/qmonit/v1/suspicious?rel=0&abs=0", http.StatusOK, &empty)
	if len(empty.Rows) != 0 || !strings.Contains(empty.Note, "first collection cycle") || empty.Rows == nil {
		t.Errorf("no snapshot: %+v", empty)
	}

	var daod struct {
		Disks  []diskRowIn `json:"disks"`
		NoDisk int         `json:"queues_without_datadisk"`
	}
	f.api(t, "/api/qmonit/v1/daod", http.StatusOK, &daod)
	// Only ANALY_X runs analysis (40 jobs) on IN2P3-CC, which holds a quarter of the data.
	if len(daod.Disks) != 2 || daod.Disks[0].RSE != "IN2P3-CC_DATADISK" || *daod.Disks[0].Jobs24h != 40 ||
		*daod.Disks[0].JobShare != 1 || *daod.Disks[0].DataShare != 0.25 || daod.NoDisk != 1 {
		t.Errorf("daod %+v", daod)
	}

	var st freshnessJSON
	f.api(t, "/api/qmonit/v1/status", http.StatusOK, &st)
	if st.State != stateOK || st.LastData == nil || !st.LastData.Equal(f.last) {
		t.Errorf("status %+v (state %s), want ok with data at %v", st, st.State, f.last)
	}

	var fl struct {
		Dims []struct {
			Name   string   `json:"name"`
			Values []string `json:"values"`
		} `json:"dims"`
	}
	f.api(t, "/api/qmonit/v1/filters", http.StatusOK, &fl)
	if len(fl.Dims) != len(dims) || fl.Dims[2].Name != "queue" || !slices.Contains(fl.Dims[2].Values, xss) {
		t.Errorf("filters %+v", fl)
	}
}

type diskRowIn struct {
	RSE       string   `json:"rse"`
	Jobs24h   *float64 `json:"jobs_24h"`
	JobShare  *float64 `json:"job_share"`
	DataShare *float64 `json:"data_share"`
}

// The DOM contract's ids per page (internal/uitest relies on them).
var contractIDs = map[string][]string{
	"/": {`id="chart-jobs"`, `id="chart-cores"`, `id="table-current"`, `id="group-by"`, `id="from"`, `id="to"`, `id="apply-range"`,
		`data-range="6h"`, `data-range="24h"`, `data-range="7d"`, `data-range="30d"`,
		`<select multiple id="f-cloud" name="cloud"`, `<select multiple id="f-site_state" name="site_state"`, `id="f-queue"`},
	"/suspicious":                   {`id="table-suspicious"`, `id="table-incidents"`, `id="th-rel"`, `id="th-abs"`, `id="th-avg"`},
	"/daod":                         {`id="chart-daod"`, `id="table-daod"`, `id="table-mismatch"`},
	"/queue/" + url.PathEscape(xss): {`id="queue-name"`, `id="chart-queue"`, `id="table-attrs"`, `id="table-averages"`},
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	scripts := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inline := regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:`)
	for path, ids := range contractIDs {
		t.Run(path, func(t *testing.T) {
			rec := f.get(t, path)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
			}
			checkSecurityHeaders(t, path, rec.Header())
			body := rec.Body.String()
			for _, want := range append(ids, `<nav`, `href="/"`, `href="/suspicious"`, `href="/daod"`, `id="freshness" data-state="`, `id="error"`) {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s: no %s", path, want)
				}
			}
			tags := scripts.FindAllStringSubmatch(body, -1)
			if len(tags) != 2 {
				t.Errorf("GET %s: %d script elements, want 2 (uPlot and the page's module)", path, len(tags))
			}
			for _, m := range tags {
				if !strings.Contains(m[1], `src="/assets/`) || strings.TrimSpace(m[2]) != "" {
					t.Errorf("GET %s: inline or foreign script %q", path, m[0])
				}
			}
			if m := inline.FindString(body); m != "" {
				t.Errorf("GET %s: inline style or handler: %q", path, m)
			}
			if strings.Contains(body, "<img") {
				t.Errorf("GET %s: the page holds data", path)
			}
		})
	}
	for _, path := range []string{"/queue/", "/nope", "/queue/a/b"} {
		if rec := f.get(t, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}

func TestAssets(t *testing.T) {
	f := newFixture(t)
	for path, ctype := range map[string]string{
		"/assets/js/jobs.js":               "text/javascript; charset=utf-8",
		"/assets/js/common.js":             "text/javascript; charset=utf-8",
		"/assets/css/qmonit.css":           "text/css; charset=utf-8",
		"/assets/vendor/uPlot.iife.min.js": "text/javascript; charset=utf-8",
		"/assets/vendor/uPlot.LICENSE":     "text/plain; charset=utf-8",
	} {
		rec := f.get(t, path)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ctype || rec.Body.Len() == 0 {
			t.Errorf("GET %s: %d %q, %d bytes", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
			continue
		}
		checkSecurityHeaders(t, path, rec.Header())
		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", path)
			continue
		}
		if again := f.get(t, path, "If-None-Match", etag); again.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", path, again.Code)
		}
	}
	for _, path := range []string{"/assets/pages/jobs.html", "/assets/nope.js", "/assets/"} {
		if rec := f.get(t, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
	// Every module the pages load exists, and every import resolves.
	imports := regexp.MustCompile(`from "\./([a-z]+\.js)"`)
	for _, page := range []string{"jobs", "suspicious", "daod", "queue"} {
		rec := f.get(t, "/assets/js/"+page+".js")
		body, _ := io.ReadAll(rec.Body)
		for _, m := range imports.FindAllStringSubmatch(string(body), -1) {
			if f.get(t, "/assets/js/"+m[1]).Code != http.StatusOK {
				t.Errorf("%s.js imports %s, which is not served", page, m[1])
			}
		}
	}
}
