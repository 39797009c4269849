package dashboards

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file reimplements the part of Grafana the tests need: finding
// variable references and interpolating them the way Grafana's Prometheus
// and InfluxDB data sources do before a query leaves the browser
// (public/app/plugins/datasource/{prometheus,influxdb}/datasource.ts,
// interpolateQueryExpr; templateSrv's variable regex).

// varRefRe is Grafana's variable syntax: $name, [[name:format]] and
// ${name.field:format}.
var varRefRe = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}`)

// varRef is one variable reference: its byte span in the string, the
// variable's name and the explicit format, if any.
type varRef struct {
	start, end   int
	name, format string
}

func varRefs(s string) []varRef {
	var out []varRef
	for _, m := range varRefRe.FindAllStringSubmatchIndex(s, -1) {
		r := varRef{start: m[0], end: m[1]}
		switch {
		case m[2] >= 0:
			r.name = s[m[2]:m[3]]
		case m[4] >= 0:
			r.name = s[m[4]:m[5]]
			if m[6] >= 0 {
				r.format = s[m[6]:m[7]]
			}
		default:
			r.name = s[m[8]:m[9]]
			if m[12] >= 0 {
				r.format = s[m[12]:m[13]]
			}
		}
		out = append(out, r)
	}
	return out
}

// builtinNames are Grafana's global variables; data links add __value,
// __data, __field and __series.
var builtinNames = map[string]bool{
	"__interval": true, "__interval_ms": true, "__rate_interval": true, "__range": true,
	"__range_s": true, "__range_ms": true, "__from": true, "__to": true, "__dashboard": true,
	"__org": true, "__user": true, "__name": true, "__data": true, "__value": true,
	"__field": true, "__series": true, "__url_time_range": true, "__all_variables": true,
	"__timezone": true, "timeFilter": true, "__timeFilter": true, "__all": true,
}

// isBuiltin reports whether $name is not a dashboard variable: a Grafana
// global, a regex back-reference ($1 in label_replace), or an InfluxDB
// alias pattern ($tag_x, $col, $m).
func isBuiltin(name, flavour string) bool {
	if builtinNames[name] {
		return true
	}
	if _, err := strconv.Atoi(name); err == nil {
		return true
	}
	return flavour == influxFlavour && (strings.HasPrefix(name, "tag_") || name == "col" || name == "m" || name == "measurement")
}

// selection is a variable's value on the dashboard: All, or some values.
// scoped marks the single value a repeated panel gets, which Grafana passes
// as a string rather than an array.
type selection struct {
	all    bool
	values []string
	scoped bool
}

func (s selection) String() string {
	if s.all {
		return "All"
	}
	return strings.Join(s.values, "|")
}

// scope is what interpolation needs: the dashboard's variables, their
// selections, and the global variables of one query.
type scope struct {
	flavour  string
	vars     map[string]*variable
	sel      map[string]selection
	builtins map[string]string
}

func newScope(d *dashboard) *scope {
	s := &scope{flavour: d.flavour, vars: map[string]*variable{}, sel: map[string]selection{}, builtins: map[string]string{}}
	for i := range d.Templating.List {
		v := &d.Templating.List[i]
		s.vars[v.Name] = v
		switch v.Type {
		case "constant", "custom", "textbox":
			q, _ := v.queryText()
			vals := v.currentValues()
			if v.Type == "constant" || len(vals) == 0 {
				vals = []string{q}
			}
			s.sel[v.Name] = selection{values: vals}
		case "query":
			s.sel[v.Name] = selection{all: true}
		}
	}
	return s
}

// with returns a copy of s with name set to sel.
func (s *scope) with(name string, sel selection) *scope {
	c := *s
	c.sel = make(map[string]selection, len(s.sel))
	for k, v := range s.sel {
		c.sel[k] = v
	}
	c.sel[name] = sel
	return &c
}

// withBuiltins returns a copy of s with the global variables of a query
// over [from, to] at interval.
func (s *scope) withBuiltins(from, to time.Time, interval time.Duration) *scope {
	c := *s
	rng := to.Sub(from)
	c.builtins = map[string]string{
		"__interval":      grafanaDuration(interval),
		"__interval_ms":   strconv.FormatInt(interval.Milliseconds(), 10),
		"__rate_interval": grafanaDuration(max(4*time.Minute, interval+time.Minute)),
		"__range":         strconv.FormatInt(int64(rng.Round(time.Second)/time.Second), 10) + "s",
		"__range_s":       strconv.FormatInt(int64(rng.Round(time.Second)/time.Second), 10),
		"__range_ms":      strconv.FormatInt(rng.Milliseconds(), 10),
		"__from":          strconv.FormatInt(from.UnixMilli(), 10),
		"__to":            strconv.FormatInt(to.UnixMilli(), 10),
		"timeFilter":      fmt.Sprintf("time >= %dms and time <= %dms", from.UnixMilli(), to.UnixMilli()),
	}
	c.builtins["__timeFilter"] = c.builtins["timeFilter"]
	return &c
}

// interpolate replaces every variable reference in text as Grafana would
// before sending a query of s.flavour.
func (s *scope) interpolate(text string) (string, error) {
	var b strings.Builder
	last := 0
	for _, r := range varRefs(text) {
		b.WriteString(text[last:r.start])
		last = r.end
		if v, ok := s.builtins[r.name]; ok {
			b.WriteString(v)
			continue
		}
		if isBuiltin(r.name, s.flavour) {
			if strings.HasPrefix(r.name, "__") || r.name == "timeFilter" {
				return "", fmt.Errorf("$%s has no value in a query", r.name)
			}
			b.WriteString(text[r.start:r.end]) // $1, $tag_x: left for the engine or the alias
			continue
		}
		v, ok := s.vars[r.name]
		sel, selected := s.sel[r.name]
		if !ok || !selected {
			return "", fmt.Errorf("$%s: no such variable", r.name)
		}
		val, err := formatValue(s.flavour, v, sel, r.format)
		if err != nil {
			return "", fmt.Errorf("$%s: %w", r.name, err)
		}
		b.WriteString(val)
	}
	b.WriteString(text[last:])
	return b.String(), nil
}

// formatValue renders a selection in a query: an explicit format first,
// then the custom All value (never escaped), then the data source's rules.
func formatValue(flavour string, v *variable, sel selection, format string) (string, error) {
	if sel.all {
		if v.AllValue == "" {
			return "", fmt.Errorf("all selected but no custom all value")
		}
		if format == "" || format == "raw" || format == "regex" {
			return v.AllValue, nil
		}
	}
	vals := sel.values
	if len(vals) == 0 {
		return "", fmt.Errorf("no value selected")
	}
	switch format {
	case "":
	case "raw", "text":
		return strings.Join(vals, ","), nil
	case "csv":
		return strings.Join(vals, ","), nil
	case "pipe":
		return strings.Join(vals, "|"), nil
	case "regex":
		return "(" + strings.Join(mapStrings(vals, regexp.QuoteMeta), "|") + ")", nil
	default:
		return "", fmt.Errorf("format %q not supported by the tests", format)
	}
	multi := v.Multi || v.IncludeAll
	switch flavour {
	case promFlavour:
		if !multi {
			return promRegularEscape(vals[0]), nil
		}
		if sel.scoped || len(vals) == 1 {
			return promSpecialRegexEscape(vals[0]), nil
		}
		return "(" + strings.Join(mapStrings(vals, promSpecialRegexEscape), "|") + ")", nil
	default:
		if !multi {
			return vals[0], nil
		}
		if sel.scoped || len(vals) == 1 {
			return influxRegexEscape(vals[0]), nil
		}
		return "(" + strings.Join(mapStrings(vals, influxRegexEscape), "|") + ")", nil
	}
}

func mapStrings(in []string, fn func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fn(s)
	}
	return out
}

// promRegularEscape is Grafana's prometheusRegularEscape: a value in a
// double-quoted PromQL string.
func promRegularEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\\'`).Replace(s)
}

