package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/qmonit/qmonit/internal/config"
)

// RunCycles opens the daemon for cfg as serve does (embedded store, SQL
// snapshot, external sinks with their spools, derived state rebuilt from the
// store), runs the real cycle at each of times, in order, delivering every
// sink's backlog after each cycle, and closes. before, when set, is called
// with each cycle time first, so a simulated grid's clock can follow.
//
// It exists so tests and benchmarks outside this package (the dashboards'
// queries against VictoriaMetrics and InfluxDB) can feed external engines
// with hours of simulated history through the production cycle and sink
// path, faster than real time. It returns the first failed cycle or the
// first sink that could not deliver.
func RunCycles(ctx context.Context, cfg *config.Config, logger *slog.Logger, times []time.Time, before func(time.Time)) (err error) {
	if len(times) == 0 {
		return nil
	}
	d, err := openDaemon(ctx, cfg, logger, time.Now)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.rebuild(ctx, times[0]); err != nil {
		return fmt.Errorf("rebuild from store: %w", err)
	}
	for _, at := range times {
		if before != nil {
			before(at)
		}
		d.cycle(ctx, at)
		if st := d.status.Load(); st.LastError != "" {
			return fmt.Errorf("cycle %s: %s", at.Format(time.RFC3339), st.LastError)
		}
		var errs []error
		for _, s := range d.sinks {
			if err := s.replay(ctx); err != nil {
				errs = append(errs, fmt.Errorf("sink %s: %w", s.name, err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("cycle %s: %w", at.Format(time.RFC3339), err)
		}
	}
	return nil
}
