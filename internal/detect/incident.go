package detect

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// groupDims are the attributes queues are grouped by, in tie-break order.
var groupDims = [...]string{"cloud", "atlas_site", "harvester", "pilot_version"}

func dimValue(f *Finding, dim string) string {
	switch dim {
	case "cloud":
		return f.Cloud
	case "atlas_site":
		return f.Site
	case "harvester":
		return f.Harvester
	default:
		return f.PilotVersion
	}
}

// draft is an incident wanted this cycle, before it is matched to an open one.
type draft struct {
	kind, group, state, dir string
	queue                   string // for per-queue kinds
	evidence                []Finding
}

func (r *draft) identity() string {
	return strings.Join([]string{r.kind, r.group, r.queue, r.state, r.dir}, "|")
}

// assign turns the active signals into incidents: open groups keep claiming
// matching signals, then new groups of at least GroupMin queues, then one
// incident per queue, state and direction (covering its prod sources and
// resource types); data-quality findings make one incident per queue.
func (d *Detector) assign(signals, dq []Finding) map[string]*draft {
	out := map[string]*draft{}
	claimed := make([]bool, len(signals))
	for _, id := range sortedKeys(d.open) {
		inc := d.open[id]
		if inc.Kind != KindGroup {
			continue
		}
		dim, val, _ := strings.Cut(inc.Group, "=")
		r := &draft{kind: KindGroup, group: inc.Group, state: inc.State, dir: inc.Direction}
		claim(signals, claimed, r, func(f *Finding) bool { return dimValue(f, dim) == val })
		if len(r.evidence) > 0 {
			out[r.identity()] = r
		}
	}
	for {
		r := d.bestGroup(signals, claimed)
		if r == nil {
			break
		}
		dim, val, _ := strings.Cut(r.group, "=")
		claim(signals, claimed, r, func(f *Finding) bool { return dimValue(f, dim) == val })
		out[r.identity()] = r
	}
	for i := range signals {
		if !claimed[i] {
			f := signals[i]
			r := &draft{kind: KindQueue, queue: f.Queue, state: f.State, dir: f.Direction}
			if prev := out[r.identity()]; prev != nil {
				r = prev // one incident for the queue's series (prod sources, resource types)
			}
			r.evidence = append(r.evidence, f)
			out[r.identity()] = r
		}
	}
	for _, f := range dq {
		r := &draft{kind: KindDataQuality, queue: f.Queue}
		if prev := out[r.identity()]; prev != nil {
			r = prev
		}
		r.evidence = append(r.evidence, f)
		out[r.identity()] = r
	}
	return out
}

// claim moves the unclaimed signals with r's state and direction that match
// into r.
func claim(signals []Finding, claimed []bool, r *draft, match func(*Finding) bool) {
	for i := range signals {
		f := &signals[i]
		if !claimed[i] && f.State == r.state && f.Direction == r.dir && match(f) {
			claimed[i] = true
			r.evidence = append(r.evidence, *f)
		}
	}
}

// bestGroup returns the largest new group (distinct queues sharing an
// attribute, state and direction among unclaimed signals) of at least
// GroupMin queues, or nil.
func (d *Detector) bestGroup(signals []Finding, claimed []bool) *draft {
	type gk struct{ dim, val, state, dir string }
	members := map[gk]map[string]bool{}
	for i := range signals {
		f := &signals[i]
		if claimed[i] {
			continue
		}
		for _, dim := range groupDims {
			v := dimValue(f, dim)
			if v == "" || v == point.NoValue {
				continue
			}
			k := gk{dim, v, f.State, f.Direction}
			if members[k] == nil {
				members[k] = map[string]bool{}
			}
			members[k][f.Queue] = true
		}
	}
	var best *gk
	bestN := 0
	for k, qs := range members {
		if len(qs) < d.cfg.GroupMin || len(qs) < bestN {
			continue
		}
		if len(qs) == bestN && !groupBefore(k.dim, k.val+k.state+k.dir, best.dim, best.val+best.state+best.dir) {
			continue
		}
		k := k
		best, bestN = &k, len(qs)
	}
	if best == nil {
		return nil
	}
	return &draft{kind: KindGroup, group: best.dim + "=" + best.val, state: best.state, dir: best.dir}
}

// groupBefore orders equal-sized groups: dimension order, then value.
func groupBefore(dimA, valA, dimB, valB string) bool {
	ia, ib := slices.Index(groupDims[:], dimA), slices.Index(groupDims[:], dimB)
	if ia != ib {
		return ia < ib
	}
	return valA < valB
}

// reconcile opens, updates and closes incidents so the open set matches want.
func (d *Detector) reconcile(t time.Time, want map[string]*draft) Report {
	var rep Report
	var opened []*Incident
	for _, id := range sortedKeys(want) {
		r := want[id]
		inc := d.open[id]
		if inc == nil {
			inc = &Incident{Kind: r.kind, Start: t, State: r.state, Direction: r.dir, Group: r.group}
			inc.ID = incidentID(id, t)
			d.open[id] = inc
			opened = append(opened, inc)
		}
		inc.Evidence = r.evidence
		inc.Queues = queuesOf(r.evidence)
		inc.Expected = r.kind != KindDataQuality && allExpected(r.evidence)
	}
	for _, inc := range opened {
		rep.Opened = append(rep.Opened, *inc)
	}
	for _, id := range sortedKeys(d.open) {
		if want[id] == nil {
			inc := d.open[id]
			end := t
			inc.End = &end
			rep.Closed = append(rep.Closed, *inc)
			delete(d.open, id)
		}
	}
	rep.Open = d.openList()
	return rep
}

func (d *Detector) openList() []Incident {
	out := make([]Incident, 0, len(d.open))
	for _, id := range sortedKeys(d.open) {
		out = append(out, *d.open[id])
	}
	slices.SortStableFunc(out, func(a, b Incident) int { return a.Start.Compare(b.Start) })
	return out
}

// incidentID is a stable hash of the identity (kind, group, state,
// direction) and the start time.
func incidentID(identity string, start time.Time) string {
	h := fnv.New64a()
	h.Write([]byte(identity))
	h.Write([]byte(start.UTC().Format(time.RFC3339)))
	return fmt.Sprintf("%016x", h.Sum64())
}

func queuesOf(fs []Finding) []string {
	qs := make([]string, 0, len(fs))
	for i := range fs {
		qs = append(qs, fs[i].Queue)
	}
	slices.Sort(qs)
	return slices.Compact(qs)
}

func allExpected(fs []Finding) bool {
	for i := range fs {
		if !fs[i].Expected {
			return false
		}
	}
	return len(fs) > 0
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, cmp.Compare)
	return ks
}
