package enrich

import (
	"fmt"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/source/cric"
	"github.com/qmonit/qmonit/internal/source/panda"
)

// benchInput builds a catalog of n queues over n/8 sites and an answer with
// about 25 entries per queue.
func benchInput(n int) (Catalog, panda.Stats) {
	c := Catalog{
		Queues: map[string]cric.Queue{}, Sites: map[string]cric.Site{},
		DDMEndpoints: map[string]cric.DDMEndpoint{}, Federations: map[string]cric.Federation{},
	}
	var st panda.Stats
	labels := []string{"managed", "user"}
	resources := []string{"MCORE", "SCORE", "SCORE_HIMEM"}
	states := []string{"activated", "assigned", "failed", "finished", "running"}
	for i := range n {
		site := fmt.Sprintf("SITE%03d", i/8)
		name := fmt.Sprintf("%s_Q%d", site, i%8)
		c.Queues[name] = cric.Queue{PandaResource: name, AtlasSite: site, Cloud: "C", RC: "FED-" + site, CoreCount: f64(8), CorePower: f64(11)}
		c.Sites[site] = cric.Site{Name: site, Frontier: "http://frontier." + site + ":3128/x", Nucleus: i%16 == 0}
		c.DDMEndpoints[site+"_DATADISK"] = cric.DDMEndpoint{Site: site, FTSMaster: []string{"https://fts.example:8446"}}
		c.Federations["FED-"+site] = cric.Federation{RCSites: []string{site}, Pledges: map[string]map[string]map[string]string{
			"2021": {"Q2": {"CPU": "1000", "Disk": "10"}}}}
		for _, l := range labels {
			for _, r := range resources {
				for _, s := range states {
					st.Entries = append(st.Entries, panda.Entry{Queue: name, Label: l, Resource: r, Status: s, Count: int64(i)})
				}
			}
		}
	}
	return c, st
}

func BenchmarkEnrich(b *testing.B) {
	c, st := benchInput(1000)
	ix := NewIndex(c)
	cycle := time.Date(2021, 7, 15, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	points := 0
	for b.Loop() {
		points += len(Enrich(st, ix, cycle, 10*time.Minute).Points)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/cycle")
	b.ReportMetric(float64(points)/float64(b.N), "points/cycle")
}

func BenchmarkNewIndex(b *testing.B) {
	c, _ := benchInput(1000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(c)
	}
}
