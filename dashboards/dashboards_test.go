package dashboards

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// filterVars are the template variables each dashboard must have, multi-value
// with All, and the label (tag) each one lists.
var filterVars = map[string]string{
	"cloud": "cloud", "tier": "tier", "site": "atlas_site", "site_state": "site_state",
	"type": "type", "queue": "panda_queue", "prod_source": "prod_source",
	"resource": "resource", "job_status": "job_status",
}

// wantVars lists each dashboard's filter variables: the DAOD dashboard reads
// the datadisks measurement, which carries only queue, cloud, site and tier.
func wantVars(name string) []string {
	if name == "daod-distribution" {
		return []string{"cloud", "tier", "site", "queue"}
	}
	return []string{"cloud", "tier", "site", "site_state", "type", "queue", "prod_source", "resource", "job_status"}
}

var (
	uidPattern   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)
	dashLink     = regexp.MustCompile(`/d/([a-zA-Z0-9_-]+)`)
	bigPandaLink = "https://bigpanda.cern.ch/site/${queue}/"
)

func TestDashboardFiles(t *testing.T) {
	ds := loadDashboards(t)
	byFlavour := map[string][]string{}
	uids, titles := map[string]string{}, map[string]string{}
	for _, d := range ds {
		byFlavour[d.flavour] = append(byFlavour[d.flavour], strings.TrimSuffix(path.Base(d.file), ".json"))
		if prev, ok := uids[d.UID]; ok {
			t.Errorf("%s: uid %q already used by %s", d.file, d.UID, prev)
		}
		uids[d.UID] = d.file
		key := d.flavour + "/" + d.Title
		if prev, ok := titles[key]; ok {
			t.Errorf("%s: title %q already used by %s", d.file, d.Title, prev)
		}
		titles[key] = d.file
	}
	for _, f := range []string{promFlavour, influxFlavour} {
		got := byFlavour[f]
		slices.Sort(got)
		if !slices.Equal(got, dashboardNames) {
			t.Errorf("%s/: dashboards %v, want %v", f, got, dashboardNames)
		}
	}
	// Links to other dashboards name a uid of the same flavour.
	for _, d := range ds {
		walkStrings(d.doc, func(s string) {
			for _, m := range dashLink.FindAllStringSubmatch(s, -1) {
				if f, ok := uids[m[1]]; !ok || path.Dir(f) != d.flavour {
					t.Errorf("%s: link %q names no %s dashboard", d.file, s, d.flavour)
				}
			}
		})
	}
}

func TestDashboardSchema(t *testing.T) {
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			checkHeader(t, d)
			checkVariables(t, d)
			checkPanels(t, d)
			checkReferences(t, d)
		})
	}
}

func checkHeader(t *testing.T, d *dashboard) {
	t.Helper()
	if d.SchemaVersion < 39 {
		t.Errorf("schemaVersion %d, want 39 or later", d.SchemaVersion)
	}
	if !uidPattern.MatchString(d.UID) {
		t.Errorf("uid %q: want 1-40 of [a-zA-Z0-9_-]", d.UID)
	}
	if !strings.HasPrefix(d.Title, "qmonit / ") {
		t.Errorf("title %q: want the \"qmonit / \" prefix", d.Title)
	}
	for _, tag := range []string{"qmonit", "qmonit-" + d.flavour} {
		if !slices.Contains(d.Tags, tag) {
			t.Errorf("tags %v lack %q (the dashboards link one another by tag)", d.Tags, tag)
		}
	}
	if d.Time.From == "" || d.Time.To == "" {
		t.Errorf("time range %+v: want from and to", d.Time)
	}
}

func checkVariables(t *testing.T, d *dashboard) {
	t.Helper()
	vars := d.Templating.List
	if len(vars) == 0 || vars[0].Name != "DS" || vars[0].Type != "datasource" {
		t.Fatalf("the first variable must be DS, of type datasource")
	}
	if q, _ := vars[0].queryText(); q != d.flavour {
		t.Errorf("variable DS lists %q data sources, want %q", q, d.flavour)
	}
	seen := map[string]bool{}
	for i := range vars {
		v := &vars[i]
		if seen[v.Name] {
			t.Errorf("variable %q defined twice", v.Name)
		}
		q, err := v.queryText()
		if err != nil {
			t.Error(err)
		}
		if v.Type == "query" {
			if v.Datasource == nil || v.Datasource.Type != d.flavour || v.Datasource.UID != "${DS}" {
				t.Errorf("variable %q: datasource %+v, want {%s ${DS}}", v.Name, v.Datasource, d.flavour)
			}
			// A chained variable may only use the variables above it.
			for _, ref := range varRefs(q) {
				if !seen[ref.name] && !isBuiltin(ref.name, d.flavour) {
					t.Errorf("variable %q uses $%s, which is not defined above it", v.Name, ref.name)
				}
			}
		}
		if v.Type == "custom" && len(v.Options) == 0 {
			t.Errorf("custom variable %q has no options", v.Name)
		}
		seen[v.Name] = true
	}
	for _, name := range wantVars(strings.TrimSuffix(path.Base(d.file), ".json")) {
		v := d.variable(name)
		if v == nil {
			t.Errorf("variable %q missing", name)
			continue
		}
		if v.Type != "query" || !v.Multi || !v.IncludeAll || v.AllValue != ".*" {
			t.Errorf("variable %q: type %q multi %v includeAll %v allValue %q; want a multi-value query with All = .*",
				name, v.Type, v.Multi, v.IncludeAll, v.AllValue)
		}
		q, _ := v.queryText()
		if got := variableLabel(q); got != filterVars[name] {
			t.Errorf("variable %q lists %q (query %q), want %q", name, got, q, filterVars[name])
		}
	}
}

