package dashboards

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// promSchema is every series qmonit writes (embedded store and remote
// write) with its label names.
func promSchema() map[string][]string {
	jobs := point.TagNames()
	info := append([]string{point.TagQueue, "datadisk"}, point.AttrNames[:]...)
	queue := []string{point.TagQueue}
	rse := []string{tsdb.LabelRSE}
	return map[string][]string{
		tsdb.MetricJobs: jobs, tsdb.MetricJobs1h: jobs, tsdb.MetricJobs1d: jobs,
		tsdb.MetricJobsSamples1h: jobs, tsdb.MetricJobsSamples1d: jobs,
		tsdb.MetricQueueInfo: info, tsdb.MetricQueueCorecount: queue, tsdb.MetricQueueCorepower: queue,
		tsdb.MetricDatadiskBytes: rse, tsdb.MetricDatadiskFiles: rse,
	}
}

// minWindow is the shortest range a selector of each kind of series needs
// so that it finds a sample at any time, on every engine: raw series are
// written every cycle (qmonit's own lookback is 20 m, two cycles); rollups
// and the datadisk occupancy once per bucket, a cycle or two after it ends.
func minWindow(metric string) time.Duration {
	switch {
	case strings.HasSuffix(metric, ":1d"):
		return 24 * time.Hour
	case strings.HasSuffix(metric, ":1h"), metric == tsdb.MetricDatadiskBytes, metric == tsdb.MetricDatadiskFiles:
		return time.Hour
	}
	return 20 * time.Minute
}

var promParser = parser.NewParser(parser.Options{})

// sampleScope fills every variable with values that exercise the escaping:
// All for the first scope, two values with regex metacharacters for the
// second, each custom option in turn for custom variables.
func sampleScopes(d *dashboard) []*scope {
	base := newScope(d).withBuiltins(time.Unix(0, 0), time.Unix(86400, 0), 2*time.Minute)
	two := base
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			two = two.with(v.Name, selection{values: []string{"A.B-1", `<img src=x onerror=alert(1)>`}})
		}
	}
	out := []*scope{base, two}
	for _, v := range d.Templating.List {
		if v.Type != "custom" {
			continue
		}
		for _, o := range v.Options {
			out = append(out, base.with(v.Name, selection{values: []string{o.Value}}))
		}
	}
	return out
}

func TestPromQLParses(t *testing.T) {
	schema := promSchema()
	for _, d := range loadDashboards(t) {
		if d.flavour != promFlavour {
			continue
		}
		t.Run(d.file, func(t *testing.T) {
			for _, sc := range sampleScopes(d) {
				for _, v := range d.Templating.List {
					if v.Type != "query" {
						continue
					}
					q, _ := v.queryText()
					checkLabelValues(t, sc, schema, "variable "+v.Name, q)
				}
				for _, p := range d.allPanels() {
					for _, tg := range p.Targets {
						where := fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)
						q, err := sc.interpolate(tg.Expr)
						if err != nil {
							t.Errorf("%s: %v", where, err)
							continue
						}
						if _, err := parsePromQL(schema, q); err != nil {
							t.Errorf("%s: %v\n%s", where, err, q)
						}
					}
				}
			}
		})
	}
}

// checkLabelValues checks a label_values(selector, label) variable query.
func checkLabelValues(t *testing.T, sc *scope, schema map[string][]string, where, q string) {
	t.Helper()
	q, err := sc.interpolate(q)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	sel, label, err := splitLabelValues(q)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	expr, err := parsePromQL(schema, sel)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	vs, ok := expr.(*parser.VectorSelector)
	if !ok || !slices.Contains(schema[vs.Name], label) {
		t.Errorf("%s: %q is not a label of the selector %s", where, label, sel)
	}
}

// splitLabelValues splits Grafana's label_values(selector, label).
func splitLabelValues(q string) (sel, label string, err error) {
	m := labelValuesRe.FindStringSubmatch(q)
	if m == nil {
		return "", "", fmt.Errorf("variable query %q: want label_values(selector, label)", q)
	}
	return strings.TrimSpace(m[1]), m[2], nil
}

