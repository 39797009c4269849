package tsdb

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/common/model"
	"io/fs"
	"iter"
	"math"
	"path/filepath"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/tsdb/index"
)

// Series is one series read by Select: its labels (sorted by name, __name__
// included) and its samples in time order, T in Unix milliseconds. The
// caller owns it.
type Series struct {
	Labels []Label
	T      []int64
	V      []float64
}

// Get returns the value of the label called name, or "".
func (s *Series) Get(name string) string {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// NameMatcher matches the series of one metric.
func NameMatcher(name string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, name)
}

// Select yields every series matching all matchers that has samples in
// [mint, maxt] (both inclusive), one at a time and in no particular order,
// so memory holds one series. It is meant for rebuilding state after a
// restart (moving averages, the absent tracker). Iteration stops at the
// first error, which is yielded with an empty Series. Safe for concurrent
// use with writes; the data is a consistent snapshot per series. Close
// waits for a running iteration: do not call it from the loop body.
func (s *Store) Select(ctx context.Context, mint, maxt time.Time, matchers ...*labels.Matcher) iter.Seq2[Series, error] {
	return func(yield func(Series, error) bool) {
		if len(matchers) == 0 {
			yield(Series{}, errors.New("select: no matchers"))
			return
		}
		s.life.RLock()
		defer s.life.RUnlock()
		if s.closed {
			yield(Series{}, ErrClosed)
			return
		}
		lo, hi := mint.UnixMilli(), maxt.UnixMilli()
		q, err := s.Queryable().Querier(lo, hi)
		if err != nil {
			yield(Series{}, fmt.Errorf("select: %w", err))
			return
		}
		defer q.Close()
		ss := q.Select(ctx, false, nil, matchers...)
		var it chunkenc.Iterator
		for ss.Next() {
			st := ss.At()
			out := Series{Labels: fromLabels(st.Labels())}
			it = st.Iterator(it)
			for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
				if t, v := it.At(); vt == chunkenc.ValFloat && t >= lo && t <= hi {
					out.T = append(out.T, t)
					out.V = append(out.V, v)
				}
			}
			if err := it.Err(); err != nil {
				yield(Series{}, fmt.Errorf("select %s: %w", st.Labels(), err))
				return
			}
			if len(out.T) > 0 && !yield(out, nil) {
				return
			}
		}
		if err := ss.Err(); err != nil {
			yield(Series{}, fmt.Errorf("select: %w", err))
		}
	}
}

func fromLabels(ls labels.Labels) []Label {
	out := make([]Label, 0, ls.Len())
	ls.Range(func(l labels.Label) { out = append(out, Label{l.Name, l.Value}) })
	return out
}

// DeleteBefore deletes the samples older than t of the series matching all
// matchers (at least one) and rewrites the blocks that held them, so the
// disk space is freed when it returns. It applies qmonit's per-metric
// retention (raw, 1h and 1d rollups); rewriting costs about one pass over
// the affected blocks, so call it about once a day, not per cycle.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time, matchers ...*labels.Matcher) error {
	if len(matchers) == 0 {
		return errors.New("delete: no matchers (refusing to delete every series)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.db.Delete(ctx, math.MinInt64, t.UnixMilli()-1, matchers...); err != nil {
		return fmt.Errorf("delete %v before %s: %w", matchers, t.UTC().Format(time.RFC3339), err)
	}
	if err := s.db.CleanTombstones(); err != nil {
		return fmt.Errorf("delete %v: %w", matchers, err)
	}
	return nil
}

// Stats describes the store's size.
type Stats struct {
	HeadSeries   uint64
	HeadSamples  uint64    // in-order head samples, counted at call time (approximate under writes)
	HeadMinTime  time.Time // zero when the head is empty
	HeadMaxTime  time.Time
	Blocks       int
	BlockSamples uint64
	DiskBytes    int64 // every file under the directory: blocks, WAL, head chunks
}

// Stats returns the store's current size, or zero Stats once closed. It
// walks the head's chunks (milliseconds for qmonit's ~100k series); call it
// at scrape or page rate, not per sample.
func (s *Store) Stats() Stats {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return Stats{}
	}
	h := s.db.Head()
	st := Stats{HeadSeries: h.NumSeries()}
	if mint, maxt := h.MinTime(), h.MaxTime(); mint != math.MaxInt64 && maxt != math.MinInt64 {
		st.HeadMinTime, st.HeadMaxTime = time.UnixMilli(mint).UTC(), time.UnixMilli(maxt).UTC()
		st.HeadSamples = headSamples(h, mint, maxt)
	}
	for _, b := range s.db.Blocks() {
		st.Blocks++
		st.BlockSamples += b.Meta().Stats.NumSamples
	}
	st.DiskBytes = dirBytes(s.dir)
	return st
}

// headSamples counts the samples in the head's in-order chunks.
func headSamples(h *tsdb.Head, mint, maxt int64) uint64 {
	rh := tsdb.NewRangeHead(h, mint, maxt)
	ir, err := rh.Index()
	if err != nil {
		return 0
	}
	defer ir.Close()
	cr, err := rh.Chunks()
	if err != nil {
		return 0
	}
	defer cr.Close()
	name, value := index.AllPostingsKey()
	p, err := ir.Postings(context.Background(), name, value)
	if err != nil {
		return 0
	}
	var (
		n     uint64
		b     labels.ScratchBuilder
		metas []chunks.Meta
	)
	for p.Next() {
		if ir.Series(p.At(), &b, &metas) != nil {
			continue // removed meanwhile
		}
		for _, m := range metas {
			if c, _, err := cr.ChunkOrIterable(m); err == nil && c != nil {
				n += uint64(c.NumSamples())
			}
		}
	}
	return n
}

func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // files come and go during compaction
		}
		if info, ierr := d.Info(); ierr == nil && !d.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}
