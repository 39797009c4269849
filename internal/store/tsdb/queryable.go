package tsdb

import (
	"context"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// queryable is the DB as a storage.Queryable whose selects never ask the
// library to trim chunks to the query range.
//
// Why: trimming adds the intervals [-inf, start) and (end, +inf) to a
// series' deletion intervals, and tombstones.Intervals.Add in v0.316.0
// indexes past the end of the slice when it adds an interval ending at
// +inf after an earlier one that reaches the query end. A series holding a
// tombstone at or after the end of a query (every value Replace changed)
// then panics the query. Untrimmed chunks only mean samples outside the
// range may come back; PromQL and Select bound every read by time anyway.
type queryable struct{ db *tsdb.DB }

func (q queryable) Querier(mint, maxt int64) (storage.Querier, error) {
	qr, err := q.db.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	return untrimmed{Querier: qr, mint: mint, maxt: maxt}, nil
}

type untrimmed struct {
	storage.Querier
	mint, maxt int64
}

func (q untrimmed) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	h := storage.SelectHints{Start: q.mint, End: q.maxt}
	if hints != nil {
		h = *hints
	}
	h.DisableTrimming = true
	return q.Querier.Select(ctx, sortSeries, &h, ms...)
}
