package enrich

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/source/cric"
	"github.com/qmonit/qmonit/internal/source/panda"
)

// Result is what one enrichment produces.
type Result struct {
	Points []point.Point
	// Unknown lists, sorted, the queues PanDA reported that have no CRIC
	// pandaqueue. Their points are kept with every attribute "No value".
	Unknown []string
	// Time is the points' time: the cycle time floored to the interval.
	Time time.Time
}

// Enrich builds one point per entry of stats, at point.Floor(cycle, interval),
// joined with the catalog in ix. It does not modify stats or ix.
func Enrich(stats panda.Stats, ix *Index, cycle time.Time, interval time.Duration) Result {
	t := point.Floor(cycle, interval)
	res := Result{Time: t, Points: make([]point.Point, 0, len(stats.Entries))}
	var (
		lastQueue string
		cur       *queueInfo
	)
	cache := make(map[string]*queueInfo)
	for _, e := range stats.Entries {
		if cur == nil || e.Queue != lastQueue {
			cur = cache[e.Queue]
			if cur == nil {
				cur = ix.queueInfo(e.Queue, t)
				cache[e.Queue] = cur
				if !cur.known {
					res.Unknown = append(res.Unknown, e.Queue)
				}
			}
			lastQueue = e.Queue
		}
		res.Points = append(res.Points, point.Point{
			Time:           t,
			Queue:          e.Queue,
			ProdSource:     keyTag(e.Label),
			Resource:       keyTag(e.Resource),
			Status:         keyTag(e.Status),
			Attrs:          &cur.attrs,
			Jobs:           e.Count,
			ResourceFactor: cur.resourceFactor(e.Resource),
			Corepower:      cur.corepower,
			Pledge:         cur.pledge,
		})
	}
	slices.Sort(res.Unknown)
	return res
}

// keyTag maps PanDA's "null" and "" keys to "No value".
func keyTag(k string) string {
	if k == "" || k == "null" {
		return point.NoValue
	}
	return k
}

// tag maps CRIC tag text to a tag value: "" becomes "No value".
func tag(s string) string {
	if s == "" {
		return point.NoValue
	}
	return s
}

// queueInfo is what a queue contributes to each of its points.
type queueInfo struct {
	known     bool
	attrs     point.Attrs
	corecount float64 // > 0 when set
	corepower float64
	pledge    float64
}

// resourceFactor is the PQ's corecount for MCORE* resources when it is
// positive, 8 for MCORE* otherwise, and 1 for every other resource.
func (qi *queueInfo) resourceFactor(resource string) float64 {
	if !strings.HasPrefix(resource, "MCORE") {
		return 1
	}
	if qi.corecount > 0 {
		return qi.corecount
	}
	return 8
}

func (ix *Index) queueInfo(name string, t time.Time) *queueInfo {
	qi := &queueInfo{corepower: 1}
	q, ok := ix.Queue(name)
	if !ok {
		for i := range qi.attrs {
			qi.attrs[i] = point.NoValue
		}
		return qi
	}
	qi.known = true
	if q.CoreCount != nil {
		qi.corecount = *q.CoreCount
	}
	if q.CorePower != nil {
		qi.corepower = *q.CorePower
	}
	a := &qi.attrs
	a[point.AtlasSite] = tag(q.AtlasSite)
	a[point.Type] = tag(q.Type)
	a[point.ResourceType] = tag(q.ResourceType)
	a[point.Cloud] = tag(q.Cloud)
	a[point.Country] = tag(q.Country)
	a[point.SiteState] = tag(q.Status)
	a[point.Tier] = tag(q.Tier)
	a[point.PilotManager] = tag(q.PilotManager)
	a[point.PilotVersion] = tag(q.PilotVersion)
	a[point.Harvester] = tag(q.Harvester)
	a[point.Workflow] = tag(q.Workflow)
	a[point.ContainerType] = tag(q.ContainerType)
	a[point.Federation] = tag(q.RC)
	ix.siteAttrs(q, a)
	var pledgeType string
	pledgeType, qi.pledge = ix.pledges(q, t)
	a[point.PledgeType] = tag(pledgeType)
	return qi
}

// siteAttrs sets frontier, nucleus and fts_server from the PQ's atlas_site.
func (ix *Index) siteAttrs(q *cric.Queue, a *point.Attrs) {
	a[point.Frontier], a[point.Nucleus], a[point.FTSServer] = point.NoValue, point.NoValue, point.NoValue
	if q.AtlasSite == "" {
		return
	}
	if s := ix.sites[q.AtlasSite]; s != nil {
		a[point.Frontier] = tag(s.frontier)
		if s.nucleus {
			a[point.Nucleus] = q.AtlasSite
		}
	}
	a[point.FTSServer] = tag(ix.fts[q.AtlasSite])
}

// Quarter returns the WLCG pledge year and quarter of t: the pledge year
// starts on April 1st, so Apr-Jun is Q1, Jul-Sep Q2, Oct-Dec Q3 and Jan-Mar
// Q4 of the previous year.
func Quarter(t time.Time) (year, quarter string) {
	t = t.UTC()
	y, m := t.Year(), int(t.Month())
	if m <= 3 {
		return strconv.Itoa(y - 1), "Q4"
	}
	return strconv.Itoa(y), "Q" + strconv.Itoa((m-1)/3)
}

// federation returns the federation keyed by the PQ's rc, else the one with
// the smallest key whose rcsites contain the PQ's atlas_site.
func (ix *Index) federation(q *cric.Queue) *cric.Federation {
	if q.RC != "" {
		if f := ix.feds[q.RC]; f != nil {
			return f
		}
	}
	if q.AtlasSite != "" {
		return ix.fedByRC[q.AtlasSite]
	}
	return nil
}

// pledges returns pledge_type ("<value> (<resource>)" per resource, in
// resource-name order, joined by ";") and the CPU pledge (0 when none).
func (ix *Index) pledges(q *cric.Queue, t time.Time) (string, float64) {
	f := ix.federation(q)
	if f == nil {
		return "", 0
	}
	year, quarter := Quarter(t)
	res := f.Pledges[year][quarter]
	if len(res) == 0 {
		return "", 0
	}
	names := make([]string, 0, len(res))
	for r := range res {
		names = append(names, r)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, r := range names {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(res[r])
		b.WriteString(" (")
		b.WriteString(r)
		b.WriteByte(')')
	}
	cpu, err := strconv.ParseFloat(res["CPU"], 64)
	if err != nil || cpu != cpu || cpu > 1e300 || cpu < -1e300 {
		cpu = 0
	}
	return b.String(), cpu
}
