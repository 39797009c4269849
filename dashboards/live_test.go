package dashboards

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// The live checks run every dashboard against an engine holding simulated
// data, as Grafana would: variable queries first, then every panel's
// targets with the variables filled in, over the panel's time range at the
// step Grafana would pick.
//
// Three selections are checked, and in each every target must answer with
// data and the labels (columns) the panel expects:
//
//   - real values: each variable, in the dashboard's order (custom ones
//     first), gets a value its own query lists once the variables above it
//     are set: the first one, or, when a panel is then empty, the first
//     with which every panel has data;
//   - All for every query variable (the custom all value, .*);
//   - two real values per variable, formatted as Grafana formats a
//     multi-value selection, (a|b) with every value regex-escaped.
//
// Then every option of every custom variable runs once with the real values
// (its answers may be empty: a 90 % threshold may flag nothing).

const (
	// maxTries bounds the values tried per variable in the real-values pass.
	maxTries = 10
	// maxRepeats bounds the instances of a repeated panel run with All.
	maxRepeats = 3
)

// liveRun checks the dashboards of one flavour against one engine whose
// data ends at to.
type liveRun struct {
	t   *testing.T
	ctx context.Context
	eng engine
	to  time.Time
	// queries counts the requests sent and slowest is the slowest panel
	// request, for the log.
	queries     int
	slowest     time.Duration
	slowestWhat string
}

// problem is why a target failed: broken (an error or wrong labels: the
// query is wrong whatever the data) or just empty.
type problem struct {
	where  string
	err    error
	broken bool
}

func (p problem) String() string { return p.where + ": " + p.err.Error() }

func (r *liveRun) dashboard(d *dashboard) {
	t := r.t
	t.Helper()
	base := newScope(d)
	var order []*variable
	for i := range d.Templating.List {
		if v := &d.Templating.List[i]; v.Type == "custom" {
			order = append(order, v)
		}
	}
	for i := range d.Templating.List {
		if v := &d.Templating.List[i]; v.Type == "query" {
			order = append(order, v)
		}
	}

	realSel, cands, ok := r.realValues(d, base, order)
	if !ok {
		return
	}
	t.Logf("%s: real values %s", d.file, describe(realSel, order))

	// All, keeping the custom variables' real values.
	all := base
	for _, v := range order {
		if v.Type == "custom" {
			all = all.with(v.Name, realSel.sel[v.Name])
		}
	}
	r.report(d, "All", r.panels(d, all, false))

	// Two real values per query variable.
	two := realSel
	for _, v := range order {
		if v.Type != "query" {
			continue
		}
		vals := cands[v.Name]
		chosen := realSel.sel[v.Name].values[0]
		if i := slices.IndexFunc(vals, func(s string) bool { return s != chosen }); i >= 0 {
			two = two.with(v.Name, selection{values: []string{chosen, vals[i]}})
		}
	}
	t.Logf("%s: two values %s", d.file, describe(two, order))
	r.report(d, "two values", r.panels(d, two, false))

	// Every option of every custom variable, with the real values: no
	// errors, no wrong labels.
	for _, v := range order {
		if v.Type != "custom" {
			continue
		}
		for _, o := range v.Options {
			sc := realSel.with(v.Name, selection{values: []string{o.Value}})
			var bad []problem
			for _, p := range d.allPanels() {
				if p.Type == "row" || !p.refersTo(v.Name) {
					continue
				}
				for _, pr := range r.panel(d, sc, p) {
					if pr.broken {
						bad = append(bad, pr)
					}
				}
			}
			r.report(d, fmt.Sprintf("$%s=%s", v.Name, o.Value), bad)
		}
	}
}

