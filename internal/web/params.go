package web

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what a page may ask for; every parameter is untrusted.
const (
	maxValueLen     = 256       // bytes of one filter value or queue name
	maxValuesPerDim = 500       // values of one filter
	maxFilterBytes  = 64 << 10  // all filter values together
	maxSpan         = 400 * day // custom range
	day             = 24 * time.Hour
)

// dim is one filter / group-by dimension of the Jobs Monitoring page: its
// name in URLs and the store label it reads.
type dim struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Title string `json:"title"`
}

// dims are the filters and group-by choices, in the order the page shows.
var dims = []dim{
	{"cloud", "cloud", "Cloud"},
	{"site", "atlas_site", "Site"},
	{"queue", "panda_queue", "Queue"},
	{"prod_source", "prod_source", "Label"},
	{"resource", "resource", "Resource"},
	{"job_status", "job_status", "Job state"},
	{"tier", "tier", "Tier"},
	{"type", "type", "Queue type"},
	{"site_state", "site_state", "CRIC status"},
}

// defaultGroup is the group-by of a page opened without one.
const defaultGroup = "cloud"

func dimByName(name string) (dim, bool) {
	i := slices.IndexFunc(dims, func(d dim) bool { return d.Name == name })
	if i < 0 {
		return dim{}, false
	}
	return dims[i], true
}

// presetRanges are the range buttons: name and length.
var presetRanges = []struct {
	Name string
	Len  time.Duration
}{{"6h", 6 * time.Hour}, {"24h", day}, {"7d", 7 * day}, {"30d", 30 * day}}

// defaultRange is the range of a page opened without one.
const defaultRange = "24h"

// timeRange is a validated time range: a preset name ("24h") ending now,
// or "custom" with the given bounds.
type timeRange struct {
	Name     string
	From, To time.Time
}

// filter is one dimension's selected values (OR within, AND across).
type filter struct {
	Dim    dim
	Values []string
}

// jobsParams are the validated parameters of the Jobs Monitoring page.
type jobsParams struct {
	Filters []filter // in dims order, only dimensions with values
	Group   dim
	Range   timeRange
}

// paramError is a bad request parameter; the API answers 400 with it.
type paramError struct {
	Param string
	Err   error
}

func (e *paramError) Error() string { return fmt.Sprintf("parameter %q: %v", e.Param, e.Err) }
func (e *paramError) Unwrap() error { return e.Err }

func badParam(name string, format string, args ...any) error {
	return &paramError{Param: name, Err: fmt.Errorf(format, args...)}
}

// checkKnown rejects parameters not in allowed, so a typo is an error and
// not a silently ignored filter.
func checkKnown(q url.Values, allowed func(string) bool) error {
	for _, k := range sortedKeys(q) {
		if !allowed(k) {
			return badParam(k, "unknown parameter")
		}
	}
	return nil
}

// checkValue validates one untrusted string value.
func checkValue(param, v string) error {
	switch {
	case v == "":
		return badParam(param, "empty value")
	case len(v) > maxValueLen:
		return badParam(param, "value longer than %d bytes", maxValueLen)
	case !utf8.ValidString(v):
		return badParam(param, "value is not valid UTF-8")
	case strings.ContainsRune(v, 0):
		return badParam(param, "value contains a NUL byte")
	}
	return nil
}

// parseJobsParams validates the Jobs Monitoring page's query: one
// parameter per filter dimension (repeated for several values), group,
// and range or from and to (RFC 3339).
func parseJobsParams(q url.Values, now time.Time) (jobsParams, error) {
	known := func(k string) bool {
		_, isDim := dimByName(k)
		return isDim || k == "group" || k == "range" || k == "from" || k == "to"
	}
	if err := checkKnown(q, known); err != nil {
		return jobsParams{}, err
	}
	var p jobsParams
	total := 0
	for _, d := range dims {
		vals := q[d.Name]
		if len(vals) == 0 {
			continue
		}
		if len(vals) > maxValuesPerDim {
			return p, badParam(d.Name, "%d values, at most %d", len(vals), maxValuesPerDim)
		}
		var uniq []string
		for _, v := range vals {
			if err := checkValue(d.Name, v); err != nil {
				return p, err
			}
			total += len(v)
			if !slices.Contains(uniq, v) {
				uniq = append(uniq, v)
			}
		}
		p.Filters = append(p.Filters, filter{Dim: d, Values: uniq})
	}
	if total > maxFilterBytes {
		return p, badParam("filters", "%d bytes of values, at most %d", total, maxFilterBytes)
	}
	g, err := single(q, "group", defaultGroup)
	if err != nil {
		return p, err
	}
	var ok bool
	if p.Group, ok = dimByName(g); !ok {
		return p, badParam("group", "%q is not one of %s", g, dimNames())
	}
	p.Range, err = parseRange(q, now)
	return p, err
}

