package dashboards

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/influxdata/influxql"
)

var legendLabelRe = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// checkAnswer checks that every series carries the labels (tags and
// columns) the target promises: the grouping of the query, the labels its
// legend shows, the columns its SELECT names, the tags an alias shows.
func checkAnswer(flavour string, sc *scope, tg *target, q string, res *result) error {
	switch flavour {
	case promFlavour:
		expr, err := promParser.ParseExpr(q)
		if err != nil {
			return err
		}
		want, exact := resultLabels(expr)
		legend, _ := sc.interpolate(tg.LegendFormat)
		var need []string
		for _, m := range legendLabelRe.FindAllStringSubmatch(legend, -1) {
			need = append(need, m[1])
		}
		// Prometheus drops empty labels, so a series may lack a grouping
		// label (the datadisk of a queue without one); the table checks
		// that the labels they show exist.
		for _, s := range res.series {
			for k := range s.labels {
				if exact && !slices.Contains(want, k) {
					return fmt.Errorf("series labels %v, want only %v", slices.Sorted(maps.Keys(s.labels)), want)
				}
			}
			for _, n := range need {
				if s.labels[n] == "" {
					return fmt.Errorf("legend %q: series %v lacks label %q", legend, s.labels, n)
				}
			}
		}
	case influxFlavour:
		stmt, err := influxql.ParseStatement(q)
		if err != nil {
			return err
		}
		sel, ok := stmt.(*influxql.SelectStatement)
		if !ok {
			return fmt.Errorf("%T: want SELECT", stmt)
		}
		wantCols := sel.ColumnNames()
		wantTags := selectDimensions(sel)
		slices.Sort(wantTags)
		alias, _ := sc.interpolate(tg.Alias)
		for _, s := range res.series {
			if !slices.Equal(s.columns, wantCols) {
				return fmt.Errorf("columns %v, want %v", s.columns, wantCols)
			}
			if got := slices.Sorted(maps.Keys(s.labels)); !slices.Equal(got, wantTags) {
				return fmt.Errorf("tags %v, want %v", got, wantTags)
			}
			for _, ref := range varRefs(alias) {
				if tag, ok := strings.CutPrefix(ref.name, "tag_"); ok && s.labels[tag] == "" {
					return fmt.Errorf("alias %q: series %v has no tag %q", alias, s.labels, tag)
				}
			}
		}
	}
	return nil
}

// emptyColumn names a value column that is null in every row, "" if none:
// an InfluxDB answer whose rows exist but say nothing in that column.
func emptyColumn(res *result) string {
	if len(res.series) == 0 {
		return ""
	}
	for _, c := range res.series[0].columns[min(1, len(res.series[0].columns)):] {
		n := 0
		for _, s := range res.series {
			n += s.nonNull[c]
		}
		if n == 0 {
			return c
		}
	}
	return ""
}

// checkRenames checks that a table's organize transformation renames
// fields the answers have: labels (tags) and values ("Value #A" when
// Grafana merges several Prometheus targets, the columns for InfluxDB).
func checkRenames(flavour string, p placedPanel, results []*result) error {
	have := map[string]bool{"Time": true}
	for i, res := range results {
		for _, s := range res.series {
			for k := range s.labels {
				have[k] = true
			}
			for _, c := range s.columns {
				have[c] = true
			}
		}
		if flavour == promFlavour {
			if len(results) == 1 {
				have["Value"] = true
			} else {
				have["Value #"+p.Targets[i].RefID] = true
			}
		}
	}
	for _, tr := range p.Transformations {
		for k := range tr.Options.RenameByName {
			if !have[k] {
				return fmt.Errorf("transformation %s renames %q, which no answer has (%v)", tr.ID, k, slices.Sorted(maps.Keys(have)))
			}
		}
	}
	return nil
}