// realValues picks a real value for every variable, in the dashboard's
// order, such that every panel has data. It first tries the first value of
// each list (one run of the panels); when some panel is then empty, it
// picks variable by variable, trying up to maxTries values each. Every
// panel has run with the selection it returns, with every variable's
// candidate values.
func (r *liveRun) realValues(d *dashboard, base *scope, order []*variable) (*scope, map[string][]string, bool) {
	t := r.t
	t.Helper()
	cands := map[string][]string{}
	first := base
	for _, v := range order {
		vals, err := r.candidates(first, d, v)
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			return nil, nil, false
		}
		cands[v.Name] = vals
		first = first.with(v.Name, selection{values: vals[:1]})
	}
	ps := r.panels(d, first, true)
	if len(ps) == 0 {
		return first, cands, true
	}
	if broken(ps) {
		r.report(d, "real values", ps)
		return nil, nil, false
	}
	sel := base
	for _, v := range order {
		vals, err := r.candidates(sel, d, v)
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			return nil, nil, false
		}
		cands[v.Name] = vals
		var last []problem
		picked := ""
		for _, c := range vals[:min(len(vals), maxTries)] {
			try := sel.with(v.Name, selection{values: []string{c}})
			if last = r.panels(d, try, true); len(last) == 0 {
				picked = c
				break
			}
			if broken(last) {
				r.report(d, "real values", last)
				return nil, nil, false
			}
		}
		if picked == "" {
			t.Errorf("no value of $%s among %v leaves every panel with data (others: %s); last try: %v",
				v.Name, vals[:min(len(vals), maxTries)], describe(sel, order), last)
			return nil, nil, false
		}
		sel = sel.with(v.Name, selection{values: []string{picked}})
	}
	return sel, cands, true
}

func (r *liveRun) report(d *dashboard, pass string, ps []problem) {
	r.t.Helper()
	for _, p := range ps {
		r.t.Errorf("%s, %s: %s", d.file, pass, p)
	}
}

func broken(ps []problem) bool {
	return slices.ContainsFunc(ps, func(p problem) bool { return p.broken })
}

func describe(sc *scope, order []*variable) string {
	var parts []string
	for _, v := range order {
		parts = append(parts, fmt.Sprintf("%s=%s", v.Name, sc.sel[v.Name]))
	}
	return strings.Join(parts, " ")
}

// dashboardRange is the dashboard's default range, ending at the data's end.
func (r *liveRun) dashboardRange(d *dashboard) (time.Time, time.Time, error) {
	back, err := parseGrafanaDuration(strings.TrimPrefix(d.Time.From, "now-"))
	if err != nil || d.Time.To != "now" {
		return time.Time{}, time.Time{}, fmt.Errorf("time range %+v: want now-<duration> to now", d.Time)
	}
	return r.to.Add(-back), r.to, nil
}

// candidates lists a variable's values: a custom variable's options, or
// what its query answers (which must not be empty).
func (r *liveRun) candidates(sc *scope, d *dashboard, v *variable) ([]string, error) {
	if v.Type == "custom" {
		var out []string
		for _, o := range v.Options {
			out = append(out, o.Value)
		}
		return out, nil
	}
	from, to, err := r.dashboardRange(d)
	if err != nil {
		return nil, err
	}
	q, _ := v.queryText()
	q, err = sc.withBuiltins(from, to, queryInterval(to.Sub(from), 0)).interpolate(q)
	if err != nil {
		return nil, err
	}
	r.queries++
	vals, err := r.eng.values(r.ctx, q, from, to)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("%s: no values (others: %s)", q, describeAll(sc))
	}
	return vals, nil
}

func describeAll(sc *scope) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sc.sel)) {
		parts = append(parts, k+"="+sc.sel[k].String())
	}
	return strings.Join(parts, " ")
}

// panels runs every target of d with sc. With stopEarly it returns at the
// first problem (the real-values search only needs to know).
func (r *liveRun) panels(d *dashboard, sc *scope, stopEarly bool) []problem {
	var out []problem
	for _, p := range d.allPanels() {
		if p.Type == "row" {
			continue
		}
		ps := r.panel(d, sc, p)
		out = append(out, ps...)
		if stopEarly && len(ps) > 0 {
			return out
		}
	}
	return out
}

