package sim

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

type federationJSON struct {
	AccountingName string                                          `json:"accounting_name"`
	Country        string                                          `json:"country"`
	CountryCode    string                                          `json:"country_code"`
	ID             int                                             `json:"id"`
	Infrastructure string                                          `json:"infrastructure"`
	MonitTag       string                                          `json:"monit_tag"`
	Name           string                                          `json:"name"`
	Pledges        map[string]map[string]map[string]map[string]int `json:"pledges"`
	RCSites        []string                                        `json:"rcsites"`
	TierLevel      int                                             `json:"tier_level"`
	Type           string                                          `json:"type"`
	VOs            []string                                        `json:"vos"`
}

// otherVOFederations are federations of other experiments, present in the
// real dump and to be filtered out by vos.
var otherVOFederations = []struct{ name, cc, site string }{
	{"US-FNAL-CMS", "US", "USCMS-FNAL-WC1"},
	{"US-Caltech-CMS", "US", "T2_US_Caltech"},
	{"DE-RWTH", "DE", "RWTH-Aachen"},
}

// serveFederation serves the WLCG CRIC federation dump with pledges for
// the requested year and the one before.
func (g *Grid) serveFederation(w http.ResponseWriter, r *http.Request) {
	t, err := g.requestTime(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	year := t.UTC().Year()
	g.cache.mu.Lock()
	b, ok := g.cache.feds[year]
	if !ok {
		b = g.federationDump(year)
		if g.cache.feds == nil {
			g.cache.feds = map[int][]byte{}
		}
		g.cache.feds[year] = b
	}
	g.cache.mu.Unlock()
	writeBody(w, "application/json", http.StatusOK, b)
}

// federationDump encodes every federation: one per PQ "rc" (HPC centres
// have none in WLCG), a few of other VOs and the junk "NULL" entry.
func (g *Grid) federationDump(year int) []byte {
	members := map[string][]*site{}
	var unpledged []string
	for _, s := range g.sites {
		if s.rc == "" || s.hpc {
			unpledged = append(unpledged, s.name)
			continue
		}
		members[s.rc] = append(members[s.rc], s)
	}
	var entries []kv
	for name, sites := range members {
		entries = append(entries, kv{key: name, val: marshal(g.federation(name, sites, year))})
	}
	for _, o := range otherVOFederations {
		f := &federationJSON{
			AccountingName: o.name, Country: countryNames[o.cc], CountryCode: o.cc, ID: 900 + len(entries),
			Infrastructure: "OSG", MonitTag: o.cc, Name: o.name, RCSites: []string{o.site}, TierLevel: 2,
			Type: "official", VOs: []string{"cms"}, Pledges: pledges("cms", 40000, 4000, year),
		}
		entries = append(entries, kv{key: o.name, val: marshal(f)})
	}
	slices.Sort(unpledged)
	null := &federationJSON{AccountingName: "NULL", Name: "NULL", Pledges: map[string]map[string]map[string]map[string]int{},
		RCSites: unpledged, Type: "", VOs: []string{}}
	entries = append(entries, kv{key: "NULL", val: marshal(null)})
	slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	return appendObject(nil, entries)
}

// federation builds one ATLAS federation from its sites.
func (g *Grid) federation(name string, sites []*site, year int) *federationJSON {
	var weight float64
	tier := 3
	var rcsites []string
	for _, s := range sites {
		weight += s.weight
		tier = min(tier, s.tier)
		rcsites = append(rcsites, s.name)
	}
	slices.Sort(rcsites)
	s := sites[0]
	infra := "EGI"
	switch s.cloud {
	case "US":
		infra = "OSG"
	case "ND":
		infra = "NDGF"
	}
	cpu := int(math.Round(weight*2600/100) * 100)
	disk := int(math.Round(weight * 190))
	return &federationJSON{
		AccountingName: accountingName(name, s), Country: s.country(), CountryCode: s.cc,
		ID: 1 + pick(h2(g.seed, strHash(name)), 899), Infrastructure: infra, MonitTag: s.country(), Name: name,
		Pledges: pledges("atlas", cpu, disk, year), RCSites: rcsites, TierLevel: tier, Type: "official",
		VOs: []string{"atlas"},
	}
}

func accountingName(name string, s *site) string {
	switch {
	case s.tier <= 1:
		return name + " Tier-1"
	case strings.HasSuffix(name, "-Tier3s"):
		return s.country() + " Tier-3s"
	case strings.HasSuffix(name, "-ATLAS-T2"):
		return "ATLAS Federation " + s.country()
	}
	return name + " ATLAS T2"
}

// pledges gives Q1..Q4 of year-1 and year; the newer year pledges ~8% more.
func pledges(vo string, cpu, disk, year int) map[string]map[string]map[string]map[string]int {
	out := map[string]map[string]map[string]map[string]int{}
	for i, y := range []int{year - 1, year} {
		f := 1 + 0.08*float64(i)
		q := map[string]map[string]map[string]int{}
		for _, name := range []string{"Q1", "Q2", "Q3", "Q4"} {
			q[name] = map[string]map[string]int{vo: {"CPU": int(float64(cpu) * f), "Disk": int(float64(disk) * f)}}
		}
		out[strconv.Itoa(y)] = q
	}
	return out
}
