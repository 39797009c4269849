package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// pqJSON is one CRIC pandaqueue object: the fields qmonit, BigPanDA and
// panda-server read, in the dump's alphabetical order.
type pqJSON struct {
	Astorages     astorages `json:"astorages"`
	AtlasSite     string    `json:"atlas_site"`
	Capability    string    `json:"capability"`
	Cloud         string    `json:"cloud"`
	Comment       string    `json:"comment"`
	ContainerType string    `json:"container_type"`
	Corecount     *int      `json:"corecount"`
	Corepower     *float64  `json:"corepower,omitempty"`
	Country       string    `json:"country"`
	Description   string    `json:"description"`
	Gocname       string    `json:"gocname"`
	Harvester     string    `json:"harvester"`
	IsAnalysis    bool      `json:"is_analysis"`
	IsProduction  bool      `json:"is_production"`
	LastModified  string    `json:"last_modified"`
	Maxrss        int       `json:"maxrss"`
	Maxtime       int       `json:"maxtime"`
	Nickname      string    `json:"nickname"`
	PandaResource string    `json:"panda_resource"`
	PandaSite     string    `json:"panda_site"`
	PilotManager  string    `json:"pilot_manager"`
	PilotVersion  string    `json:"pilot_version"`
	Queues        []ceQueue `json:"queues"`
	RC            string    `json:"rc"`
	RCCountry     string    `json:"rc_country"`
	RCSite        string    `json:"rc_site"`
	RCSiteState   string    `json:"rc_site_state"`
	ResourceType  string    `json:"resource_type"`
	Site          string    `json:"site"`
	SiteState     string    `json:"site_state"`
	SiteID        string    `json:"siteid"`
	State         string    `json:"state"`
	Status        string    `json:"status"`
	Tier          string    `json:"tier"`
	TierLevel     int       `json:"tier_level"`
	Type          string    `json:"type"`
	VOName        string    `json:"vo_name"`
	Workflow      string    `json:"workflow"`
}

type astorages struct {
	PR               []string `json:"pr"`
	PW               []string `json:"pw"`
	ReadLAN          []string `json:"read_lan"`
	WriteLAN         []string `json:"write_lan"`
	WriteLANAnalysis []string `json:"write_lan_analysis,omitempty"`
}

type ceQueue struct {
	CEEndpoint  string `json:"ce_endpoint"`
	CEFlavour   string `json:"ce_flavour"`
	CEQueueName string `json:"ce_queue_name"`
	CEState     string `json:"ce_state"`
	CEStatus    string `json:"ce_status"`
}

// dumpCache holds encoded CRIC dumps; they change rarely, so they are
// encoded once (or once per variant) and reused.
type dumpCache struct {
	pqOnce sync.Once
	pq     []kv // encoded pandaqueue entries, sorted by key

	siteOnce, ddmOnce sync.Once
	site, ddm         []byte

	mu      sync.Mutex
	pqDumps map[string][]byte // by offline variant
	feds    map[int][]byte    // by year
}

// kv is one encoded entry of a dump object.
type kv struct {
	key string
	val []byte
}