// panel runs one panel, once per value of its repeat variable: a repeated
// panel must have data in at least one instance.
func (r *liveRun) panel(d *dashboard, sc *scope, p placedPanel) []problem {
	if p.repeat == "" {
		return r.instance(d, sc, p)
	}
	vals := sc.sel[p.repeat].values
	if sc.sel[p.repeat].all {
		v := d.variable(p.repeat)
		all, err := r.candidates(sc, d, v)
		if err != nil {
			return []problem{{where: fmt.Sprintf("panel %q repeat $%s", p.Title, p.repeat), err: err, broken: true}}
		}
		vals = all[:min(len(all), maxRepeats)]
	}
	var empty []problem
	withData := false
	for _, v := range vals {
		ps := r.instance(d, sc.with(p.repeat, selection{values: []string{v}, scoped: true}), p)
		if broken(ps) {
			return ps
		}
		if len(ps) == 0 {
			withData = true
		}
		empty = append(empty, ps...)
	}
	if withData {
		return nil
	}
	return empty
}

// instance runs the targets of one panel instance and checks each answer.
func (r *liveRun) instance(d *dashboard, sc *scope, p placedPanel) []problem {
	from, to, err := r.dashboardRange(d)
	if err != nil {
		return []problem{{where: d.file, err: err, broken: true}}
	}
	if p.TimeFrom != "" {
		back, err := parseGrafanaDuration(p.TimeFrom)
		if err != nil {
			return []problem{{where: fmt.Sprintf("panel %q timeFrom", p.Title), err: err, broken: true}}
		}
		from = to.Add(-back)
	}
	minIv, err := parseGrafanaDuration(p.Interval)
	if err != nil {
		return []problem{{where: fmt.Sprintf("panel %q interval", p.Title), err: err, broken: true}}
	}
	iv := queryInterval(to.Sub(from), minIv)
	// Grafana aligns a Prometheus range to the step.
	start, end := from.Truncate(iv), to.Truncate(iv)
	bsc := sc.withBuiltins(from, to, iv)
	var out []problem
	var results []*result
	for _, tg := range p.Targets {
		where := fmt.Sprintf("panel %q target %s", bsc.expand(p.Title), tg.RefID)
		q, err := bsc.interpolate(tg.text())
		if err != nil {
			out = append(out, problem{where: where, err: err, broken: true})
			continue
		}
		req := request{q: q, instant: tg.Instant, from: start, to: end, step: iv}
		if d.flavour == influxFlavour || tg.Instant {
			req.from, req.to = from, to
		}
		r.queries++
		began := time.Now()
		res, err := r.eng.query(r.ctx, req)
		if took := time.Since(began); took > r.slowest {
			r.slowest, r.slowestWhat = took, d.file+" "+where
		}
		if err != nil {
			out = append(out, problem{where: where, err: err, broken: true})
			continue
		}
		if err := checkAnswer(d.flavour, bsc, &tg, q, res); err != nil {
			out = append(out, problem{where: where, err: fmt.Errorf("%w\n%s", err, q), broken: true})
			continue
		}
		if res.points() == 0 {
			out = append(out, problem{where: where, err: fmt.Errorf("no data (%s)\n%s", describeAll(sc), q)})
			continue
		}
		if c := emptyColumn(res); c != "" {
			out = append(out, problem{where: where, err: fmt.Errorf("column %q is null in every row (%s)\n%s", c, describeAll(sc), q)})
			continue
		}
		results = append(results, res)
	}
	if len(out) == 0 && p.Type == "table" {
		if err := checkRenames(d.flavour, p, results); err != nil {
			out = append(out, problem{where: fmt.Sprintf("panel %q", p.Title), err: err, broken: true})
		}
	}
	return out
}

// refersTo reports whether a target of p uses the variable name.
func (p placedPanel) refersTo(name string) bool {
	for _, tg := range p.Targets {
		for _, text := range []string{tg.text(), tg.LegendFormat, tg.Alias} {
			if slices.ContainsFunc(varRefs(text), func(r varRef) bool { return r.name == name }) {
				return true
			}
		}
	}
	return false
}

// expand interpolates a title for messages; unknown references stay.
func (s *scope) expand(text string) string {
	if out, err := s.interpolate(text); err == nil {
		return out
	}
	return text
}
