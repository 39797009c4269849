package sim

import (
	"net/http"
	"slices"
	"strings"
)

// rse is one DDM endpoint (Rucio storage element).
type rse struct {
	name  string
	site  *site
	token string // e.g. ATLASDATADISK
	typ   string // e.g. DATADISK
}

// rsesOf lists the endpoints of a site with storage.
func rsesOf(s *site) []rse {
	if !s.hasStorage() {
		return nil
	}
	types := []string{"DATADISK", "SCRATCHDISK", "LOCALGROUPDISK"}
	if s.tier <= 1 {
		types = append(types, "DATATAPE", "MCTAPE")
	}
	out := make([]rse, len(types))
	for i, t := range types {
		out[i] = rse{name: s.rsePrefix() + "_" + t, site: s, token: "ATLAS" + t, typ: t}
	}
	return out
}

// allRSEs lists every endpoint of the grid, sorted by name.
func (g *Grid) allRSEs() []rse {
	var out []rse
	for _, s := range g.sites {
		out = append(out, rsesOf(s)...)
	}
	slices.SortFunc(out, func(a, b rse) int { return strings.Compare(a.name, b.name) })
	return out
}

type siteJSON struct {
	Cloud        string                          `json:"cloud"`
	Corepower    float64                         `json:"corepower"`
	Country      string                          `json:"country"`
	Datapolicies []string                        `json:"datapolicies"`
	Ddmendpoints map[string]ddmRef               `json:"ddmendpoints"`
	Fsconf       map[string][]any                `json:"fsconf"`
	IsPledged    bool                            `json:"is_pledged"`
	Name         string                          `json:"name"`
	Presources   map[string]map[string]presource `json:"presources"`
	RC           string                          `json:"rc"`
	RCSite       string                          `json:"rc_site"`
	RCTierLevel  int                             `json:"rc_tier_level"`
	RCSiteInfo   rcSite                          `json:"rcsite"`
	State        string                          `json:"state"`
	TierLevel    int                             `json:"tier_level"`
}

type ddmRef struct {
	SEImpl string `json:"se_impl"`
	State  string `json:"state"`
}

type presource struct {
	Capability   string    `json:"capability"`
	Pandaqueues  []pqBrief `json:"pandaqueues"`
	ResourceType string    `json:"resource_type"`
	State        string    `json:"state"`
	Type         string    `json:"type"`
}

type pqBrief struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type rcSite struct {
	Corepower float64 `json:"corepower"`
	Name      string  `json:"name"`
	RC        string  `json:"rc"`
	Status    string  `json:"status"`
}

func (g *Grid) serveSite(w http.ResponseWriter, _ *http.Request) {
	g.cache.siteOnce.Do(func() {
		entries := make([]kv, 0, len(g.sites))
		for _, s := range g.sites {
			entries = append(entries, kv{key: s.name, val: marshal(g.siteObject(s))})
		}
		slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(a.key, b.key) })
		g.cache.site = appendObject(nil, entries)
	})
	writeBody(w, "application/json", http.StatusOK, g.cache.site)
}

// siteObject builds the CRIC site object of s.
func (g *Grid) siteObject(s *site) *siteJSON {
	o := &siteJSON{
		Cloud: s.cloud, Corepower: s.corepower, Country: s.country(), Datapolicies: datapolicies(s),
		Ddmendpoints: map[string]ddmRef{}, Fsconf: fsconf(s), IsPledged: !s.hpc && s.rc != "", Name: s.name,
		Presources: map[string]map[string]presource{s.name: {}}, RC: s.rc, RCSite: s.name,
		RCTierLevel: s.tier, RCSiteInfo: rcSite{Corepower: s.corepower, Name: s.name, RC: s.rc, Status: "active"},
		State: "ACTIVE", TierLevel: s.tier,
	}
	for _, e := range rsesOf(s) {
		o.Ddmendpoints[e.name] = ddmRef{State: g.rseState(e)}
	}
	for _, q := range s.queues {
		rt := "GRID"
		if s.hpc {
			rt = "hpc"
		}
		o.Presources[s.name][q.cricKey] = presource{
			Capability: q.spec.capability, ResourceType: rt, State: "ACTIVE", Type: q.spec.typ,
			Pandaqueues: []pqBrief{{Name: q.cricKey, Type: q.spec.typ}},
		}
	}
	return o
}

