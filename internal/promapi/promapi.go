// Package promapi owns qmonit's Prometheus-compatible HTTP API (/api/v1/...)
// over the embedded store: instant and range PromQL queries, series, label
// names and label values, plus the minimal status, metadata and exemplar
// answers that Grafana's Prometheus data source and promtool expect.
//
// Parameter names, formats, JSON envelope, error types and status codes follow
// Prometheus' web/api/v1 (https://prometheus.io/docs/prometheus/latest/querying/api/);
// this package reimplements the subset qmonit needs instead of importing
// web/api/v1, which drags in the whole Prometheus server.
package promapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultMaxRange  = 400 * 24 * time.Hour
	DefaultMaxPoints = 11000
	DefaultMaxSeries = 100000
	DefaultTimeout   = 2 * time.Minute

	// maxFormBytes caps the body of a POST form request.
	maxFormBytes = 1 << 20
)

// Options limits and describes the API. Zero fields take the defaults above.
type Options struct {
	// MaxRange is the longest end-start accepted by /api/v1/query_range.
	MaxRange time.Duration
	// MaxPoints is the most points per series a range query may return,
	// (end-start)/step, like Prometheus' fixed 11,000.
	MaxPoints int
	// MaxSeries caps the answer of /api/v1/series; longer answers are
	// truncated with a warning, as with the limit parameter.
	MaxSeries int
	// Timeout is the longest a request may run; the timeout parameter can
	// only shorten it.
	Timeout time.Duration
	// Version and Revision are reported by /api/v1/status/buildinfo.
	Version, Revision string
	// LookbackDelta, when positive, is the lookback delta of queries that do
	// not set the lookback_delta parameter; zero leaves the engine's default.
	// Series and label endpoints default to all time, as in Prometheus.
	LookbackDelta time.Duration
	// LookbackFor, when set, picks the lookback delta of a query that does
	// not set the lookback_delta parameter, from its parsed expression; 0
	// keeps LookbackDelta. qmonit uses it so series written once per hour or
	// day (rollups) are found between their samples.
	LookbackFor func(expr parser.Expr) time.Duration
}

// API serves the Prometheus-compatible endpoints. Its handlers are safe for
// concurrent use; the Queryable and Engine must be too.
type API struct {
	q       storage.Queryable
	engine  *promql.Engine
	opts    Options
	logger  *slog.Logger
	parser  parser.Parser
	metrics *metrics
	now     func() time.Time
	started time.Time
}

// New returns an API reading from q and evaluating PromQL with engine.
// A nil logger discards log output. The engine should set
// NoStepSubqueryIntervalFn (Prometheus uses its evaluation interval, 1m by
// default): without it a subquery with no step ("x[1h:]") panics inside the
// engine, which the API answers as 500 internal.
func New(q storage.Queryable, engine *promql.Engine, o Options, logger *slog.Logger) *API {
	if o.MaxRange <= 0 {
		o.MaxRange = DefaultMaxRange
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.MaxSeries <= 0 {
		o.MaxSeries = DefaultMaxSeries
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &API{
		q:       q,
		engine:  engine,
		opts:    o,
		logger:  logger,
		parser:  parser.NewParser(parser.Options{}),
		metrics: newMetrics(),
		now:     time.Now,
		started: time.Now(),
	}
}

// route is one endpoint; path doubles as the metrics label, so it must stay
// a pattern, never a concrete URL.
type route struct {
	methods []string
	path    string
	fn      apiFunc
}

func (a *API) routes() []route {
	getPost := []string{http.MethodGet, http.MethodPost}
	get := []string{http.MethodGet}
	return []route{
		{getPost, "/api/v1/query", a.query},
		{getPost, "/api/v1/query_range", a.queryRange},
		{getPost, "/api/v1/series", a.series},
		{getPost, "/api/v1/labels", a.labelNames},
		{get, "/api/v1/label/{name}/values", a.labelValues},
		{getPost, "/api/v1/query_exemplars", a.queryExemplars},
		{get, "/api/v1/metadata", a.metadata},
		{get, "/api/v1/status/buildinfo", a.buildInfo},
		{get, "/api/v1/status/runtimeinfo", a.runtimeInfo},
		{get, "/api/v1/status/flags", a.flags},
		{get, "/api/v1/rules", a.rules},
		{get, "/api/v1/alerts", a.alerts},
	}
}

// Register adds the endpoints to mux with method patterns
// ("GET /api/v1/query", "POST /api/v1/query", ...). Other methods on a known
// path get 405 with an Allow header (clients such as promtool then retry a
// POST as GET); unknown paths under /api/v1/ get a JSON 404 not_found.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		h := a.wrap(rt.path, rt.fn)
		for _, m := range rt.methods {
			mux.Handle(m+" "+rt.path, h)
		}
		mux.Handle(rt.path, a.methodNotAllowed(rt.path, rt.methods))
	}
	mux.Handle("/api/v1/", a.wrap("/api/v1/", notFound))
}

// Collector returns the API's request metrics:
// qmonit_api_requests_total{path,code} and
// qmonit_api_request_duration_seconds{path}.
func (a *API) Collector() prometheus.Collector {
	return a.metrics
}