// parsePromQL parses q and checks it against qmonit's series: every
// selector names a known metric by name with known labels, and sits in a
// range function whose window finds a sample at any time (no reliance on
// an engine's lookback delta, which differs: Prometheus 5 m, qmonit 20 m or
// a bucket, VictoriaMetrics adaptive).
func parsePromQL(schema map[string][]string, q string) (parser.Expr, error) {
	expr, err := promParser.ParseExpr(q)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var errs []string
	parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		known, ok := schema[vs.Name]
		if !ok {
			errs = append(errs, fmt.Sprintf("selector %s: unknown metric %q", vs, vs.Name))
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != model.MetricNameLabel && !slices.Contains(known, m.Name) {
				errs = append(errs, fmt.Sprintf("selector %s: %s has no label %q", vs, vs.Name, m.Name))
			}
		}
		if len(path) == 0 {
			return nil // a bare selector: a variable query
		}
		ms, ok := path[len(path)-1].(*parser.MatrixSelector)
		if !ok {
			errs = append(errs, fmt.Sprintf("selector %s is not in a range function: it would depend on the engine's lookback", vs))
		} else if ms.Range < minWindow(vs.Name) {
			errs = append(errs, fmt.Sprintf("selector %s: window %v shorter than %v", ms, ms.Range, minWindow(vs.Name)))
		}
		return nil
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return expr, nil
}

// resultLabels returns the label names every series of expr's result
// carries, when the expression fixes them (aggregations with by, and what
// is built on them); ok is false when it cannot tell.
func resultLabels(expr parser.Expr) (names []string, ok bool) {
	switch e := expr.(type) {
	case *parser.AggregateExpr:
		switch {
		case e.Op == parser.TOPK || e.Op == parser.BOTTOMK:
			return resultLabels(e.Expr)
		case e.Without:
			return nil, false
		}
		return slices.Sorted(slices.Values(e.Grouping)), true
	case *parser.ParenExpr:
		return resultLabels(e.Expr)
	case *parser.StepInvariantExpr:
		return resultLabels(e.Expr)
	case *parser.NumberLiteral:
		return nil, true
	case *parser.Call:
		switch e.Func.Name {
		case "abs", "ceil", "floor", "round", "clamp_min", "clamp_max", "sort", "sort_desc":
			return resultLabels(e.Args[0])
		case "label_replace":
			ls, ok := resultLabels(e.Args[0])
			if !ok {
				return nil, false
			}
			dst := e.Args[1].(*parser.StringLiteral).Val
			return sortedUnique(append(ls, dst)), true
		case "scalar", "vector", "time":
			return nil, true
		}
		return nil, false
	case *parser.BinaryExpr:
		if e.Op == parser.LOR {
			return nil, false
		}
		lt, rt := e.LHS.Type(), e.RHS.Type()
		if lt == parser.ValueTypeScalar {
			return resultLabels(e.RHS)
		}
		ls, ok := resultLabels(e.LHS)
		if !ok || rt == parser.ValueTypeScalar || e.VectorMatching == nil {
			return ls, ok
		}
		if e.VectorMatching.Card == parser.CardManyToOne {
			ls = append(ls, e.VectorMatching.Include...)
		}
		return sortedUnique(ls), true
	}
	return nil, false
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func TestResultLabels(t *testing.T) {
	for _, tt := range []struct {
		q    string
		want string // comma-joined, or "?" when unknown
	}{
		{`sum by (b, a) (x)`, "a,b"},
		{`sum(x)`, ""},
		{`topk(3, sum by (a) (x))`, "a"},
		{`100 * (sum by (a) (x) / (sum by (a) (y) > 0) - 1)`, "a"},
		{`sum by (q) (x) * on (q) group_left (d) max by (q, d) (y)`, "d,q"},
		{`label_replace(sum by (rse) (x), "d", "$1", "rse", "(.*)")`, "d,rse"},
		{`count(x) or vector(0)`, "?"},
		{`rate(x[5m])`, "?"},
	} {
		expr, err := promParser.ParseExpr(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := resultLabels(expr)
		s := strings.Join(got, ",")
		if !ok {
			s = "?"
		}
		if s != tt.want {
			t.Errorf("resultLabels(%s) = %q, want %q", tt.q, s, tt.want)
		}
	}
}

func TestParsePromQLRejects(t *testing.T) {
	schema := promSchema()
	for _, tt := range []struct {
		q, want string
	}{
		{`sum(qmonit_jobs{job_status="running"})`, "not in a range function"},
		{`sum(last_over_time(qmonit_jobs:1h[30m]))`, "shorter than 1h"},
		{`sum(last_over_time(qmonit_jobs{site="x"}[20m]))`, `no label "site"`},
		{`sum(last_over_time(qmonit_job[20m]))`, "unknown metric"},
		{`sum(last_over_time(qmonit_datadisk_bytes{panda_queue="x"}[2h]))`, `no label "panda_queue"`},
		{`sum by (cloud) (last_over_time(qmonit_jobs[20m])`, "parse"},
	} {
		_, err := parsePromQL(schema, tt.q)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parsePromQL(%s) = %v, want an error containing %q", tt.q, err, tt.want)
		}
	}
	if _, err := parsePromQL(schema, `sum by (cloud) (last_over_time(qmonit_jobs:1d{cloud=~"CA"}[1d20m]))`); err != nil {
		t.Errorf("a valid query was rejected: %v", err)
	}
}
