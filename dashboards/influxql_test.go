package dashboards

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/influxdata/influxql"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/influx"
)

// influxMeasurement is one measurement of the seed's InfluxDB schema: the
// retention policies it lives in, its tags and its fields.
type influxMeasurement struct {
	rps    []string
	tags   []string
	fields []string
}

// influxSchema is what qmonit's InfluxDB sink writes, under the default
// retention policy names (the dashboards' rp_* constants).
func influxSchema() map[string]influxMeasurement {
	fields := []string{point.FieldJobs, point.FieldResourceFactor, point.FieldCorepower, point.FieldPledge, point.FieldSamples}
	disk := []string{"occupied_gb", "files", point.FieldResourceFactor}
	for _, w := range []string{"1h", "6h", "12h", "24h", "7d", "30d"} {
		disk = append(disk, "running_avg"+w)
	}
	return map[string]influxMeasurement{
		point.Measurement:          {rps: []string{"10m", "1h", "1d"}, tags: point.TagNames(), fields: fields},
		influx.DatadiskMeasurement: {rps: []string{"1h"}, tags: []string{"panda_queue", "datadisk", "cloud", "atlas_site", "tier"}, fields: disk},
	}
}

func TestInfluxQLParses(t *testing.T) {
	schema := influxSchema()
	for _, d := range loadDashboards(t) {
		if d.flavour != influxFlavour {
			continue
		}
		t.Run(d.file, func(t *testing.T) {
			for _, sc := range sampleScopes(d) {
				for _, v := range d.Templating.List {
					if v.Type != "query" {
						continue
					}
					q, _ := v.queryText()
					if q, err := sc.interpolate(q); err != nil {
						t.Errorf("variable %s: %v", v.Name, err)
					} else if _, err := parseInfluxQL(schema, q); err != nil {
						t.Errorf("variable %s: %v\n%s", v.Name, err, q)
					}
				}
				for _, p := range d.allPanels() {
					for _, tg := range p.Targets {
						where := fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)
						q, err := sc.interpolate(tg.Query)
						if err != nil {
							t.Errorf("%s: %v", where, err)
							continue
						}
						stmt, err := parseInfluxQL(schema, q)
						if err != nil {
							t.Errorf("%s: %v\n%s", where, err, q)
							continue
						}
						alias, _ := sc.interpolate(tg.Alias)
						if err := checkAlias(stmt, alias); err != nil {
							t.Errorf("%s: %v", where, err)
						}
					}
				}
			}
		})
	}
}

// parseInfluxQL parses one statement and checks it against the schema.
func parseInfluxQL(schema map[string]influxMeasurement, q string) (influxql.Statement, error) {
	query, err := influxql.ParseQuery(q)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(query.Statements) != 1 {
		return nil, fmt.Errorf("%d statements, want 1", len(query.Statements))
	}
	stmt := query.Statements[0]
	switch s := stmt.(type) {
	case *influxql.SelectStatement:
		_, err = checkSelect(schema, s)
	case *influxql.ShowTagValuesStatement:
		err = checkShowTagValues(schema, s)
	default:
		err = fmt.Errorf("statement %T: want SELECT or SHOW TAG VALUES", stmt)
	}
	return stmt, err
}

