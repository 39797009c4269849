package enrich

import (
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/source/cric"
	"github.com/qmonit/qmonit/internal/source/panda"
)

func f64(v float64) *float64 { return &v }

func testCatalog() Catalog {
	return Catalog{
		Queues: map[string]cric.Queue{
			"AGLT2_HOSPITAL": {
				PandaResource: "AGLT2_HOSPITAL", AtlasSite: "AGLT2", Type: "production", ResourceType: "GRID",
				Cloud: "US", Country: "USA", Status: "online", Tier: "T2D", PilotManager: "Harvester",
				PilotVersion: "2", Harvester: "CERN_central_A", Workflow: "pull", ContainerType: "singularity:pilot",
				RC: "US-AGLT2", CoreCount: f64(8), CorePower: f64(10.96),
			},
			"SLAC_ES-lsf": {PandaResource: "SLAC_ES", AtlasSite: "WT2", RC: "US-Tier3s", CoreCount: f64(4), Status: "offline"},
			"ZZ_ES":       {PandaResource: "SLAC_ES", AtlasSite: "ZZ"},
			"NOCORE":      {AtlasSite: "AGLT2", RC: "NOPE", CoreCount: f64(0)},
			"RCSITE":      {AtlasSite: "ifae", RC: ""},
		},
		Sites: map[string]cric.Site{
			"AGLT2": {Name: "AGLT2", Frontier: "http://Frontier-ATLAS.lcg.triumf.ca:3128/ATLAS_frontier", Nucleus: true},
			"WT2":   {Name: "WT2", Frontier: "not a url with host"},
		},
		DDMEndpoints: map[string]cric.DDMEndpoint{
			"AGLT2_DATADISK":    {Site: "AGLT2", FTSMaster: []string{"https://fts3-atlas.cern.ch:8446", "https://other:8446"}},
			"AGLT2_AAA":         {Site: "AGLT2"}, // smaller name, empty MASTER: ignored
			"AGLT2_ZZZ":         {Site: "AGLT2", FTSMaster: []string{"https://later.example:8446"}},
			"WT2_DATADISK":      {Site: "WT2", FTSMaster: []string{"https://fts.usatlas.bnl.gov:8446"}},
			"ORPHAN_SCRATCHDSK": {Site: "ORPHAN", FTSMaster: []string{"https://x.example"}},
		},
		Federations: map[string]cric.Federation{
			"US-AGLT2": {RCSites: []string{"AGLT2"}, Pledges: map[string]map[string]map[string]string{
				"2021": {
					"Q2": {"CPU": "73000", "Disk": "6600"},
					"Q4": {"Tape": "1", "CPU": "70000"},
				},
				"2020": {"Q4": {"CPU": "69000", "Disk": "6000"}},
			}},
			"ZZ-FED": {RCSites: []string{"ifae"}, Pledges: map[string]map[string]map[string]string{"2021": {"Q2": {"Disk": "10"}}}},
			"AA-FED": {RCSites: []string{"ifae", "AGLT2"}, Pledges: map[string]map[string]map[string]string{"2021": {"Q2": {"CPU": "5.5"}}}},
		},
	}
}

func stats(entries ...panda.Entry) panda.Stats { return panda.Stats{Entries: entries} }

