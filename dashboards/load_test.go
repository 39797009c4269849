package dashboards

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"testing"
)

//go:embed prometheus/*.json influxdb/*.json
var files embed.FS

// maxDashboardBytes caps one dashboard file: the JSON is read whole.
const maxDashboardBytes = 1 << 20

// Flavours: the datasource type each folder targets.
const (
	promFlavour   = "prometheus"
	influxFlavour = "influxdb"
)

// dashboardNames are the four dashboards every flavour ships.
var dashboardNames = []string{"daod-distribution", "jobs-monitoring", "queue", "suspicious-queues"}

// dashboard is the part of Grafana's dashboard JSON the tests read. The
// whole document is kept in doc, for checks that walk every string.
type dashboard struct {
	file    string // "prometheus/queue.json"
	flavour string
	doc     any

	UID           string    `json:"uid"`
	Title         string    `json:"title"`
	SchemaVersion int       `json:"schemaVersion"`
	Tags          []string  `json:"tags"`
	Time          timeRange `json:"time"`
	Links         []link    `json:"links"`
	Panels        []panel   `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type link struct {
	Title string   `json:"title"`
	Type  string   `json:"type"`
	URL   string   `json:"url"`
	Tags  []string `json:"tags"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type panel struct {
	ID              int              `json:"id"`
	Type            string           `json:"type"`
	Title           string           `json:"title"`
	Datasource      *dsRef           `json:"datasource"`
	GridPos         *gridPos         `json:"gridPos"`
	Targets         []target         `json:"targets"`
	Interval        string           `json:"interval"`
	TimeFrom        string           `json:"timeFrom"`
	Repeat          string           `json:"repeat"`
	Links           []link           `json:"links"`
	Panels          []panel          `json:"panels"` // a collapsed row's panels
	Transformations []transformation `json:"transformations"`
}

type transformation struct {
	ID      string `json:"id"`
	Options struct {
		RenameByName map[string]string `json:"renameByName"`
	} `json:"options"`
}

type target struct {
	RefID      string `json:"refId"`
	Datasource *dsRef `json:"datasource"`
	Hide       bool   `json:"hide"`
	// Prometheus.
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	Instant      bool   `json:"instant"`
	Range        bool   `json:"range"`
	Format       string `json:"format"`
	// InfluxDB.
	Query        string `json:"query"`
	RawQuery     bool   `json:"rawQuery"`
	ResultFormat string `json:"resultFormat"`
	Alias        string `json:"alias"`
}

// text is the target's query in its language.
func (t *target) text() string {
	if t.Expr != "" {
		return t.Expr
	}
	return t.Query
}

type variable struct {
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Type       string          `json:"type"`
	Datasource *dsRef          `json:"datasource"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Options    []struct {
		Value string `json:"value"`
	} `json:"options"`
	Current struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
}

// queryText returns the variable's query: Grafana stores it as a string or
// as an object with a "query" member.
func (v *variable) queryText() (string, error) {
	if len(v.Query) == 0 {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v.Query, &s); err == nil {
		return s, nil
	}
	var o struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &o); err != nil {
		return "", fmt.Errorf("variable %q: query is neither a string nor an object with a query: %w", v.Name, err)
	}
	return o.Query, nil
}

// currentValues returns the variable's saved current value(s).
func (v *variable) currentValues() []string {
	var one string
	if err := json.Unmarshal(v.Current.Value, &one); err == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(v.Current.Value, &many) // absent or malformed: no current value
	return many
}

// allPanels returns the panels in layout order, with the panels of
// collapsed rows, each with the variable its row repeats over ("" if none).
func (d *dashboard) allPanels() []placedPanel {
	var out []placedPanel
	repeat := ""
	for i := range d.Panels {
		p := &d.Panels[i]
		if p.Type == "row" {
			repeat = p.Repeat
			out = append(out, placedPanel{p, ""})
			for j := range p.Panels {
				out = append(out, placedPanel{&p.Panels[j], p.Repeat})
			}
			continue
		}
		r := repeat
		if p.Repeat != "" {
			r = p.Repeat
		}
		out = append(out, placedPanel{p, r})
	}
	return out
}

// placedPanel is a panel and the variable it repeats over.
type placedPanel struct {
	*panel
	repeat string
}

func (d *dashboard) variable(name string) *variable {
	for i := range d.Templating.List {
		if d.Templating.List[i].Name == name {
			return &d.Templating.List[i]
		}
	}
	return nil
}

// loadDashboards parses every embedded dashboard, strictly enough to fail on
// trailing data and oversized files.
func loadDashboards(t testing.TB) []*dashboard {
	t.Helper()
	var out []*dashboard
	err := fs.WalkDir(files, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		d, err := parseDashboard(p, b)
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no dashboards embedded")
	}
	return out
}

func parseDashboard(name string, b []byte) (*dashboard, error) {
	if len(b) > maxDashboardBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", name, len(b), maxDashboardBytes)
	}
	d := &dashboard{file: name, flavour: path.Dir(name)}
	for _, into := range []any{d, &d.doc} {
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(into); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s: data after the dashboard object", name)
		}
	}
	return d, nil
}