func datapolicies(s *site) []string {
	switch {
	case s.tier <= 1:
		return []string{"T0Disk", "T0Tape", "T0TaskOutput", "Nucleus", "AnalysisData"}
	case s.nucleus:
		return []string{"T0Disk", "Nucleus", "AnalysisData"}
	case s.hasStorage():
		return []string{"AnalysisData"}
	}
	return []string{}
}

// fsconf is the site's Frontier and squid setup: [[primary, {mirror:
// state}]]. HPC sites have none.
func fsconf(s *site) map[string][]any {
	if s.hpc {
		return map[string][]any{}
	}
	front, ok := frontierOf[s.cloud]
	if !ok {
		front = frontierCERN
	}
	host := strings.ToLower(strings.ReplaceAll(s.name, "_", "-"))
	squid := "http://squid." + host + ".example.org:3128"
	return map[string][]any{
		"frontier": {[]any{front, map[string]string{strings.Replace(front, ".", "1.", 1): "ACTIVE"}}},
		"squid":    {[]any{squid, map[string]string{strings.Replace(squid, "squid.", "squid2.", 1): "ACTIVE"}}},
	}
}

// rseState is ACTIVE except for a few group disks.
func (g *Grid) rseState(e rse) string {
	if e.typ == "LOCALGROUPDISK" && unit(h2(g.seed, strHash(e.name))) < .1 {
		return "DISABLED"
	}
	return "ACTIVE"
}

type ddmJSON struct {
	Cloud         string     `json:"cloud"`
	Country       string     `json:"country"`
	Datapolicies  []string   `json:"datapolicies"`
	IsTape        bool       `json:"is_tape"`
	Name          string     `json:"name"`
	RC            string     `json:"rc"`
	RCSite        string     `json:"rc_site"`
	SE            string     `json:"se"`
	SEFlavour     string     `json:"se_flavour"`
	Servedrestfts servedREST `json:"servedrestfts"`
	Site          string     `json:"site"`
	SiteState     string     `json:"site_state"`
	State         string     `json:"state"`
	TierLevel     int        `json:"tier_level"`
	Token         string     `json:"token"`
	Type          string     `json:"type"`
}

// servedREST is servedrestfts: MASTER is a list, TESTING a string.
type servedREST struct {
	Master  []string `json:"MASTER"`
	Testing string   `json:"TESTING"`
}

func (g *Grid) serveDDM(w http.ResponseWriter, _ *http.Request) {
	g.cache.ddmOnce.Do(func() {
		rses := g.allRSEs()
		entries := make([]kv, 0, len(rses))
		for _, e := range rses {
			entries = append(entries, kv{key: e.name, val: marshal(g.ddmObject(e))})
		}
		g.cache.ddm = appendObject(nil, entries)
	})
	writeBody(w, "application/json", http.StatusOK, g.cache.ddm)
}

// ddmObject builds the CRIC ddmendpoint object of e.
func (g *Grid) ddmObject(e rse) *ddmJSON {
	s := e.site
	host := strings.ToLower(strings.ReplaceAll(s.name, "_", "-"))
	o := &ddmJSON{
		Cloud: s.cloud, Country: s.country(), Datapolicies: datapolicies(s), IsTape: strings.HasSuffix(e.typ, "TAPE"),
		Name: e.name, RC: s.rc, RCSite: s.name, SE: "davs://se." + host + ".example.org:443", SEFlavour: "WEBDAV",
		Servedrestfts: servedREST{Master: ftsMaster(s.cloud), Testing: "https://fts3-pilot.cern.ch:8446"},
		Site:          s.name, SiteState: "ACTIVE", State: g.rseState(e), TierLevel: s.tier, Token: e.token, Type: e.typ,
	}
	if unit(h2(g.seed, strHash(e.name)^0xf75)) < .05 {
		o.Servedrestfts.Master = []string{}
	}
	return o
}

func ftsMaster(cloud string) []string {
	switch cloud {
	case "US", "CA":
		return []string{"https://fts.usatlas.bnl.gov:8446", "https://fts3-atlas.cern.ch:8446"}
	case "UK", "ND", "NL":
		return []string{"https://lcgfts3.gridpp.rl.ac.uk:8446", "https://fts3-atlas.cern.ch:8446"}
	}
	return []string{"https://fts3-atlas.cern.ch:8446", "https://fts3.cern.ch:8446", "https://lcgfts3.gridpp.rl.ac.uk:8446"}
}
