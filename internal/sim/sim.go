// Package sim is the simulated grid: an HTTP server that answers every
// upstream qmonit reads (PanDA v1 and legacy job statistics, CRIC
// pandaqueue/site/ddmendpoint, WLCG CRIC federations and the MONIT
// _msearch datadisk query) in the real formats, from a deterministic
// synthetic grid. The demo, the tests and the benchmarks run against it.
//
// The grid (sites, queues, their sizes) is drawn once from Options.Seed.
// Every answer is a pure function of (seed, requested time floored to
// Options.Interval, parameters): the time comes from the query parameter
// "at" (RFC 3339) or Options.Now, so history can be generated for any past
// time, and the same request always gets the same bytes.
//
// Scripted incidents (see Incidents and incidents.go for the schedule)
// give a detector real work: sites draining, activated jobs piling up,
// failure bursts, clouds dipping and a queue set offline in CRIC.
package sim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Options configure a Grid. Zero values take the defaults.
type Options struct {
	// Seed draws the grid and every value; default 1.
	Seed int64
	// Queues is the approximate number of PanDA queues; default 1000,
	// at least 20.
	Queues int
	// Interval is the cycle length: answers change once per interval and
	// incidents start and end on interval boundaries; default 10m, at
	// least 1s. Incidents look right for intervals up to about 1h.
	Interval time.Duration
	// Now is the clock used when a request has no "at"; default time.Now.
	Now func() time.Time
	// DisableV1 makes the PanDA v1 statistics endpoint answer 404, as a
	// server older than the v1 API, so clients fall back to legacy.
	DisableV1 bool
	// DisableLegacy makes the legacy endpoint answer 403 "method ... is
	// forbidden", as panda-server >= 1.0.0 does.
	DisableLegacy bool
}

// Grid is a simulated grid. It is safe for concurrent use.
type Grid struct {
	opts   Options
	seed   uint64
	ivSec  int64
	sites  []*site
	queues []*queue // sorted by PanDA name
	clouds []string // sorted

	// incident targets
	drainSites   []*site
	queueTargets []*queue

	handler http.Handler
	faults  faultSet
	cache   dumpCache
}

// New draws the grid for opts.
func New(opts Options) *Grid {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Queues == 0 {
		opts.Queues = 1000
	}
	opts.Queues = max(opts.Queues, 20)
	if opts.Interval == 0 {
		opts.Interval = 10 * time.Minute
	}
	opts.Interval = max(opts.Interval.Truncate(time.Second), time.Second)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Grid{opts: opts, seed: mix(uint64(opts.Seed)), ivSec: int64(opts.Interval / time.Second)}
	g.buildGrid()
	g.chooseTargets()
	g.handler = g.routes()
	return g
}

// Handler serves the simulated upstreams; see the package documentation.
func (g *Grid) Handler() http.Handler { return g.handler }

// QueueNames returns, sorted, the name of every queue PanDA may report (as
// PanDA names it; queues offline in CRIC with no jobs are left out).
func (g *Grid) QueueNames() []string {
	var out []string
	for _, q := range g.queues {
		if q.reports() {
			out = append(out, q.name)
		}
	}
	return out
}

// Env returns the QMONIT_SOURCES_* settings that point qmonit at a grid
// served at baseURL.
func (g *Grid) Env(baseURL string) []string {
	b := strings.TrimRight(baseURL, "/")
	return []string{
		"QMONIT_SOURCES_PANDA_URL=" + b,
		"QMONIT_SOURCES_CRIC_PANDAQUEUE_URL=" + b + PathPandaQueue + "?json",
		"QMONIT_SOURCES_CRIC_SITE_URL=" + b + PathSite + "?json",
		"QMONIT_SOURCES_CRIC_DDMENDPOINT_URL=" + b + PathDDMEndpoint + "?json",
		"QMONIT_SOURCES_WLCG_FEDERATION_URL=" + b + PathFederation + "?json",
		"QMONIT_SOURCES_DATADISK_URL=" + b + PathMsearch,
		"QMONIT_SOURCES_DATADISK_BEARER_TOKEN=sim-token",
	}
}

// cycle is the index of the interval holding t.
func (g *Grid) cycle(t time.Time) int64 { return floorDiv(t.Unix(), g.ivSec) }

// cycleTime is the start of cycle c, in UTC.
func (g *Grid) cycleTime(c int64) time.Time { return time.Unix(c*g.ivSec, 0).UTC() }

// cycles converts a duration in hours to a whole number of cycles (>= 1).
func (g *Grid) cycles(hours float64) int64 {
	return max(1, int64(hours*3600/float64(g.ivSec)+0.5))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// requestTime is the time a request asks about: "at" or the clock.
func (g *Grid) requestTime(r *http.Request) (time.Time, error) {
	at := r.URL.Query().Get("at")
	if at == "" {
		return g.opts.Now(), nil
	}
	// An unescaped "+01:00" offset arrives as " 01:00".
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(at, " ", "+"))
	if err != nil {
		return time.Time{}, fmt.Errorf("parse at %q: %w", at, err)
	}
	return t, nil
}
