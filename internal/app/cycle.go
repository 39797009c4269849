package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/qmonit/qmonit/internal/catalog"
	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/source/panda"
)

// maxLogged bounds how many names one log line lists.
const maxLogged = 10

// CycleResult is what one cycle produced, for the writers and for metrics.
type CycleResult struct {
	enrich.Result
	Stats panda.Stats // PanDA's decoded answer (entries, bad records)
	// Empty is true when PanDA answered with zero queues: a valid but
	// suspicious answer; nothing is written.
	Empty bool
}

// runCycle fetches PanDA's answer and refreshes the catalog concurrently,
// then enriches. It fails when PanDA's answer is unusable or there is no
// pandaqueue metadata at all; the error names the source.
func (u *upstreams) runCycle(ctx context.Context, at time.Time, logger *slog.Logger) (CycleResult, error) {
	var (
		stats  panda.Stats
		catErr error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		stats, err = u.fetchPanda(gctx)
		return err
	})
	g.Go(func() error {
		catErr = u.catalog.Refresh(gctx, at)
		return nil // the catalog falls back to cached copies; judged below
	})
	if err := g.Wait(); err != nil {
		return CycleResult{}, err
	}
	if errors.Is(catErr, catalog.ErrNoQueues) {
		reason := ""
		if st, ok := u.tracker.Status(catalog.PandaQueue); ok && st.LastError != "" {
			reason = ": " + st.LastError
		}
		return CycleResult{}, fmt.Errorf("source %s: %w%s", catalog.PandaQueue, catErr, reason)
	}
	logSkipped(logger, stats)
	if len(stats.Entries) == 0 {
		logger.Warn("PanDA answered with no usable entries; nothing written",
			"queues", stats.Queues, "bad", stats.BadTotal, "endpoint", stats.Endpoint)
		return CycleResult{Stats: stats, Empty: true, Result: enrich.Result{Time: point.Floor(at, time.Duration(u.cfg.Interval))}}, nil
	}
	res := enrich.Enrich(stats, u.catalog.Index(), at, time.Duration(u.cfg.Interval))
	if len(res.Unknown) > 0 {
		logger.Warn("queues without CRIC pandaqueue metadata kept with \"No value\" attributes",
			"count", len(res.Unknown), "queues", res.Unknown[:min(len(res.Unknown), maxLogged)])
	}
	return CycleResult{Result: res, Stats: stats}, nil
}

func logSkipped(logger *slog.Logger, stats panda.Stats) {
	if len(stats.Bad) > 0 {
		shown := make([]string, 0, maxLogged)
		for _, b := range stats.Bad[:min(len(stats.Bad), maxLogged)] {
			shown = append(shown, fmt.Sprintf("%s %s: %s", b.Queue, b.Path, b.Reason))
		}
		logger.Warn("PanDA records skipped", "count", stats.BadTotal, "first", shown)
	}
	if stats.Duplicates > 0 {
		logger.Warn("PanDA answer has duplicate keys; the last value of each was used", "count", stats.Duplicates)
	}
}
