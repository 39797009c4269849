// Package web owns qmonit's web UI (issue 4): the four pages, their
// embedded assets and the JSON API under /api/qmonit/v1/ that feeds them.
//
// # Pages
//
//	/                Jobs Monitoring: filters, group-by, time range (all in the URL query),
//	                 stacked jobs and running-cores charts, the current table with totals
//	/suspicious      series departing from their moving average; the detector's open incidents
//	/daod            analysis jobs per datadisk against the DAOD volume on it
//	/queue/{name}    one queue (name path-escaped): its series, CRIC attributes, averages
//
// The pages are static documents rendered once at start from
// assets/pages/*.html; plain ES modules (assets/js/) load their data from
// the API and build the DOM with textContent and setAttribute only, so
// names from upstream (a queue may be called `<img src=x onerror=alert(1)>`)
// stay text. Charts use uPlot (assets/vendor/, pinned in web/package.json,
// rebuilt by `make assets`, committed so `go build` needs no npm). Every
// answer carries a strict Content-Security-Policy (default-src 'self', no
// inline script or style) and X-Content-Type-Options: nosniff. Assets are
// served with an ETag and revalidated.
//
// The DOM contract the browser tests (internal/uitest) rely on:
// body[data-ready] is "1" once a page's data is drawn ("0" while loading),
// body[data-error] and #error say what failed, #freshness[data-state] is
// ok, stale or failing, each chart is div.chart with data-series and
// data-points, each table is table.data; window.qmonitTiming.firstChartMs
// is the time of the first chart drawn.
//
// # API
//
// Every answer is {"status":"success","data":...} or
// {"status":"error","errorType":...,"error":...} with 400 (bad_data: an
// unknown, repeated, empty, oversized or malformed parameter, named in the
// message), 404 (not_found), 422 (execution) or 503 (timeout). All are GET.
//
//	/api/qmonit/v1/status
//	    Freshness: state (ok, stale, failing), problems (sentences), last_data (the
//	    newest cycle in the store), last_good_cycle, last_cycle, last_error, sources
//	    (name, up, last_success, last_error, consecutive_failures), catalog (dump ages).
//	/api/qmonit/v1/filters
//	    dims: every filter dimension (name, store label, title) with the values seen in
//	    the last 24 hours; ranges; default_group; default_range.
//	/api/qmonit/v1/jobs?cloud=..&site=..&queue=..&prod_source=..&resource=..
//	        &job_status=..&tier=..&type=..&site_state=..&group=<dim>&range=6h|24h|7d|30d
//	        (or from=<RFC 3339>&to=<RFC 3339>, at most 400 days)
//	    Filters repeat for several values (OR within a dimension, AND across).
//	    range: name, from, to, step_seconds, resolution (raw up to 48 h within the raw
//	    retention, 1h rollups up to 35 days, 1d beyond); times (Unix seconds); jobs and
//	    cores: chart series [{name, values, other}], the 9 largest groups then "other";
//	    states: the table's state columns; rows [{group, current (per state), total,
//	    failure_pct (failed/(failed+finished) over the range), spark}] sorted by total;
//	    total: the same summed; current_time: the cycle the current numbers are from;
//	    spark_times, spark_label. Final states (finished, failed, cancelled, closed)
//	    are per interval at every resolution. Running cores are running jobs times the
//	    resource factor and ignore the job_status filter.
//	/api/qmonit/v1/suspicious?rel=0.5&abs=50&avg=1h|6h|12h|24h|7d|30d
//	    Series (queue, prod_source, resource, state) whose current count departs from
//	    the chosen moving average by at least abs jobs and rel of the average, by
//	    severity |current-avg|/sqrt(max(avg,1)) x coverage, at most 500: rows [{queue, prod_source,
//	    resource, state, cloud, site, cric_status, current, avg (per window), diff,
//	    ratio (null from a zero average), coverage, severity}], matched, considered,
//	    time (of the averages), note (before the first cycle).
//	/api/qmonit/v1/daod
//	    disks [{rse, queues, jobs_24h, jobs_7d (average running analysis jobs of the
//	    queues reading from the disk), bytes, files, job_share, data_share, mismatch}],
//	    mismatches (the 20 largest |mismatch|), label (analysis prod_source),
//	    queues_without_datadisk, time.
//	/api/qmonit/v1/queue?name=<queue>&range=24h|7d|30d
//	    name, range, times, series (per state, mean per step), attrs (the newest
//	    qmonit_queue_info labels within 30 days, corecount, corepower), info_time,
//	    averages {time, windows, rows [{prod_source, resource, state, current, avg,
//	    coverage}]}, bigpanda_url, cric_url. 404 for a queue without data or attributes.
//
// The incidents of the detector are served by internal/app at
// /api/qmonit/v1/incidents; the Suspicious page shows its open ones.
//
// # Data
//
// The Jobs Monitoring API reads the store's series directly (one pass,
// each sample to its time slot; see jobsAgg) and caches its answers per
// parameters and last good cycle (32 MB, least recently used first; a
// cycle makes new keys). The others run PromQL on the store's engine.
// Untrusted values only ever become label matchers, never query text.
// Moving averages come from the Snapshot the collector publishes after
// each cycle (Backend.Snapshot); before the first, the Suspicious table
// says so.
package web
