package promapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// minTime and maxTime are Prometheus' defaults for open time ranges
// (web/api/v1 MinTime and MaxTime); their millisecond timestamps fit int64.
var (
	minTime = time.Unix(math.MinInt64/1000+62135596801, 0).UTC()
	maxTime = time.Unix(math.MaxInt64/1000-62135596801, 999999999).UTC()

	minTimeFormatted = minTime.Format(time.RFC3339Nano)
	maxTimeFormatted = maxTime.Format(time.RFC3339Nano)
)

// parseTime accepts RFC 3339 or Unix seconds as a float, like Prometheus,
// but also rejects NaN, infinities and times outside [minTime, maxTime],
// whose conversion to int64 milliseconds would overflow.
func parseTime(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || f < float64(minTime.Unix()) || f > float64(maxTime.Unix()) {
			return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
		}
		sec, frac := math.Modf(f)
		frac = math.Round(frac*1000) / 1000
		return time.Unix(int64(sec), int64(frac*float64(time.Second))).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// time.Parse handles four-digit years only; accept the boundaries anyway,
	// as clients echo them back (prometheus/client_golang#614).
	switch s {
	case minTimeFormatted:
		return minTime, nil
	case maxTimeFormatted:
		return maxTime, nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
}

// timeParam parses the optional form value name, def when absent.
func timeParam(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := r.Form.Get(name)
	if v == "" {
		return def, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, invalidParam(name, err)
	}
	return t, nil
}

// timeRange parses the optional start and end of the series and label
// endpoints, all time by default.
func timeRange(r *http.Request) (start, end time.Time, err error) {
	if start, err = timeParam(r, "start", minTime); err != nil {
		return start, end, err
	}
	if end, err = timeParam(r, "end", maxTime); err != nil {
		return start, end, err
	}
	return start, end, nil
}

// parseDuration accepts a Prometheus duration ("1h30m") or float seconds.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		ns := f * float64(time.Second)
		// float64(math.MaxInt64) is 2^63, which int64 cannot hold; NaN fails every comparison.
		if math.IsNaN(ns) || ns >= float64(math.MaxInt64) || ns < float64(math.MinInt64) {
			return 0, fmt.Errorf("cannot parse %q to a valid duration. It overflows int64", s)
		}
		return time.Duration(ns), nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
}

// limitParam parses the optional limit; 0 means no limit.
func limitParam(r *http.Request) (int, error) {
	s := r.Form.Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalidParam("limit", err)
	}
	if n < 0 {
		return 0, invalidParam("limit", errors.New("limit must be non-negative"))
	}
	return n, nil
}

// hintLimit asks the store for one more than limit so that truncation can be
// reported; 0 stays unlimited.
func hintLimit(limit int) int {
	if limit > 0 && limit < math.MaxInt {
		return limit + 1
	}
	return limit
}

// matchers parses match[] values; each set must contain a matcher that does
// not match the empty string, or it would select every series.
func (a *API) matchers(values []string) ([][]*labels.Matcher, error) {
	sets, err := a.parser.ParseMetricSelectors(values)
	if err != nil {
		return nil, invalidParam("match[]", err)
	}
	for _, set := range sets {
		if !hasNonEmptyMatcher(set) {
			return nil, badData(errors.New("match[] must contain at least one non-empty matcher"))
		}
	}
	return sets, nil
}

func hasNonEmptyMatcher(set []*labels.Matcher) bool {
	for _, m := range set {
		if m != nil && !m.Matches("") {
			return true
		}
	}
	return false
}
