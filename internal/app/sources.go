// Package app wires qmonit's packages into the commands (collect, sim,
// check-config, and later serve and demo) and owns their lifecycle. Nothing
// imports app, so a test can run a whole command with a context.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/qmonit/qmonit/internal/catalog"
	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/source"
	"github.com/qmonit/qmonit/internal/source/datadisk"
	"github.com/qmonit/qmonit/internal/source/panda"
)

// PandaSource is the source name of PanDA in logs and metrics.
const PandaSource = "panda"

// upstreams holds every configured source and the catalog they feed.
type upstreams struct {
	cfg     *config.Config
	tracker *source.Tracker
	panda   *panda.Client
	catalog *catalog.Catalog
}

func httpOptions(h config.HTTP) source.Options {
	return source.Options{
		Timeout:            time.Duration(h.Timeout),
		MaxBody:            h.MaxBodyBytes,
		Retries:            h.Retries,
		Backoff:            time.Duration(h.RetryBackoff),
		BearerToken:        h.BearerToken.Reveal(),
		CertFile:           h.CertFile,
		KeyFile:            h.KeyFile,
		ProxyFile:          h.ProxyFile,
		CADir:              h.CADir,
		CAFile:             h.CAFile,
		InsecureSkipVerify: h.InsecureSkipVerify,
		UserAgent:          "qmonit/" + Version,
	}
}

// newUpstreams builds the HTTP clients, the PanDA client and the catalog
// (with its cached copies loaded from the data directory).
func newUpstreams(cfg *config.Config, logger *slog.Logger, now func() time.Time) (*upstreams, error) {
	u := &upstreams{cfg: cfg, tracker: source.NewTracker(logger, now)}
	pc, err := source.NewClient(PandaSource, httpOptions(cfg.Sources.Panda.HTTP))
	if err != nil {
		return nil, err
	}
	u.panda = panda.New(cfg.Sources.Panda.URL, pc)

	dumps := map[string]catalog.Spec{}
	for name, ep := range map[string]config.Endpoint{
		catalog.PandaQueue:  cfg.Sources.CRIC.PandaQueue,
		catalog.Site:        cfg.Sources.CRIC.Site,
		catalog.DDMEndpoint: cfg.Sources.CRIC.DDMEndpoint,
		catalog.Federation:  cfg.Sources.WLCG.Federation,
	} {
		c, err := source.NewClient(name, httpOptions(ep.HTTP))
		if err != nil {
			return nil, err
		}
		dumps[name] = catalog.Spec{Every: time.Duration(ep.Refresh), Fetch: getFunc(c, ep.URL)}
	}
	if dd := cfg.Sources.DataDisk; dd.Enabled {
		c, err := source.NewClient(catalog.Datadisk, httpOptions(dd.HTTP))
		if err != nil {
			return nil, err
		}
		dumps[catalog.Datadisk] = catalog.Spec{Every: time.Duration(dd.Refresh), Fetch: datadisk.New(dd.URL, dd.Index, c).FetchRaw}
	}
	u.catalog = catalog.New(catalog.Options{
		Dir:   filepath.Join(cfg.DataDir, "catalog"),
		VO:    cfg.VO,
		Dumps: dumps,
		Run:   u.tracker.Run,
	}, logger.With("component", "catalog"))
	u.catalog.Load()
	return u, nil
}

func getFunc(c *source.Client, url string) catalog.FetchFunc {
	return func(ctx context.Context, _ time.Time) ([]byte, error) {
		return c.Do(ctx, source.Request{Method: http.MethodGet, URL: url, Header: http.Header{"Accept": {"application/json"}}})
	}
}

// fetchPanda fetches PanDA's answer for one cycle under the health wrapper.
func (u *upstreams) fetchPanda(ctx context.Context) (panda.Stats, error) {
	var stats panda.Stats
	err := u.tracker.Run(ctx, PandaSource, func(ctx context.Context) error {
		var err error
		stats, err = u.panda.Fetch(ctx, time.Duration(u.cfg.Interval))
		return err
	})
	if err != nil {
		return panda.Stats{}, err // already names the source and the URL
	}
	return stats, nil
}