// checkSelect checks a SELECT and returns the names its result can be
// referred to by from an enclosing query: its columns and dimensions.
func checkSelect(schema map[string]influxMeasurement, s *influxql.SelectStatement) ([]string, error) {
	// perSource holds what each source provides: a measurement's tags and
	// fields, a subquery's columns and GROUP BY tags.
	var perSource [][]string
	var errs []string
	for _, src := range s.Sources {
		switch x := src.(type) {
		case *influxql.Measurement:
			m, ok := schema[x.Name]
			switch {
			case !ok:
				errs = append(errs, fmt.Sprintf("unknown measurement %q", x.Name))
			case !slices.Contains(m.rps, x.RetentionPolicy):
				errs = append(errs, fmt.Sprintf("measurement %q is not in retention policy %q (want one of %v)", x.Name, x.RetentionPolicy, m.rps))
			}
			perSource = append(perSource, slices.Concat(m.tags, m.fields))
		case *influxql.SubQuery:
			inner, err := checkSelect(schema, x.Statement)
			if err != nil {
				errs = append(errs, "subquery: "+err.Error())
			}
			perSource = append(perSource, inner)
		default:
			errs = append(errs, fmt.Sprintf("source %T not supported", src))
		}
	}
	// A field or condition may use what any source provides; a GROUP BY tag
	// must come from every source, or that source's rows fall in a group
	// with an empty tag.
	check := func(what string, n influxql.Node, every bool) {
		influxql.WalkFunc(n, func(n influxql.Node) {
			r, ok := n.(*influxql.VarRef)
			if !ok || r.Val == "time" {
				return
			}
			has := func(names []string) bool { return slices.Contains(names, r.Val) }
			if every && !all(perSource, has) {
				errs = append(errs, fmt.Sprintf("%s: %q is not a tag of every source", what, r.Val))
			} else if !every && !slices.ContainsFunc(perSource, has) {
				errs = append(errs, fmt.Sprintf("%s: %q is no tag, field or subquery column", what, r.Val))
			}
		})
	}
	for _, f := range s.Fields {
		check("field", f.Expr, false)
	}
	check("where", s.Condition, false)
	for _, dim := range s.Dimensions {
		check("group by", dim.Expr, true)
	}
	if !hasTimeCondition(s.Condition) {
		errs = append(errs, "no time condition ($timeFilter): the query would scan every shard")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	out := slices.Clone(s.ColumnNames()[1:])
	for _, dim := range s.Dimensions {
		if r, ok := dim.Expr.(*influxql.VarRef); ok {
			out = append(out, r.Val)
		}
	}
	return out, nil
}

func all[T any](s []T, fn func(T) bool) bool {
	for _, x := range s {
		if !fn(x) {
			return false
		}
	}
	return true
}

func hasTimeCondition(cond influxql.Expr) bool {
	found := false
	influxql.WalkFunc(cond, func(n influxql.Node) {
		if r, ok := n.(*influxql.VarRef); ok && r.Val == "time" {
			found = true
		}
	})
	return found
}

func checkShowTagValues(schema map[string]influxMeasurement, s *influxql.ShowTagValuesStatement) error {
	var tags []string
	for _, src := range s.Sources {
		x, ok := src.(*influxql.Measurement)
		m, known := schema[x.Name]
		if !ok || !known || !slices.Contains(m.rps, x.RetentionPolicy) {
			return fmt.Errorf("SHOW TAG VALUES from %s: want a measurement of the schema in its retention policy", src)
		}
		tags = append(tags, m.tags...)
	}
	key, ok := s.TagKeyExpr.(*influxql.StringLiteral)
	if s.Op != influxql.EQ || !ok || !slices.Contains(tags, key.Val) {
		return fmt.Errorf("WITH KEY %s %s: want = one tag of %v", s.Op, s.TagKeyExpr, tags)
	}
	var err error
	influxql.WalkFunc(s.Condition, func(n influxql.Node) {
		if r, ok := n.(*influxql.VarRef); ok && !slices.Contains(tags, r.Val) && err == nil {
			err = fmt.Errorf("WHERE: %q is not a tag", r.Val)
		}
	})
	return err
}

// checkAlias checks that every $tag_x of an alias names a GROUP BY tag.
func checkAlias(stmt influxql.Statement, alias string) error {
	s, ok := stmt.(*influxql.SelectStatement)
	if !ok {
		return nil
	}
	dims := selectDimensions(s)
	for _, r := range varRefs(alias) {
		if tag, ok := strings.CutPrefix(r.name, "tag_"); ok && !slices.Contains(dims, tag) {
			return fmt.Errorf("alias %q: $tag_%s is not a GROUP BY tag (%v)", alias, tag, dims)
		}
	}
	return nil
}

// selectDimensions returns the tags a SELECT groups by.
func selectDimensions(s *influxql.SelectStatement) []string {
	var out []string
	for _, dim := range s.Dimensions {
		if r, ok := dim.Expr.(*influxql.VarRef); ok {
			out = append(out, r.Val)
		}
	}
	return out
}

func TestParseInfluxQLRejects(t *testing.T) {
	schema := influxSchema()
	const tf = `time >= 0ms and time <= 1ms`
	for _, tt := range []struct {
		q, want string
	}{
		{`SELECT sum("jobs") FROM "10m"."jobs"`, "no time condition"},
		{`SELECT sum("jobs") FROM "10m"."jobs" WHERE "site" = 'x' AND ` + tf, `"site" is no tag`},
		{`SELECT sum("occupied_gb") FROM "10m"."datadisks" WHERE ` + tf, `not in retention policy "10m"`},
		{`SELECT sum("jobs") FROM "10m"."job" WHERE ` + tf, "unknown measurement"},
		{`SELECT last("n") FROM (SELECT sum("jobs") AS "n" FROM "10m"."jobs" WHERE ` + tf + `) WHERE ` + tf + ` GROUP BY "cloud"`,
			`"cloud" is not a tag of every source`},
		{`SHOW TAG VALUES FROM "10m"."jobs" WITH KEY = "site"`, "WITH KEY"},
		{`SELECT sum("jobs") FROM "10m"."jobs" WHERE ` + tf + `; SHOW DATABASES`, "2 statements"},
	} {
		_, err := parseInfluxQL(schema, tt.q)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseInfluxQL(%s) = %v, want an error containing %q", tt.q, err, tt.want)
		}
	}
	ok := `SELECT mean("n") FROM (SELECT sum("jobs") AS "n" FROM "1h"."jobs" WHERE "cloud" =~ /^CA$/ AND ` + tf +
		` GROUP BY time(1h), "cloud") WHERE ` + tf + ` GROUP BY time(1h), "cloud" fill(none)`
	if _, err := parseInfluxQL(schema, ok); err != nil {
		t.Errorf("a valid query was rejected: %v", err)
	}
}
