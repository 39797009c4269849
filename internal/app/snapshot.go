package app

import (
	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/source/datadisk"
	"github.com/qmonit/qmonit/internal/store/sqlsnap"
)

// averagedStates are the states whose moving averages the snapshot keeps,
// as the seed's MySQL table did.
var averagedStates = [...]string{"assigned", "activated", "failed", "running"}

type rowKey struct{ queue, prodSource, resource string }

// snapshotRows groups a cycle's points into one row per (queue, label,
// resource) with every state's count, the moving averages and the
// datadisk the queue reads from.
func (d *daemon) snapshotRows(pts []point.Point) []sqlsnap.Row {
	idx := map[rowKey]int{}
	var rows []sqlsnap.Row
	disks := d.up().catalog.Datadisks()
	ix := d.up().catalog.Index()
	for i := range pts {
		p := &pts[i]
		k := rowKey{p.Queue, p.ProdSource, p.Resource}
		n, ok := idx[k]
		if !ok {
			n = len(rows)
			idx[k] = n
			rows = append(rows, d.newRow(p, ix, disks))
		}
		rows[n].Jobs[p.Status] = p.Jobs
	}
	return rows
}

func (d *daemon) newRow(p *point.Point, ix *enrich.Index, disks map[string]datadisk.Usage) sqlsnap.Row {
	r := sqlsnap.Row{
		Queue: p.Queue, ProdSource: p.ProdSource, Resource: p.Resource,
		ResourceFactor: p.ResourceFactor, Corepower: p.Corepower, Pledge: p.Pledge,
		Jobs: map[string]int64{}, Avg: map[string]*float64{},
	}
	if p.Attrs != nil {
		r.Attrs = *p.Attrs
	}
	for _, st := range averagedStates {
		a, ok := d.avg.Averages(point.Key{Queue: p.Queue, ProdSource: p.ProdSource, Resource: p.Resource, Status: st})
		if !ok {
			continue
		}
		for w := derive.Window(0); w < derive.NumWindows; w++ {
			if a.Of[w].Samples > 0 {
				v := a.Of[w].Mean
				r.Avg[w.String()+"_"+st] = &v
			}
		}
		if st == "running" {
			c := a.Of[derive.Window24h].Coverage
			r.Coverage24h = &c
		}
	}
	if q, ok := ix.Queue(p.Queue); ok {
		if name := firstDatadisk(q.ReadLAN); name != "" {
			r.DatadiskName = &name
			if u, ok := disks[name]; ok {
				gb, files := float64(u.Bytes)/1e9, u.Files
				r.DatadiskGB, r.DatadiskFiles = &gb, &files
			}
		}
	}
	return r
}
