package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/sim"
)

// BenchmarkHistoryCycles measures generating one simulated history cycle
// (sim answer, enrichment, rollups, queue metadata) for the default grid,
// the part of demo's backfill that runs before the store.
func BenchmarkHistoryCycles(b *testing.B) {
	u := simCatalog(b)
	grid := sim.New(sim.Options{Seed: 1, Queues: 1000})
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for c, err := range historyCycles(grid, u.catalog.Index(), u.catalog.Datadisks(), simTime, 12, 10*time.Minute, 24*time.Hour) {
			if err != nil {
				b.Fatal(err)
			}
			n += len(c.Points)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*12), "ms/cycle")
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// simCatalog returns upstreams whose catalog holds the default simulated
// grid's CRIC dumps.
func simCatalog(b *testing.B) *upstreams {
	b.Helper()
	_, cfg := simConfig(b, 1000, nil)
	u, err := newUpstreams(cfg, discardLogger(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	if err := u.catalog.Refresh(context.Background(), simTime); err != nil {
		b.Fatal(err)
	}
	return u
}
