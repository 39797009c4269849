package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
)

//go:embed assets
var assetFS embed.FS

// Backend is what the UI reads from the collector besides the store. Both
// methods are called by HTTP handlers concurrently and must be safe for
// that; the returned values are owned by the caller (Status) or immutable
// (Snapshot).
type Backend interface {
	// Status returns the collector's state for the freshness banner.
	Status() Status
	// Snapshot returns the per-series snapshot published after the
	// latest cycle, or nil before the first one.
	Snapshot() *Snapshot
}

// Options configures the UI. Zero values mean the defaults.
type Options struct {
	// Interval is the collection interval (default 10m).
	Interval time.Duration
	// RawRetention is how long raw samples are kept (default 35d); older
	// ranges read rollups.
	RawRetention time.Duration
	// StaleAfter is the age of the newest data beyond which the banner
	// says the data is stale (default 2 intervals + 5 minutes).
	StaleAfter time.Duration
	// Lookback returns the lookback of an expression (the rollup lookback
	// for expressions reading rollups; 0 for the engine's default).
	Lookback func(parser.Expr) time.Duration
	// AnalysisLabel is the prod_source of analysis jobs (default "user"),
	// counted on the DAOD page.
	AnalysisLabel string
	// QueryTimeout bounds each query of a page's data (default 30s).
	QueryTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Minute
	}
	if o.RawRetention <= 0 {
		o.RawRetention = 35 * day
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 2*o.Interval + 5*time.Minute
	}
	if o.AnalysisLabel == "" {
		o.AnalysisLabel = "user"
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// UI serves the pages, their assets and the JSON API under /api/qmonit/v1/.
// Its handlers are safe for concurrent use.
type UI struct {
	b      Backend
	o      Options
	en     *engine
	logger *slog.Logger
	pages  map[string][]byte // rendered once: the pages hold no data
	assets map[string]asset  // by URL path
	cache  *answerCache      // Jobs Monitoring answers
}

// cacheBytes bounds the cached API answers (the largest, a week grouped by
// queue, is about 0.6 MB).
const cacheBytes = 32 << 20

type asset struct {
	body  []byte
	etag  string
	ctype string
}

// New builds the UI over the store's queryable and PromQL engine; the
// pages are rendered and the assets hashed once here.
func New(b Backend, q storage.Queryable, e *promql.Engine, o Options, logger *slog.Logger) (*UI, error) {
	o = o.withDefaults()
	u := &UI{
		b: b, o: o, logger: logger,
		en:    &engine{q: q, e: e, lookback: o.Lookback, parser: parser.NewParser(parser.Options{}), timeout: o.QueryTimeout},
		cache: newAnswerCache(cacheBytes, o.QueryTimeout),
	}
	var err error
	if u.pages, err = renderPages(); err != nil {
		return nil, err
	}
	if u.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	return u, nil
}

// Register adds the UI's routes to mux.
func (u *UI) Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", u.page("jobs"))
	mux.Handle("GET /suspicious", u.page("suspicious"))
	mux.Handle("GET /daod", u.page("daod"))
	mux.Handle("GET /queue/{name}", u.page("queue"))
	mux.Handle("GET /assets/", secure(http.HandlerFunc(u.serveAsset)))
	for p, fn := range map[string]apiFunc{
		"status":     u.apiStatus,
		"filters":    u.apiFilters,
		"jobs":       u.apiJobs,
		"suspicious": u.apiSuspicious,
		"daod":       u.apiDAOD,
		"queue":      u.apiQueue,
	} {
		mux.Handle("GET "+APIPrefix+p, secure(u.serveAPI(fn)))
	}
}

// APIPrefix is where the UI's JSON API lives.
const APIPrefix = "/api/qmonit/v1/"

// contentSecurityPolicy allows only this server's scripts, styles and
// images, no inline script or style element, no framing, no plugins.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secure adds the security headers every UI answer carries.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// page serves a rendered page. The queue page is the same document for
// every queue: its script reads the name from the URL.
func (u *UI) page(name string) http.Handler {
	body := u.pages[name]
	return secure(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	}))
}

// pageNames are the pages, each assets/pages/<name>.html, and their titles.
var pageNames = map[string]string{
	"jobs": "Jobs Monitoring", "suspicious": "Suspicious queues", "daod": "DAOD distribution", "queue": "Queue",
}

// pageData is what the page templates see: constants only, never data
// from upstream (the pages load their data through the API).
type pageData struct {
	Page, Title string
	Dims        []dim
	Ranges      []string
	QueueRanges []string
	Windows     []string
}

// renderPages executes every page template once.
func renderPages() (map[string][]byte, error) {
	tmpl, err := template.ParseFS(assetFS, "assets/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse page templates: %w", err)
	}
	ranges := make([]string, len(presetRanges))
	for i, r := range presetRanges {
		ranges[i] = r.Name
	}
	out := map[string][]byte{}
	for name, title := range pageNames {
		data := pageData{Page: name, Title: title, Dims: dims, Ranges: ranges, QueueRanges: []string{"24h", "7d", "30d"}, Windows: Windows[:]}
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, name+".html", data); err != nil {
			return nil, fmt.Errorf("render page %q: %w", name, err)
		}
		out[name] = buf.Bytes()
	}
	return out, nil
}

// loadAssets reads the static assets (everything but the page templates)
// and computes their ETags.
func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "assets/pages/") {
			return err
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js", ".mjs":
			ctype = "text/javascript; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		case "", ".LICENSE":
			ctype = "text/plain; charset=utf-8"
		}
		out["/"+p] = asset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load web assets: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("load web assets: none embedded")
	}
	return out, nil
}

// serveAsset serves an embedded asset with its ETag; browsers revalidate
// (304) instead of fetching again.
func (u *UI) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := u.assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