func TestEnrichRules(t *testing.T) {
	ix := NewIndex(testCatalog())
	cycle := time.Date(2021, 7, 15, 10, 7, 31, 5, time.UTC)
	for _, tt := range []struct {
		name  string
		entry panda.Entry
		check func(t *testing.T, p point.Point)
	}{
		{"full join", panda.Entry{Queue: "AGLT2_HOSPITAL", Label: "managed", Resource: "MCORE", Status: "running", Count: 410},
			func(t *testing.T, p point.Point) {
				want := map[string]string{
					"panda_queue": "AGLT2_HOSPITAL", "prod_source": "managed", "resource": "MCORE", "job_status": "running",
					"atlas_site": "AGLT2", "type": "production", "resource_type": "GRID", "cloud": "US", "country": "USA",
					"site_state": "online", "tier": "T2D", "pilot_manager": "Harvester", "pilot_version": "2",
					"harvester": "CERN_central_A", "workflow": "pull", "container_type": "singularity:pilot",
					"federation": "US-AGLT2", "frontier": "frontier-atlas.lcg.triumf.ca", "nucleus": "AGLT2",
					"fts_server": "fts3-atlas.cern.ch", "pledge_type": "73000 (CPU);6600 (Disk)",
				}
				checkTags(t, p, want)
				checkFields(t, p, 410, 8, 10.96, 73000)
			}},
		{"panda_resource fallback picks smallest key", panda.Entry{Queue: "SLAC_ES", Label: "user", Resource: "SCORE", Status: "finished", Count: 3},
			func(t *testing.T, p point.Point) {
				checkTags(t, p, map[string]string{"panda_queue": "SLAC_ES", "atlas_site": "WT2", "site_state": "offline",
					"frontier": point.NoValue, "nucleus": point.NoValue, "fts_server": "fts.usatlas.bnl.gov",
					"federation": "US-Tier3s", "pledge_type": point.NoValue, "type": point.NoValue})
				checkFields(t, p, 3, 1, 1, 0)
			}},
		{"unknown queue kept with No value", panda.Entry{Queue: "NOT_IN_CRIC", Label: "null", Resource: "", Status: "activated", Count: 1},
			func(t *testing.T, p point.Point) {
				want := map[string]string{"panda_queue": "NOT_IN_CRIC", "prod_source": point.NoValue, "resource": point.NoValue, "job_status": "activated"}
				for _, n := range point.AttrNames {
					want[n] = point.NoValue
				}
				checkTags(t, p, want)
				checkFields(t, p, 1, 1, 1, 0)
			}},
		{"unknown queue MCORE factor 8", panda.Entry{Queue: "NOT_IN_CRIC", Label: "managed", Resource: "MCORE_HIMEM", Status: "running", Count: 2},
			func(t *testing.T, p point.Point) { checkFields(t, p, 2, 8, 1, 0) }},
		{"corecount 0 gives 8 for MCORE; rc not a federation falls back to rcsites smallest key", panda.Entry{Queue: "NOCORE", Label: "managed", Resource: "MCORE", Status: "running", Count: 5},
			func(t *testing.T, p point.Point) {
				checkTags(t, p, map[string]string{"federation": "NOPE", "pledge_type": "5.5 (CPU)", "nucleus": "AGLT2"})
				checkFields(t, p, 5, 8, 1, 5.5)
			}},
		{"empty rc uses rcsites; federation without CPU gives 0", panda.Entry{Queue: "RCSITE", Label: "managed", Resource: "SCORE", Status: "running", Count: 5},
			func(t *testing.T, p point.Point) {
				checkTags(t, p, map[string]string{"federation": point.NoValue, "pledge_type": "5.5 (CPU)"})
				checkFields(t, p, 5, 1, 1, 5.5)
			}},
		{"SCORE factor 1 even with corecount", panda.Entry{Queue: "AGLT2_HOSPITAL", Label: "user", Resource: "SCORE_HIMEM", Status: "failed", Count: 0},
			func(t *testing.T, p point.Point) { checkFields(t, p, 0, 1, 10.96, 73000) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := Enrich(stats(tt.entry), ix, cycle, 10*time.Minute)
			if len(res.Points) != 1 {
				t.Fatalf("got %d points, want 1", len(res.Points))
			}
			p := res.Points[0]
			if want := time.Date(2021, 7, 15, 10, 0, 0, 0, time.UTC); !p.Time.Equal(want) {
				t.Errorf("time = %v, want %v", p.Time, want)
			}
			tt.check(t, p)
		})
	}
}

func checkTags(t *testing.T, p point.Point, want map[string]string) {
	t.Helper()
	for k, v := range want {
		got, ok := p.Tag(k)
		if !ok || got != v {
			t.Errorf("tag %s = %q, want %q", k, got, v)
		}
	}
}

