// Package enrich turns PanDA's job counts and the CRIC catalog into points.
// It is pure: no I/O, no clock, no logging. The rules are those of the
// collector issue (#2) and are documented on each function.
package enrich

import (
	"net/url"
	"slices"
	"strings"

	"github.com/qmonit/qmonit/internal/source/cric"
)

// Index is the catalog prepared for joins. It is immutable once built and
// safe for concurrent use.
type Index struct {
	queues     map[string]*cric.Queue
	byResource map[string]*cric.Queue // panda_resource -> queue with the smallest key
	sites      map[string]*siteInfo
	fts        map[string]string // atlas site -> FTS host, or ""
	feds       map[string]*cric.Federation
	fedByRC    map[string]*cric.Federation // rcsite -> federation with the smallest key
}

type siteInfo struct {
	frontier string // host, or ""
	nucleus  bool
}

// Catalog is the input of NewIndex: the decoded CRIC dumps, keyed by name.
// Any map may be nil (that dump is not available).
type Catalog struct {
	Queues       map[string]cric.Queue
	Sites        map[string]cric.Site
	DDMEndpoints map[string]cric.DDMEndpoint
	Federations  map[string]cric.Federation
}

// NewIndex builds the join indexes. It copies what it keeps, so the caller
// may reuse the maps.
func NewIndex(c Catalog) *Index {
	ix := &Index{
		queues:     make(map[string]*cric.Queue, len(c.Queues)),
		byResource: make(map[string]*cric.Queue, len(c.Queues)),
		sites:      make(map[string]*siteInfo, len(c.Sites)),
		fts:        make(map[string]string),
		feds:       make(map[string]*cric.Federation, len(c.Federations)),
		fedByRC:    make(map[string]*cric.Federation),
	}
	for k, q := range c.Queues {
		q.Key = k
		ix.queues[k] = &q
		if q.PandaResource == "" {
			continue
		}
		if cur, ok := ix.byResource[q.PandaResource]; !ok || k < cur.Key {
			ix.byResource[q.PandaResource] = &q
		}
	}
	for name, s := range c.Sites {
		ix.sites[name] = &siteInfo{frontier: Host(s.Frontier), nucleus: s.Nucleus}
	}
	ix.indexFTS(c.DDMEndpoints)
	ix.indexFederations(c.Federations)
	return ix
}

// indexFTS sets each site's FTS host from the DDM endpoint with the smallest
// name among those of that site with a non-empty MASTER list. It needs only
// the DDM dump, not the site dump.
func (ix *Index) indexFTS(ddms map[string]cric.DDMEndpoint) {
	best := map[string]string{} // site -> endpoint name
	for name, d := range ddms {
		if d.Site == "" || len(d.FTSMaster) == 0 {
			continue
		}
		if cur, ok := best[d.Site]; !ok || name < cur {
			best[d.Site] = name
		}
	}
	for site, name := range best {
		ix.fts[site] = Host(ddms[name].FTSMaster[0])
	}
}

func (ix *Index) indexFederations(feds map[string]cric.Federation) {
	keys := make([]string, 0, len(feds))
	for k := range feds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f := feds[k]
		f.Name = k
		ix.feds[k] = &f
		for _, rc := range f.RCSites {
			if _, ok := ix.fedByRC[rc]; !ok && rc != "" {
				ix.fedByRC[rc] = &f // keys are visited in order: the first is the smallest
			}
		}
	}
}

// Host returns the lower-cased host name of a URL, or "" when the text is
// not an absolute URL with a host.
func Host(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// Queue returns the CRIC pandaqueue for PanDA's queue name: the one whose key
// equals it, otherwise the one whose panda_resource equals it (smallest key).
func (ix *Index) Queue(name string) (*cric.Queue, bool) {
	if q, ok := ix.queues[name]; ok {
		return q, true
	}
	q, ok := ix.byResource[name]
	return q, ok
}

// Len returns the number of pandaqueues in the index.
func (ix *Index) Len() int { return len(ix.queues) }
