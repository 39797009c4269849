package tsdb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// Replace writes samples whose (series, time) may already hold a value, such
// as a re-rolled bucket: afterwards, and after a restart, queries return the
// new values. Other series keep their values. Samples may be of any age.
//
// The library cannot overwrite a sample: the head rejects a different value
// at its newest timestamp, silently drops one that clashes in the
// out-of-order head, and a second copy elsewhere makes queries pick either.
// Deleting first does not work inside the head either, because a head
// tombstone also hides samples appended after it. So Replace, for each metric
// name in samples and each of its timestamps t:
//
//  1. flushes the out-of-order head to blocks if it overlaps the samples
//     (head deletion does not reach out-of-order samples);
//  2. reads the values at t of the metric's series that are not replaced;
//  3. writes the new values plus those kept ones into a new block in staging;
//  4. deletes name{} at [t, t] everywhere (tombstones in the head and blocks)
//     if step 2 found any stored value at t;
//  5. moves the new block in and loads it. Tombstones never apply across
//     blocks, so the new block's values are the only ones left at t.
//
// Between steps 4 and 5 a query may miss the values at t, and a crash there
// loses them (the caller re-rolls them after restart). A later Append of a
// replaced metric at a replaced timestamp stays hidden by the tombstone in
// the head: write such values with Replace again. In the head, series of
// the metric whose samples do not span t get an inverted (empty) deletion
// interval. The library's interval merge assumes sorted intervals; in
// randomised checks it stayed exact for point deletions on a bucket grid,
// but could drop one when a DeleteBefore range also reaches into the head
// (qmonit's retentions, 35 days and more, never do). Cost: one block and
// one delete per distinct timestamp and metric; meant for rollup buckets,
// not for bulk raw data.
func (s *Store) Replace(ctx context.Context, samples []Sample) (err error) {
	if len(samples) == 0 {
		return nil
	}
	groups, all, err := groupReplace(samples)
	if err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	mint, maxt := all[0].t, all[len(all)-1].t
	if h := s.db.Head(); h.MinOOOTime() <= maxt && h.MaxOOOTime() >= mint {
		if err := s.reload(ctx); err != nil {
			return fmt.Errorf("replace: flush out-of-order head: %w", err)
		}
	}
	for _, g := range groups {
		if all, err = s.keep(ctx, g, all); err != nil {
			return fmt.Errorf("replace: %w", err)
		}
	}
	staging, err := s.stage()
	if err != nil {
		return err
	}
	defer func() {
		if rerr := os.RemoveAll(staging); rerr != nil {
			err = errors.Join(err, fmt.Errorf("replace: remove staging: %w", rerr))
		}
	}()
	if err := writeReplaced(ctx, s, staging, all); err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	// From the first delete on, finish even if ctx is cancelled: stopping
	// half-way would leave timestamps with neither the old nor the new values.
	ctx = context.WithoutCancel(ctx)
	if err := s.deleteStored(ctx, groups); err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	if _, err := s.install(ctx, staging); err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	return nil
}

// deleteStored deletes each group's metric at each of its timestamps that
// holds a stored value (none: no delete, so no tombstones for nothing).
func (s *Store) deleteStored(ctx context.Context, groups map[string]*replaceGroup) error {
	for _, g := range groups {
		for t, stored := range g.times {
			if !stored {
				continue
			}
			if err := s.db.Delete(ctx, t, t, g.matcher); err != nil {
				return fmt.Errorf("delete %s at %s: %w", g.name, time.UnixMilli(t).UTC().Format(time.RFC3339), err)
			}
		}
	}
	return nil
}

// replaced is one sample to write, with its series.
type replaced struct {
	e *seriesRef
	t int64
	v float64
}

// replaceGroup is the part of a Replace for one metric name.
type replaceGroup struct {
	name       string
	matcher    *labels.Matcher
	times      map[int64]bool      // true once a stored value is found there
	keys       map[string]struct{} // series label bytes + "@" + time
	mint, maxt int64
}

// groupReplace validates samples, groups them by metric name and returns
// them sorted by time. A (series, time) given twice keeps the last value.
func groupReplace(samples []Sample) (map[string]*replaceGroup, []replaced, error) {
	refs := newSampleRefs()
	groups := make(map[string]*replaceGroup)
	var all []replaced
	index := make(map[string]int)
	for i := range samples {
		sm := &samples[i]
		if sm.T.IsZero() {
			return nil, nil, fmt.Errorf("sample %q %v has no time", sm.Name, sm.Labels)
		}
		e, err := refs.lookup(sm)
		if err != nil {
			return nil, nil, err
		}
		g := groups[sm.Name]
		if g == nil {
			g = &replaceGroup{name: sm.Name, matcher: NameMatcher(sm.Name), times: make(map[int64]bool),
				keys: make(map[string]struct{}), mint: math.MaxInt64, maxt: math.MinInt64}
			groups[sm.Name] = g
		}
		t := sm.T.UnixMilli()
		k := seriesAt(e.lset, t)
		if j, ok := index[k]; ok {
			all[j].v = sm.V
			continue
		}
		index[k] = len(all)
		g.keys[k] = struct{}{}
		g.times[t] = false
		g.mint, g.maxt = min(g.mint, t), max(g.maxt, t)
		all = append(all, replaced{e: &e.seriesRef, t: t, v: sm.V})
	}
	slices.SortStableFunc(all, func(a, b replaced) int { return cmp.Compare(a.t, b.t) })
	return groups, all, nil
}

func seriesAt(lset labels.Labels, t int64) string {
	return fmt.Sprintf("%s@%d", lset.Bytes(nil), t)
}

// keep appends to all the current values of g's metric at g's timestamps
// for series that are not being replaced, so the delete does not lose them,
// and returns all sorted by time again.
func (s *Store) keep(ctx context.Context, g *replaceGroup, all []replaced) ([]replaced, error) {
	q, err := s.Queryable().Querier(g.mint, g.maxt)
	if err != nil {
		return all, fmt.Errorf("query %s: %w", g.name, err)
	}
	defer q.Close()
	n := len(all)
	ss := q.Select(ctx, false, nil, g.matcher)
	var it chunkenc.Iterator
	for ss.Next() {
		series := ss.At()
		var e *seriesRef
		it = series.Iterator(it)
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			if vt != chunkenc.ValFloat {
				continue
			}
			t, v := it.At()
			if _, ok := g.times[t]; !ok {
				continue
			}
			g.times[t] = true
			if _, ok := g.keys[seriesAt(series.Labels(), t)]; ok {
				continue
			}
			if e == nil {
				e = &seriesRef{lset: series.Labels()}
			}
			all = append(all, replaced{e: e, t: t, v: v})
		}
		if err := it.Err(); err != nil {
			return all, fmt.Errorf("query %s: %w", g.name, err)
		}
	}
	if err := ss.Err(); err != nil {
		return all, fmt.Errorf("query %s: %w", g.name, err)
	}
	if len(all) > n {
		slices.SortStableFunc(all, func(a, b replaced) int { return cmp.Compare(a.t, b.t) })
	}
	return all, nil
}

// writeReplaced writes all (sorted by time) into blocks under staging.
func writeReplaced(ctx context.Context, s *Store, staging string, all []replaced) error {
	sink := newBlockSink(ctx, s.logger.With("component", "replace"), staging)
	for _, r := range all {
		if err := sink.add(r.e, r.t, r.v); err != nil {
			sink.abort()
			return err
		}
	}
	return sink.finish()
}
