package app

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/web"
)

// registerWeb adds the web UI (pages, assets, /api/qmonit/v1/ except
// incidents) to mux.
func (d *daemon) registerWeb(mux *http.ServeMux) {
	iv := time.Duration(d.cfg.Interval)
	ui, err := web.New(webBackend{d}, d.store.Queryable(), d.store.Engine(), web.Options{
		Interval:     iv,
		RawRetention: time.Duration(d.cfg.Storage.Retention.Raw),
		StaleAfter:   2*iv + time.Duration(d.cfg.CycleOffset) + 5*time.Minute,
		Lookback:     func(e parser.Expr) time.Duration { return rollupLookback(e, iv) },
	}, d.logger.With("component", "web"))
	if err != nil {
		// The pages and assets are embedded: failing here is a build defect.
		panic("BUG: web UI: " + err.Error())
	}
	ui.Register(mux)
	d.ui = ui
}

// warmRanges are the Jobs Monitoring views computed after every good cycle
// (the page's default view), so browsers find them cached.
var warmRanges = []string{"24h", "7d"}

// warmWeb recomputes the default views after every good cycle until ctx
// is done. It runs beside the cycles, never delaying them; a cycle that
// ends while a warm-up runs is picked up after it.
func (d *daemon) warmWeb(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.warm:
		}
		if ui := d.ui; ui != nil {
			ui.Warm(ctx, warmRanges...)
		}
	}
}

// kickWarm asks warmWeb for a warm-up without waiting.
func (d *daemon) kickWarm() {
	select {
	case d.warm <- struct{}{}:
	default:
	}
}

// publishWeb snapshots the moving averages and the latest counts for the
// UI (Suspicious queues, queue pages). It reads the Averager and the
// latest points, so it must run where they are owned: in the cycle
// goroutine after d.avg.Observe in writeCycle, and at the end of rebuild
// (before cycles start), so a restarted or backfilled daemon shows
// averages at once. It costs about one pass over the series.
func (d *daemon) publishWeb() {
	now, ok := d.avg.Now()
	if !ok {
		return
	}
	rows := make([]web.SeriesRow, 0, d.avg.Len())
	for k, av := range d.avg.All() {
		r := web.SeriesRow{Queue: k.Queue, ProdSource: k.ProdSource, Resource: k.Resource, Status: k.Status,
			Cloud: point.NoValue, Site: point.NoValue, SiteState: point.NoValue}
		if p, ok := d.latest[k]; ok {
			if p.Attrs != nil {
				r.Cloud, r.Site, r.SiteState = p.Attrs[point.Cloud], p.Attrs[point.AtlasSite], p.Attrs[point.SiteState]
			}
			if p.Time.Equal(now) {
				r.Current, r.Present = float64(p.Jobs), true
			}
		}
		for w := derive.Window(0); w < derive.NumWindows && int(w) < web.NumWindows; w++ {
			a := av.Of[w]
			r.Avg[w] = web.Average{Mean: a.Mean, Samples: a.Samples, Coverage: a.Coverage}
		}
		rows = append(rows, r)
	}
	web.SortRows(rows)
	d.webSnap.Store(&web.Snapshot{Time: now, Rows: rows})
}

// webBackend is the daemon as the UI sees it.
type webBackend struct{ d *daemon }

// Status implements web.Backend.
func (b webBackend) Status() web.Status {
	st := *b.d.status.Load()
	up := b.d.up()
	out := web.Status{LastCycle: st.LastCycle, LastGoodCycle: st.LastGoodCycle, LastError: st.LastError,
		CatalogAges: up.catalog.Ages(time.Now())}
	for _, s := range up.tracker.Snapshot() {
		out.Sources = append(out.Sources, web.SourceStatus{Name: s.Name, Up: s.Up, LastSuccess: s.LastSuccess,
			LastError: s.LastError, ConsecutiveFailures: s.ConsecutiveFailures})
	}
	return out
}

// Snapshot implements web.Backend.
func (b webBackend) Snapshot() *web.Snapshot { return b.d.webSnap.Load() }
