package dashboards

import (
	"bytes"
	"embed"
	"net/url"
	"path"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

//go:embed provisioning/*.yaml
var provisioning embed.FS

// The subset of Grafana's provisioning files the examples use; decoding is
// strict, so a misspelt key fails.
type datasourcesFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string `yaml:"name"`
		UID       string `yaml:"uid"`
		Type      string `yaml:"type"`
		Access    string `yaml:"access"`
		URL       string `yaml:"url"`
		IsDefault bool   `yaml:"isDefault"`
		JSONData  struct {
			HTTPMethod   string `yaml:"httpMethod"`
			HTTPMode     string `yaml:"httpMode"`
			TimeInterval string `yaml:"timeInterval"`
			Version      string `yaml:"version"`
			DBName       string `yaml:"dbName"`
		} `yaml:"jsonData"`
	} `yaml:"datasources"`
}

type dashboardsFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		OrgID                 int    `yaml:"orgId"`
		Folder                string `yaml:"folder"`
		FolderUID             string `yaml:"folderUid"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

func decodeYAML(t *testing.T, name string, into any) {
	t.Helper()
	b, err := provisioning.ReadFile("provisioning/" + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestProvisioningDatasources(t *testing.T) {
	var f datasourcesFile
	decodeYAML(t, "datasources.yaml", &f)
	if f.APIVersion != 1 {
		t.Errorf("apiVersion %d, want 1", f.APIVersion)
	}
	types := map[string]int{}
	for _, ds := range f.Datasources {
		types[ds.Type]++
		u, err := url.Parse(ds.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Errorf("datasource %q: url %q is not http(s)://host", ds.Name, ds.URL)
		}
		if ds.UID == "" || ds.Access != "proxy" {
			t.Errorf("datasource %q: uid %q access %q; want a uid and proxy access", ds.Name, ds.UID, ds.Access)
		}
		if ds.JSONData.TimeInterval != "10m" {
			t.Errorf("datasource %q: timeInterval %q, want qmonit's cycle, 10m", ds.Name, ds.JSONData.TimeInterval)
		}
		if ds.Type == influxFlavour && (ds.JSONData.Version != "InfluxQL" || ds.JSONData.DBName == "") {
			t.Errorf("datasource %q: want InfluxQL and a dbName", ds.Name)
		}
	}
	if types[promFlavour] < 2 || types[influxFlavour] < 1 {
		t.Errorf("datasource types %v: want qmonit and VictoriaMetrics (prometheus) and InfluxDB", types)
	}
}

func TestProvisioningDashboards(t *testing.T) {
	var f dashboardsFile
	decodeYAML(t, "dashboards.yaml", &f)
	if f.APIVersion != 1 {
		t.Errorf("apiVersion %d, want 1", f.APIVersion)
	}
	var flavours []string
	for _, p := range f.Providers {
		if p.Type != "file" || p.Options.Path == "" || p.Folder == "" {
			t.Errorf("provider %q: want a file provider with a path and a folder", p.Name)
		}
		flavours = append(flavours, path.Base(p.Options.Path))
	}
	slices.Sort(flavours)
	if want := []string{influxFlavour, promFlavour}; !slices.Equal(flavours, want) {
		t.Errorf("providers read %v, want one folder per flavour %v", flavours, want)
	}
}
