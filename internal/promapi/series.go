package promapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/timestamp"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// checkContextEvery is how many series the series endpoint reads between
// checks of the request context.
const checkContextEvery = 128

var errTruncated = errors.New("results truncated due to limit")

// lookup holds the parameters shared by the series and label endpoints.
type lookup struct {
	ctx    context.Context
	cancel context.CancelFunc
	sets   [][]*labels.Matcher
	limit  int
	q      storage.Querier
	mint   int64
	maxt   int64
}

// openLookup parses limit, start, end and match[] and opens a querier over
// the range. The caller closes l.q (or hands it to the wrapper) and calls
// l.cancel.
func (a *API) openLookup(r *http.Request) (*lookup, error) {
	limit, err := limitParam(r)
	if err != nil {
		return nil, err
	}
	start, end, err := timeRange(r)
	if err != nil {
		return nil, err
	}
	sets, err := a.matchers(r.Form["match[]"])
	if err != nil {
		return nil, err
	}
	l := &lookup{sets: sets, limit: limit, mint: timestamp.FromTime(start), maxt: timestamp.FromTime(end)}
	l.q, err = a.q.Querier(l.mint, l.maxt)
	if err != nil {
		return nil, classify(fmt.Errorf("open querier: %w", err))
	}
	l.ctx, l.cancel = context.WithTimeout(r.Context(), a.opts.Timeout)
	return l, nil
}

// series serves /api/v1/series: match[] (required), start, end, limit.
// At most Options.MaxSeries series are returned, with a warning when cut.
func (a *API) series(r *http.Request) (res result, err error) {
	if len(r.Form["match[]"]) == 0 {
		return result{}, badData(errors.New("no match[] parameter provided"))
	}
	l, err := a.openLookup(r)
	if err != nil {
		return result{}, err
	}
	defer l.cancel()
	defer closeUnlessHandedOff(&res, l.q)
	limit := l.limit
	if limit == 0 || limit > a.opts.MaxSeries {
		limit = a.opts.MaxSeries
	}
	hints := &storage.SelectHints{Start: l.mint, End: l.maxt, Func: "series", Limit: hintLimit(limit)}
	var set storage.SeriesSet
	if len(l.sets) == 1 {
		set = l.q.Select(l.ctx, false, hints, l.sets[0]...)
	} else {
		sets := make([]storage.SeriesSet, 0, len(l.sets))
		for _, ms := range l.sets {
			// Sorted, so the merge can drop duplicates.
			sets = append(sets, l.q.Select(l.ctx, true, hints, ms...))
		}
		set = storage.NewMergeSeriesSet(sets, 0, storage.ChainedSeriesMerge)
	}
	metrics, warnings, err := readSeries(l.ctx, set, limit)
	if err != nil {
		return result{}, err
	}
	return result{data: metrics, warnings: warnings, close: func() { _ = l.q.Close() }}, nil
}

// readSeries collects the label sets of set, at most limit of them.
func readSeries(ctx context.Context, set storage.SeriesSet, limit int) ([]labels.Labels, annotations.Annotations, error) {
	metrics := []labels.Labels{}
	for i := 1; set.Next(); i++ {
		if i%checkContextEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, classify(err)
			}
		}
		if len(metrics) == limit {
			warnings := set.Warnings()
			warnings.Add(errTruncated)
			return metrics, warnings, nil
		}
		metrics = append(metrics, set.At().Labels())
	}
	if err := set.Err(); err != nil {
		return nil, nil, classify(fmt.Errorf("select series: %w", err))
	}
	return metrics, set.Warnings(), nil
}

// labelNames serves /api/v1/labels: match[], start, end, limit.
func (a *API) labelNames(r *http.Request) (res result, err error) {
	l, err := a.openLookup(r)
	if err != nil {
		return result{}, err
	}
	defer l.cancel()
	defer closeUnlessHandedOff(&res, l.q)
	hints := &storage.LabelHints{Limit: hintLimit(l.limit)}
	names, warnings, err := collectSorted(l, func(ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return l.q.LabelNames(l.ctx, hints, ms...)
	})
	if err != nil {
		return result{}, err
	}
	return result{data: names, warnings: warnings, close: func() { _ = l.q.Close() }}, nil
}

// labelValues serves /api/v1/label/{name}/values: match[], start, end, limit.
// Names that are not valid UTF-8 label names may come U__-escaped.
func (a *API) labelValues(r *http.Request) (res result, err error) {
	name := r.PathValue("name")
	if strings.HasPrefix(name, "U__") {
		name = model.UnescapeName(name, model.ValueEncodingEscaping)
	}
	if !model.UTF8Validation.IsValidLabelName(name) {
		return result{}, badData(fmt.Errorf("invalid label name: %q", name))
	}
	l, err := a.openLookup(r)
	if err != nil {
		return result{}, err
	}
	defer l.cancel()
	defer closeUnlessHandedOff(&res, l.q)
	hints := &storage.LabelHints{Limit: hintLimit(l.limit)}
	vals, warnings, err := collectSorted(l, func(ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return l.q.LabelValues(l.ctx, name, hints, ms...)
	})
	if err != nil {
		return result{}, err
	}
	return result{data: vals, warnings: warnings, close: func() { _ = l.q.Close() }}, nil
}

// collectSorted calls get once per matcher set (once without matchers when
// there are none), merges the answers, sorts them and applies the limit.
func collectSorted(l *lookup, get func([]*labels.Matcher) ([]string, annotations.Annotations, error)) ([]string, annotations.Annotations, error) {
	sets := l.sets
	if len(sets) == 0 {
		sets = [][]*labels.Matcher{nil}
	}
	var warnings annotations.Annotations
	seen := map[string]struct{}{}
	out := []string{}
	for _, ms := range sets {
		vals, w, err := get(ms)
		if err != nil {
			return nil, nil, classify(err)
		}
		warnings.Merge(w)
		for _, v := range vals {
			if _, ok := seen[v]; !ok {
				seen[v] = struct{}{}
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	if l.limit > 0 && len(out) > l.limit {
		out = out[:l.limit]
		warnings.Add(errTruncated)
	}
	return out, warnings, nil
}

// closeUnlessHandedOff closes q when the handler did not hand it to the
// wrapper, which includes returning an error or panicking.
func closeUnlessHandedOff(res *result, q storage.Querier) {
	if res.close == nil {
		_ = q.Close()
	}
}