// variableLabel is the label (tag key) a variable query lists.
var (
	labelValuesRe = regexp.MustCompile(`^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)\s*$`)
	withKeyRe     = regexp.MustCompile(`WITH KEY = "([^"]+)"`)
)

func variableLabel(q string) string {
	if m := labelValuesRe.FindStringSubmatch(q); m != nil {
		return m[2]
	}
	if m := withKeyRe.FindStringSubmatch(q); m != nil {
		return m[1]
	}
	return ""
}

func checkPanels(t *testing.T, d *dashboard) {
	t.Helper()
	ids := map[int]string{}
	for _, p := range d.allPanels() {
		if prev, ok := ids[p.ID]; ok || p.ID <= 0 {
			t.Errorf("panel %q: id %d not positive or already used by %q", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
		if g := p.GridPos; g == nil || g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" {
			t.Errorf("panel %d has no title", p.ID)
		}
		want := dsRef{Type: d.flavour, UID: "${DS}"}
		if p.Datasource == nil || *p.Datasource != want {
			t.Errorf("panel %q: datasource %+v, want %+v", p.Title, p.Datasource, want)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("panel %q: refId %q empty or repeated", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || *tg.Datasource != want {
				t.Errorf("panel %q target %s: datasource %+v, want %+v", p.Title, tg.RefID, tg.Datasource, want)
			}
			checkTarget(t, d.flavour, p, &tg)
		}
	}
}

func checkTarget(t *testing.T, flavour string, p placedPanel, tg *target) {
	t.Helper()
	where := fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)
	switch flavour {
	case promFlavour:
		if tg.Expr == "" || tg.Query != "" {
			t.Errorf("%s: want expr (PromQL) and no query", where)
		}
		if tg.Instant == tg.Range {
			t.Errorf("%s: instant %v, range %v; want exactly one", where, tg.Instant, tg.Range)
		}
		if (p.Type == "table") != (tg.Format == "table") {
			t.Errorf("%s: format %q in a %s panel", where, tg.Format, p.Type)
		}
		if p.Type == "stat" && !tg.Instant {
			t.Errorf("%s: a stat reads an instant query", where)
		}
	case influxFlavour:
		if tg.Query == "" || tg.Expr != "" || !tg.RawQuery {
			t.Errorf("%s: want a raw InfluxQL query and no expr", where)
		}
		if (p.Type == "table") != (tg.ResultFormat == "table") {
			t.Errorf("%s: resultFormat %q in a %s panel", where, tg.ResultFormat, p.Type)
		}
	}
}

// checkReferences checks that every variable used anywhere is defined, that
// every variable defined is used, and the BigPanDA link.
func checkReferences(t *testing.T, d *dashboard) {
	t.Helper()
	used := map[string]bool{}
	hasBigPanda := false
	walkStrings(d.doc, func(s string) {
		hasBigPanda = hasBigPanda || strings.Contains(s, bigPandaLink) || strings.Contains(s, "https://bigpanda.cern.ch/site/${__value.raw}/")
		for _, ref := range varRefs(s) {
			used[ref.name] = true
			if d.variable(ref.name) == nil && !isBuiltin(ref.name, d.flavour) {
				t.Errorf("$%s used in %q is not defined", ref.name, truncate(s, 120))
			}
		}
	})
	for _, v := range d.Templating.List {
		if !used[v.Name] {
			t.Errorf("variable %q is defined but never used", v.Name)
		}
	}
	if !hasBigPanda {
		t.Errorf("no link to BigPanDA (%s)", bigPandaLink)
	}
}

// walkStrings calls fn for every string value in a decoded JSON document.
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
