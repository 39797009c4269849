package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// filterSpan is how far back the filter choices are collected.
const filterSpan = day

type filtersAnswer struct {
	Dims         []dimJSON `json:"dims"`
	Ranges       []string  `json:"ranges"`
	DefaultGroup string    `json:"default_group"`
	DefaultRange string    `json:"default_range"`
}

type dimJSON struct {
	dim
	Values []string `json:"values"`
}

// apiFilters answers /api/qmonit/v1/filters: every dimension's values seen
// in the last 24 hours.
func (u *UI) apiFilters(r *http.Request) (any, error) {
	if err := noParams(r.URL.Query()); err != nil {
		return nil, err
	}
	now := u.o.Now()
	ans := filtersAnswer{Dims: make([]dimJSON, len(dims)), DefaultGroup: defaultGroup, DefaultRange: defaultRange}
	for _, p := range presetRanges {
		ans.Ranges = append(ans.Ranges, p.Name)
	}
	eg, ctx := errgroup.WithContext(r.Context())
	for i, d := range dims {
		eg.Go(func() error {
			vals, err := u.en.labelValues(ctx, metricJobs, d.Label, now.Add(-filterSpan), now)
			if vals == nil {
				vals = []string{}
			}
			ans.Dims[i] = dimJSON{dim: d, Values: vals}
			return err
		})
	}
	return ans, eg.Wait()
}

// apiStatus answers /api/qmonit/v1/status: how fresh the data is and
// whether sources fail.
func (u *UI) apiStatus(r *http.Request) (any, error) {
	if err := noParams(r.URL.Query()); err != nil {
		return nil, err
	}
	now := u.o.Now()
	st := u.b.Status()
	last := st.LastGoodCycle
	newest, err := u.newestData(r.Context(), now)
	if err != nil {
		return nil, err
	}
	if newest.After(last) {
		last = newest
	}
	return freshness(now, st, last, u.o.StaleAfter), nil
}

// newestData is the time of the newest queue description in the store
// (written with every good cycle and by a backfill), zero when none is
// within two days.
func (u *UI) newestData(ctx context.Context, now time.Time) (time.Time, error) {
	expr, err := u.en.parse(fmt.Sprintf("max(timestamp(%s))", metricQueueInfo), nil)
	if err != nil {
		return time.Time{}, err
	}
	s, err := u.en.instantQuery(ctx, expr, now, 2*day)
	if err != nil || len(s) == 0 || math.IsNaN(s[0].V) {
		return time.Time{}, err
	}
	return time.UnixMilli(int64(s[0].V * 1000)).UTC(), nil
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareString(a, b string) int { return strings.Compare(a, b) }

func nan() float64 { return math.NaN() }
