package sim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// object is a decoded JSON object.
type object = map[string]any

func getDump(t *testing.T, g *Grid, path string) map[string]object {
	t.Helper()
	rec := do(t, g.Handler(), "GET", path, nil, "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
	}
	return decode[map[string]object](t, rec.Body.Bytes())
}

func TestCRICJSONQueryIgnored(t *testing.T) {
	g := newTestGrid(t, Options{Queues: 50})
	for _, p := range []string{PathPandaQueue, PathSite, PathDDMEndpoint, PathFederation} {
		a := do(t, g.Handler(), "GET", p+"?json", nil, "")
		b := do(t, g.Handler(), "GET", p, nil, "")
		if a.Code != 200 || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) || !json.Valid(a.Body.Bytes()) {
			t.Errorf("%s: with and without ?json differ or are invalid (%d)", p, a.Code)
		}
	}
}

func TestCRICPandaQueue(t *testing.T) {
	g := newTestGrid(t, Options{})
	d := getDump(t, g, PathPandaQueue+"?json")
	if hans, ok := d["hans"]; !ok || len(hans) != 0 {
		t.Errorf(`"hans" = %v, want {}`, hans)
	}
	required := []string{"panda_resource", "nickname", "siteid", "atlas_site", "site", "type", "resource_type",
		"cloud", "country", "status", "state", "tier", "tier_level", "pilot_manager", "pilot_version", "harvester",
		"workflow", "container_type", "rc", "rc_site", "corecount", "capability", "maxrss", "maxtime", "astorages",
		"queues", "last_modified"}
	seen := map[string]bool{}
	for key, pq := range d {
		if key == "hans" {
			continue
		}
		for _, f := range required {
			if _, ok := pq[f]; !ok {
				t.Fatalf("%s lacks %q", key, f)
			}
		}
		seen["status:"+pq["status"].(string)] = true
		seen["rt:"+pq["resource_type"].(string)] = true
		if pq["corecount"] == nil {
			seen["corecount null"] = true
		}
		if _, ok := pq["corepower"]; !ok {
			seen["corepower missing"] = true
		}
		read := pq["astorages"].(object)["read_lan"].([]any)
		if strings.HasSuffix(read[0].(string), "_DATADISK") {
			seen["datadisk"] = true
		}
	}
	for _, w := range []string{"status:online", "status:offline", "status:test", "status:brokeroff", "rt:GRID", "rt:hpc",
		"corecount null", "corepower missing", "datadisk"} {
		if !seen[w] {
			t.Errorf("never saw %s", w)
		}
	}
}

func TestCRICPandaQueueJoin(t *testing.T) {
	g := newTestGrid(t, Options{})
	d := getDump(t, g, PathPandaQueue)
	if pq := d["SLAC_ES-lsf"]; pq == nil || pq["panda_resource"] != "SLAC_ES" {
		t.Errorf("SLAC_ES-lsf = %v, want panda_resource SLAC_ES", pq)
	}
	if _, ok := d["SLAC_ES"]; ok {
		t.Error("SLAC_ES is a CRIC key; only its panda_resource should match")
	}
	byResource := map[string]bool{}
	for _, pq := range d {
		if r, ok := pq["panda_resource"].(string); ok {
			byResource[r] = true
		}
	}
	var unknown []string
	for _, n := range g.QueueNames() {
		if !byResource[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) != 3 {
		t.Errorf("queues unknown to CRIC = %q, want 3", unknown)
	}
}

func TestCRICSiteAndDDM(t *testing.T) {
	g := newTestGrid(t, Options{})
	sites := getDump(t, g, PathSite)
	nucleus := 0
	for name, s := range sites {
		if s["name"] != name {
			t.Fatalf("site %s has name %v", name, s["name"])
		}
		for _, p := range s["datapolicies"].([]any) {
			if p == "Nucleus" {
				nucleus++
			}
		}
		fr, ok := s["fsconf"].(object)["frontier"].([]any)
		if !ok {
			continue
		}
		pair := fr[0].([]any)
		if _, ok := pair[0].(string); !ok || len(pair) != 2 {
			t.Fatalf("site %s frontier %v, want [[url, {mirror: state}]]", name, fr)
		}
		if _, ok := pair[1].(object); !ok {
			t.Fatalf("site %s frontier mirrors %v", name, pair[1])
		}
	}
	if nucleus < 10 {
		t.Errorf("%d nucleus sites", nucleus)
	}
	ddm := getDump(t, g, PathDDMEndpoint)
	empty := 0
	for name, e := range ddm {
		fts := e["servedrestfts"].(object)
		master, ok := fts["MASTER"].([]any)
		if _, isStr := fts["TESTING"].(string); !ok || !isStr {
			t.Fatalf("%s servedrestfts = %v", name, fts)
		}
		if len(master) == 0 {
			empty++
		}
		if _, ok := sites[e["site"].(string)]; !ok {
			t.Errorf("%s at unknown site %v", name, e["site"])
		}
	}
	if empty == 0 || empty > len(ddm)/5 {
		t.Errorf("%d of %d endpoints with empty MASTER, want a few", empty, len(ddm))
	}
}

func TestWLCGFederation(t *testing.T) {
	g := newTestGrid(t, Options{})
	feds := getDump(t, g, PathFederation+"?json&at=2026-05-01T00:00:00Z")
	if _, ok := feds["NULL"]; !ok {
		t.Error(`no junk "NULL" federation`)
	}
	cms := 0
	for name, f := range feds {
		vos := f["vos"].([]any)
		if len(vos) == 1 && vos[0] == "cms" {
			cms++
		}
		if len(vos) != 1 || vos[0] != "atlas" {
			continue
		}
		for _, y := range []string{"2025", "2026"} {
			for _, q := range []string{"Q1", "Q2", "Q3", "Q4"} {
				p := f["pledges"].(object)[y].(object)[q].(object)["atlas"].(object)
				if p["CPU"].(float64) <= 0 || p["Disk"].(float64) <= 0 {
					t.Fatalf("%s pledge %s %s = %v", name, y, q, p)
				}
			}
		}
	}
	if cms == 0 {
		t.Error("no non-ATLAS federation")
	}
	pqs := getDump(t, g, PathPandaQueue)
	found, total := 0, 0
	for _, pq := range pqs {
		if rc, ok := pq["rc"].(string); ok {
			total++
			if _, ok := feds[rc]; ok {
				found++
			}
		}
	}
	if found < total*9/10 || found == total {
		t.Errorf("%d of %d queues have their rc federation, want most but not all", found, total)
	}
}

func TestCRICStatusFollowsIncident(t *testing.T) {
	g := newTestGrid(t, Options{})
	from := testTime()
	var in *Incident
	for _, i := range g.Incidents(from, from.Add(7*24*time.Hour)) {
		if i.Kind == "queue_offline" && i.End != nil {
			in = &i
			break
		}
	}
	if in == nil {
		t.Fatal("no queue_offline incident in a week")
	}
	status := func(at time.Time) string {
		d := getDump(t, g, PathPandaQueue+"?json&at="+at.Format(time.RFC3339))
		return d[in.Queues[0]]["status"].(string)
	}
	if s := status(in.Start.Add(g.opts.Interval)); s != "offline" {
		t.Errorf("status during incident = %q, want offline", s)
	}
	for _, at := range []time.Time{in.Start.Add(-g.opts.Interval), *in.End} {
		if s := status(at); s != "online" {
			t.Errorf("status at %s = %q, want online", at, s)
		}
	}
}