func checkFields(t *testing.T, p point.Point, jobs int64, rf, cp, pledge float64) {
	t.Helper()
	if p.Jobs != jobs || p.ResourceFactor != rf || p.Corepower != cp || p.Pledge != pledge {
		t.Errorf("fields = jobs %d rf %v corepower %v pledge %v; want %d %v %v %v",
			p.Jobs, p.ResourceFactor, p.Corepower, p.Pledge, jobs, rf, cp, pledge)
	}
}

func TestQuarter(t *testing.T) {
	for _, tt := range []struct {
		date          string
		year, quarter string
	}{
		{"2021-01-01T00:00:00Z", "2020", "Q4"},
		{"2021-03-31T23:59:59Z", "2020", "Q4"},
		{"2021-04-01T00:00:00Z", "2021", "Q1"},
		{"2021-06-30T23:59:59Z", "2021", "Q1"},
		{"2021-07-01T00:00:00Z", "2021", "Q2"},
		{"2021-09-30T12:00:00Z", "2021", "Q2"},
		{"2021-10-01T00:00:00Z", "2021", "Q3"},
		{"2021-12-31T23:59:59Z", "2021", "Q3"},
	} {
		t.Run(tt.date, func(t *testing.T) {
			ts, err := time.Parse(time.RFC3339, tt.date)
			if err != nil {
				t.Fatal(err)
			}
			y, q := Quarter(ts)
			if y != tt.year || q != tt.quarter {
				t.Errorf("Quarter(%s) = %s %s, want %s %s", tt.date, y, q, tt.year, tt.quarter)
			}
		})
	}
}

func TestPledgeQuarterFromCycleTime(t *testing.T) {
	ix := NewIndex(testCatalog())
	e := panda.Entry{Queue: "AGLT2_HOSPITAL", Label: "managed", Resource: "SCORE", Status: "running", Count: 1}
	// February 2022 is Q4 of pledge year 2021 (the seed used "Q0" here).
	res := Enrich(stats(e), ix, time.Date(2022, 2, 10, 0, 0, 0, 0, time.UTC), 10*time.Minute)
	checkTags(t, res.Points[0], map[string]string{"pledge_type": "70000 (CPU);1 (Tape)"})
	checkFields(t, res.Points[0], 1, 1, 10.96, 70000)
	// A quarter with no pledge gives No value and 0.
	res = Enrich(stats(e), ix, time.Date(2021, 5, 10, 0, 0, 0, 0, time.UTC), 10*time.Minute)
	checkTags(t, res.Points[0], map[string]string{"pledge_type": point.NoValue})
	checkFields(t, res.Points[0], 1, 1, 10.96, 0)
}

func TestUnknownQueuesReportedOnce(t *testing.T) {
	ix := NewIndex(testCatalog())
	res := Enrich(stats(
		panda.Entry{Queue: "B_UNKNOWN", Label: "managed", Resource: "SCORE", Status: "running"},
		panda.Entry{Queue: "B_UNKNOWN", Label: "managed", Resource: "SCORE", Status: "failed"},
		panda.Entry{Queue: "A_UNKNOWN", Label: "user", Resource: "SCORE", Status: "running"},
		panda.Entry{Queue: "AGLT2_HOSPITAL", Label: "user", Resource: "SCORE", Status: "running"},
	), ix, time.Unix(0, 0), 10*time.Minute)
	if len(res.Points) != 4 {
		t.Fatalf("points = %d, want 4 (unknown queues are kept)", len(res.Points))
	}
	if got := res.Unknown; len(got) != 2 || got[0] != "A_UNKNOWN" || got[1] != "B_UNKNOWN" {
		t.Errorf("Unknown = %v, want [A_UNKNOWN B_UNKNOWN]", got)
	}
}

func TestHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://fts3-atlas.cern.ch:8446":                 "fts3-atlas.cern.ch",
		"http://Frontier.Example.ORG:3128/ATLAS_frontier": "frontier.example.org",
		"http://[::1]:8080/x":                             "::1",
		"":                                                "",
		"not a url":                                       "",
		"frontier.cern.ch:3128/x":                         "",
		"  https://padded.example/  ":                     "padded.example",
		"http://lcgft-atlas.gridpp.rl.ac.uk:3128/frontierATLAS": "lcgft-atlas.gridpp.rl.ac.uk",
	} {
		if got := Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}