// promSpecialRegexEscape is Grafana's prometheusSpecialRegexEscape: a value
// in a regex inside a double-quoted PromQL string, so each regex escape is
// itself escaped once more.
func promSpecialRegexEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\\\`)
		case strings.ContainsRune(`$^*{}[]'+?.()|`, r):
			b.WriteString(`\\`)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// influxRegexEscape is Grafana's escapeRegex, applied to each value of a
// multi-value variable in an InfluxQL /regex/.
func influxRegexEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\^$*+?.()|[]{}/`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// grafanaDuration renders d as Grafana renders intervals: 30s, 10m, 1h, 1d.
func grafanaDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d >= time.Second && d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// parseGrafanaDuration parses a panel's interval or timeFrom ("1h", "30d",
// ">1h").
func parseGrafanaDuration(s string) (time.Duration, error) {
	s = strings.TrimPrefix(s, ">")
	if s == "" {
		return 0, nil
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if unit == 0 || err != nil || n <= 0 {
		return 0, fmt.Errorf("duration %q: want a positive integer and one of s m h d w", s)
	}
	return time.Duration(n) * unit, nil
}

// autoIntervals are the intervals Grafana rounds a computed interval to.
var autoIntervals = []time.Duration{
	time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 7 * 24 * time.Hour,
}

// maxDataPoints is what Grafana asks for a panel about 1,000 pixels wide.
const maxDataPoints = 1000

// queryInterval is Grafana's $__interval for a range: the range over
// maxDataPoints rounded up to a nice interval, at least the panel's
// minimum interval.
func queryInterval(rng, minInterval time.Duration) time.Duration {
	raw := rng / maxDataPoints
	iv := autoIntervals[len(autoIntervals)-1]
	for _, c := range autoIntervals {
		if c >= raw {
			iv = c
			break
		}
	}
	return max(iv, minInterval)
}