// parseRange reads range (a preset, default 24h) or from and to.
func parseRange(q url.Values, now time.Time) (timeRange, error) {
	name, err := single(q, "range", "")
	if err != nil {
		return timeRange{}, err
	}
	from, err := single(q, "from", "")
	if err != nil {
		return timeRange{}, err
	}
	to, err := single(q, "to", "")
	if err != nil {
		return timeRange{}, err
	}
	if from != "" || to != "" {
		if name != "" && name != "custom" {
			return timeRange{}, badParam("range", "give either range or from and to, not both")
		}
		return parseCustom(from, to)
	}
	if name == "" {
		name = defaultRange
	}
	for _, r := range presetRanges {
		if r.Name == name {
			return timeRange{Name: name, From: now.Add(-r.Len), To: now}, nil
		}
	}
	return timeRange{}, badParam("range", "%q is not one of 6h, 24h, 7d, 30d (or give from and to)", name)
}

func parseCustom(from, to string) (timeRange, error) {
	if from == "" || to == "" {
		missing := "from"
		if to == "" {
			missing = "to"
		}
		return timeRange{}, badParam(missing, "a custom range needs both from and to")
	}
	f, err := time.Parse(time.RFC3339, from)
	if err != nil {
		return timeRange{}, badParam("from", "not an RFC 3339 time (2006-01-02T15:04:05Z): %q", from)
	}
	t, err := time.Parse(time.RFC3339, to)
	if err != nil {
		return timeRange{}, badParam("to", "not an RFC 3339 time (2006-01-02T15:04:05Z): %q", to)
	}
	switch span := t.Sub(f); {
	case span <= 0:
		return timeRange{}, badParam("to", "must be after from")
	case span > maxSpan:
		return timeRange{}, badParam("to", "range of %s exceeds the maximum of %d days", span, int(maxSpan/day))
	}
	return timeRange{Name: "custom", From: f.UTC(), To: t.UTC()}, nil
}

// single returns the only value of a parameter, def when absent, and an
// error when it is repeated.
func single(q url.Values, name, def string) (string, error) {
	switch vals := q[name]; len(vals) {
	case 0:
		return def, nil
	case 1:
		if len(vals[0]) > maxValueLen {
			return "", badParam(name, "value longer than %d bytes", maxValueLen)
		}
		return vals[0], nil
	default:
		return "", badParam(name, "given %d times, expected once", len(vals))
	}
}

func dimNames() string {
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

// thresholds are the Suspicious page's settings.
type thresholds struct {
	Rel    float64 // relative departure |current-avg|/avg at least this
	Abs    float64 // and |current-avg| at least this many jobs
	Window int     // index into Windows of the average compared with
}

// Defaults of the Suspicious page.
const (
	defaultRel    = 0.5
	defaultAbs    = 50
	defaultWindow = "24h"
)

// parseThresholds validates rel, abs and avg.
func parseThresholds(q url.Values) (thresholds, error) {
	if err := checkKnown(q, func(k string) bool { return k == "rel" || k == "abs" || k == "avg" }); err != nil {
		return thresholds{}, err
	}
	th := thresholds{Rel: defaultRel, Abs: defaultAbs, Window: windowIndex(defaultWindow)}
	var err error
	if th.Rel, err = floatParam(q, "rel", defaultRel, 0, 1e6); err != nil {
		return th, err
	}
	if th.Abs, err = floatParam(q, "abs", defaultAbs, 0, 1e9); err != nil {
		return th, err
	}
	w, err := single(q, "avg", defaultWindow)
	if err != nil {
		return th, err
	}
	if th.Window = windowIndex(w); th.Window < 0 {
		return th, badParam("avg", "%q is not one of %s", w, strings.Join(Windows[:], ", "))
	}
	return th, nil
}

// floatParam reads a finite number in [lo, hi], def when absent.
func floatParam(q url.Values, name string, def, lo, hi float64) (float64, error) {
	s, err := single(q, name, "")
	if err != nil || s == "" {
		return def, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return 0, badParam(name, "not a number: %q (%v)", s, err)
	}
	if math.IsNaN(v) || v < lo || v > hi {
		return 0, badParam(name, "%v is outside [%v, %v]", v, lo, hi)
	}
	return v, nil
}

// queueParams are the validated parameters of a queue page's data.
type queueParams struct {
	Name  string
	Range timeRange
}

// queueRanges are the ranges of the queue page.
var queueRanges = map[string]time.Duration{"24h": day, "7d": 7 * day, "30d": 30 * day}

// parseQueueParams validates name (the queue) and range (24h, 7d, 30d;
// default 7d).
func parseQueueParams(q url.Values, now time.Time) (queueParams, error) {
	if err := checkKnown(q, func(k string) bool { return k == "name" || k == "range" }); err != nil {
		return queueParams{}, err
	}
	name, err := single(q, "name", "")
	if err != nil {
		return queueParams{}, err
	}
	if err := checkValue("name", name); err != nil {
		return queueParams{}, err
	}
	r, err := single(q, "range", "7d")
	if err != nil {
		return queueParams{}, err
	}
	l, ok := queueRanges[r]
	if !ok {
		return queueParams{}, badParam("range", "%q is not one of 24h, 7d, 30d", r)
	}
	return queueParams{Name: name, Range: timeRange{Name: r, From: now.Add(-l), To: now}}, nil
}

// noParams rejects any parameter (endpoints that take none).
func noParams(q url.Values) error {
	return checkKnown(q, func(string) bool { return false })
}
