package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/point"
)

// CollectOptions configures one `qmonit collect --once` run.
type CollectOptions struct {
	Config *config.Config
	At     time.Time // cycle time; zero means now
	Output string    // "json" or "lp"
	Stdout io.Writer
	Logger *slog.Logger
	Now    func() time.Time // nil means time.Now
}

// Collect runs one cycle and writes its points to o.Stdout. On failure it
// writes no point and returns an error naming the source and the reason.
func Collect(ctx context.Context, o CollectOptions) error {
	var appendPoint func([]byte, *point.Point) []byte
	switch o.Output {
	case "json", "":
		appendPoint = point.AppendJSON
	case "lp":
		appendPoint = point.AppendLineProtocol
	default:
		return fmt.Errorf("--output: %q is not json or lp", o.Output)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	at := o.At
	if at.IsZero() {
		at = now()
	}
	u, err := newUpstreams(o.Config, o.Logger, now)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Config.EffectiveCycleTimeout())
	defer cancel()
	res, err := u.runCycle(ctx, at, o.Logger)
	deliverToSinks(ctx, o.Config, o.Logger, res, err == nil)
	if err != nil {
		return err
	}
	// Encode everything before writing, so a failure never leaves partial output.
	buf := make([]byte, 0, len(res.Points)*600)
	for i := range res.Points {
		buf = appendPoint(buf, &res.Points[i])
		buf = append(buf, '\n')
	}
	w := bufio.NewWriterSize(o.Stdout, 1<<16)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write points: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write points: %w", err)
	}
	o.Logger.Info("cycle collected", "time", res.Time.Format(time.RFC3339), "points", len(res.Points),
		"unknown_queues", len(res.Unknown), "bad_records", res.Stats.BadTotal, "endpoint", res.Stats.Endpoint)
	return nil
}

// deliverToSinks spools this run's points (when the cycle succeeded) and
// replays every sink's backlog, oldest first, so what earlier cron runs
// could not deliver goes first. Failures are logged; the batches stay
// spooled for the next run.
func deliverToSinks(ctx context.Context, cfg *config.Config, logger *slog.Logger, res CycleResult, ok bool) {
	sinks, err := newSinks(cfg, logger, nil)
	if err != nil {
		logger.Error("sinks unavailable", "err", err)
		return
	}
	for _, s := range sinks {
		if ok && len(res.Points) > 0 {
			if err := s.enqueue(&sinkCycle{points: res.Points}); err != nil {
				logger.Error("sink enqueue failed", "sink", s.name, "err", err)
				continue
			}
		}
		_ = s.replay(ctx) // a failure is logged by replay; the backlog stays
	}
}