// servePandaQueue serves the CRIC pandaqueue dump at the requested time.
func (g *Grid) servePandaQueue(w http.ResponseWriter, r *http.Request) {
	t, err := g.requestTime(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeBody(w, "application/json", http.StatusOK, g.pandaQueueDump(g.cycle(t)))
}

// pandaQueueDump is the encoded pandaqueue dump at cycle c. It differs from
// the static dump only while a queue_offline incident holds a queue
// offline, so it is cached per such variant.
func (g *Grid) pandaQueueDump(c int64) []byte {
	g.cache.pqOnce.Do(g.encodePandaQueues)
	o := g.offlineAt(c)
	variant := ""
	if o != nil {
		variant = fmt.Sprintf("%d@%d", o.q.idx, o.start)
	}
	g.cache.mu.Lock()
	defer g.cache.mu.Unlock()
	if b, ok := g.cache.pqDumps[variant]; ok {
		return b
	}
	entries := g.cache.pq
	if o != nil {
		entries = slices.Clone(entries)
		pq := g.pandaQueue(o.q)
		pq.Status = "offline"
		pq.LastModified = cricTime(g.cycleTime(o.start))
		i, _ := slices.BinarySearchFunc(entries, o.q.cricKey, func(e kv, k string) int { return strings.Compare(e.key, k) })
		entries[i].val = marshal(pq)
	}
	if len(g.cache.pqDumps) > 16 {
		clear(g.cache.pqDumps)
	} else if g.cache.pqDumps == nil {
		g.cache.pqDumps = map[string][]byte{}
	}
	b := appendObject(nil, entries)
	g.cache.pqDumps[variant] = b
	return b
}

// encodePandaQueues encodes every CRIC queue once, plus the empty "hans"
// entry the real dump carries.
func (g *Grid) encodePandaQueues() {
	entries := []kv{{key: "hans", val: []byte("{}")}}
	for _, q := range g.queues {
		if q.cricKey != "" {
			entries = append(entries, kv{key: q.cricKey, val: marshal(g.pandaQueue(q))})
		}
	}
	slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	g.cache.pq = entries
}

// pandaQueue builds the static CRIC object of q.
func (g *Grid) pandaQueue(q *queue) *pqJSON {
	s := q.site
	h := h2(g.seed, strHash(q.name)^0xc71c)
	pq := &pqJSON{
		Astorages: g.astorages(q), AtlasSite: s.name, Capability: q.spec.capability, Cloud: s.cloud,
		Comment: "no active blacklisting rules defined", Country: s.country(),
		Description: q.name + " queue", Gocname: s.name, IsAnalysis: q.spec.typ == "analysis" || q.spec.typ == "unified",
		IsProduction: q.spec.typ != "analysis", LastModified: cricTime(time.Unix(1704067200+int64(h%(2<<24)), int64(h%1e6)*1000)),
		Maxtime: []int{172800, 259200, 345600}[pick(h>>8, 3)], Nickname: q.cricKey, PandaResource: q.name,
		PandaSite: s.name, Queues: ceQueues(q), RC: s.rc, RCCountry: s.country(), RCSite: s.name,
		RCSiteState: "ACTIVE", ResourceType: "GRID", Site: s.name, SiteState: "ACTIVE", SiteID: q.name,
		State: "ACTIVE", Status: q.status, Tier: s.tierName(), TierLevel: s.tier, Type: q.spec.typ, VOName: "atlas",
	}
	if s.hpc {
		pq.ResourceType = "hpc"
	}
	if q.status == "offline" && unit(h>>3) < .3 {
		pq.State = "INACTIVE"
	}
	if cc := q.spec.corecount; cc > 0 && unit(h>>5) >= .05 {
		pq.Corecount = &cc
	}
	if unit(h>>7) >= .05 {
		cp := s.corepower
		pq.Corepower = &cp
	}
	pq.Maxrss = 2000 * max(q.spec.corecount, 1)
	if strings.Contains(q.spec.capability, "himem") {
		pq.Maxrss *= 2
	}
	g.pilotFields(pq, q, h)
	return pq
}

// pilotFields draws the pilot and container settings of a queue.
func (g *Grid) pilotFields(pq *pqJSON, q *queue, h uint64) {
	u := unit(h >> 11)
	switch {
	case u < .04:
		pq.PilotManager, pq.Workflow = "", "pull"
	case u < .12:
		pq.PilotManager, pq.Workflow = "APF", "push"
	default:
		pq.PilotManager, pq.Workflow = "Harvester", "pull_ups"
	}
	pq.PilotVersion = []string{"3.12.4.1", "3.12.4.1", "3.12.3.8", "3.11.2.22", "PR"}[pick(h>>13, 5)]
	pq.Harvester = []string{"CERN_central_A", "CERN_central_B", "CERN_central_k8s", "BNL_central"}[pick(h>>17, 4)]
	if q.site.hpc {
		pq.Harvester = strings.ToUpper(q.site.name) + "_harvester"
	}
	pq.ContainerType = []string{"apptainer:wrapper", "apptainer:wrapper", "apptainer:wrapper", "singularity:pilot", ""}[pick(h>>19, 5)]
}

func ceQueues(q *queue) []ceQueue {
	host := strings.ToLower(strings.NewReplacer("_", "-", " ", "-").Replace(q.site.name))
	flavour, port := "HTCONDOR-CE", 9619
	if q.site.cloud == "ND" || q.site.cloud == "UK" {
		flavour, port = "ARC-CE", 443
	}
	return []ceQueue{{
		CEEndpoint: fmt.Sprintf("ce01.%s.example.org:%d", host, port), CEFlavour: flavour,
		CEQueueName: "atlas", CEState: "ACTIVE", CEStatus: "production",
	}}
}

// astorages says where the queue reads and writes: its own site's disks,
// or the cloud's Tier-1 for sites without storage.
func (g *Grid) astorages(q *queue) astorages {
	home := q.site
	if !home.hasStorage() {
		home = g.storageSiteFor(home)
	}
	t1 := g.storageSiteFor(&site{cloud: q.site.cloud})
	read := []string{home.rsePrefix() + "_DATADISK"}
	if t1 != home {
		read = append(read, t1.rsePrefix()+"_DATADISK")
	}
	if unit(h2(g.seed, strHash(q.name)^0xd15c)) < .02 {
		read = []string{home.rsePrefix() + "_SCRATCHDISK"} // no DATADISK at all
	}
	write := []string{home.rsePrefix() + "_DATADISK", home.rsePrefix() + "_SCRATCHDISK"}
	a := astorages{PR: read, PW: write, ReadLAN: read, WriteLAN: write}
	if q.spec.typ == "analysis" || q.spec.typ == "unified" {
		a.WriteLANAnalysis = []string{home.rsePrefix() + "_SCRATCHDISK"}
	}
	return a
}

// storageSiteFor is the site holding data for s's cloud: its Tier-0/1, or
// the first site with storage in the cloud, or in the grid.
func (g *Grid) storageSiteFor(s *site) *site {
	var first *site
	for _, c := range g.sites {
		if c.cloud == s.cloud && c.hasStorage() {
			if c.tier <= 1 {
				return c
			}
			if first == nil {
				first = c
			}
		}
	}
	if first != nil {
		return first
	}
	for _, c := range g.sites {
		if c.hasStorage() {
			return c
		}
	}
	return g.sites[0]
}

// cricTime formats a time as CRIC does (no zone, microseconds).
func cricTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

// marshal encodes v as compact JSON without HTML escaping; v is always
// encodable, so an error is a bug.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("BUG: sim marshal: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// appendObject appends {"key": val, ...} in the given order.
func appendObject(b []byte, entries []kv) []byte {
	b = append(b, '{')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, marshal(e.key)...)
		b = append(b, ':')
		b = append(b, e.val...)
	}
	return append(b, '}')
}
