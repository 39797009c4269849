package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// meanRunning is the mean number of running jobs per regular queue; the
// grid is scaled to it so small test grids look like the big one.
const meanRunning = 300

// buildGrid draws the static grid: sites, queues and their series.
func (g *Grid) buildGrid() {
	all := parseSites()
	nSites := min(max(g.opts.Queues/8, 4), len(all))
	g.sites = chooseSites(all, nSites)
	for i, s := range g.sites {
		s.idx = i
		s.weight = siteWeight(s) * (0.6 + 0.8*unit(h2(g.seed, strHash(s.name))))
		s.corepower = math.Round((8+6*unit(h3(g.seed, strHash(s.name), 7)))*100) / 100
		if !slices.Contains(g.clouds, s.cloud) {
			g.clouds = append(g.clouds, s.cloud)
		}
	}
	slices.Sort(g.clouds)
	nReg := max(g.opts.Queues-len(oddities), len(g.sites))
	counts := allocate(g.sites, nReg)
	for i, s := range g.sites {
		for k := range counts[i] {
			g.addQueue(s, k)
		}
	}
	g.addOddities()
	g.scaleAndDraw()
	slices.SortFunc(g.queues, func(a, b *queue) int { return strings.Compare(a.name, b.name) })
	for i, q := range g.queues {
		q.idx = i
		if q.site != nil && !q.orphan {
			q.site.queues = append(q.site.queues, q)
		}
	}
}

// chooseSites takes n sites round-robin over clouds, so small grids still
// span several clouds; the result keeps the table order.
func chooseSites(all []*site, n int) []*site {
	byCloud := map[string][]*site{}
	var order []string
	for _, s := range all {
		if _, ok := byCloud[s.cloud]; !ok {
			order = append(order, s.cloud)
		}
		byCloud[s.cloud] = append(byCloud[s.cloud], s)
	}
	chosen := map[*site]bool{}
	for round := 0; len(chosen) < n; round++ {
		for _, c := range order {
			if round < len(byCloud[c]) && len(chosen) < n {
				chosen[byCloud[c][round]] = true
			}
		}
	}
	var out []*site
	for _, s := range all {
		if chosen[s] {
			out = append(out, s)
		}
	}
	return out
}

func siteWeight(s *site) float64 {
	switch {
	case s.tier == 0:
		return 30
	case s.tier == 1:
		return 12
	case s.hpc:
		return 6
	case s.special:
		return 2.5
	case s.tier == 2 && s.nucleus:
		return 5
	case s.tier == 2:
		return 3
	}
	return 0.8
}

// queueWeight is a site's share of queues: sqrt(weight), except HPC
// centres, which run much but through few queues.
func queueWeight(s *site) float64 {
	if s.hpc {
		return 1
	}
	return math.Sqrt(s.weight)
}

// allocate spreads n queues over sites in proportion to queueWeight, at
// least one each, by largest remainder.
func allocate(sites []*site, n int) []int {
	var sum float64
	for _, s := range sites {
		sum += queueWeight(s)
	}
	counts := make([]int, len(sites))
	rest := make([]float64, len(sites))
	used := 0
	for i, s := range sites {
		x := float64(n) * queueWeight(s) / sum
		counts[i] = max(1, int(x))
		rest[i] = x - math.Floor(x)
		used += counts[i]
	}
	idx := make([]int, len(sites))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rest[b], rest[a]) })
	for i := 0; used < n; i = (i + 1) % len(idx) {
		counts[idx[i]]++
		used++
	}
	return counts
}

// addQueue adds the k-th queue of site s.
func (g *Grid) addQueue(s *site, k int) {
	spec := &specs[k%len(specs)]
	name := fmt.Sprintf(spec.pattern, s.name)
	if k >= len(specs) {
		spec = &specs[0]
		name = fmt.Sprintf("%s_UCORE_%d", s.name, k-len(specs)+2)
	}
	q := &queue{name: name, cricKey: name, site: s, spec: spec, status: spec.status, tz: cloudTZ[s.cloud]}
	if q.status == "" {
		u := unit(h3(g.seed, strHash(name), 11))
		switch {
		case k == 0 || u >= .05:
			q.status = "online"
		case u < .03:
			q.status = "offline"
		default:
			q.status = "brokeroff"
		}
	}
	g.queues = append(g.queues, q)
}

// addOddities adds the awkward queues (see oddities).
func (g *Grid) addOddities() {
	for i := range oddities {
		o := &oddities[i]
		s := g.sites[0]
		for _, c := range g.sites {
			if c.name == o.site {
				s = c
			}
		}
		status := o.spec.status
		if status == "" {
			status = "online"
		}
		g.queues = append(g.queues, &queue{
			name: o.name, cricKey: o.cricKey, site: s, spec: &o.spec, status: status,
			orphan: o.cricKey == "", oddity: true, tz: cloudTZ[s.cloud],
		})
	}
}

// scaleAndDraw gives every reporting queue its series, scaled so the mean
// regular queue runs meanRunning jobs.
func (g *Grid) scaleAndDraw() {
	specSum := map[*site]float64{}
	for _, q := range g.queues {
		specSum[q.site] += q.spec.weight
	}
	raw := make([]float64, len(g.queues))
	var sum float64
	n := 0
	for i, q := range g.queues {
		if q.status == "offline" {
			continue
		}
		ln := math.Exp(0.45 * normal(h3(g.seed, strHash(q.name), 13)))
		raw[i] = q.site.weight * q.spec.weight / specSum[q.site] * ln
		if !q.oddity {
			sum += raw[i]
			n++
		}
	}
	scale := float64(meanRunning*n) / sum
	for i, q := range g.queues {
		if raw[i] == 0 {
			continue
		}
		base := raw[i] * scale
		for _, c := range g.combosOf(q) {
			s := newSeries(g.seed, q, c, base*c.share)
			q.series = append(q.series, s)
			q.total += s.base
		}
		slices.SortFunc(q.series, func(a, b series) int {
			return strings.Compare(a.label+"\x00"+a.res, b.label+"\x00"+b.res)
		})
	}
}

// combosOf is the queue's spec combos plus, on a few queues, the odd
// "unknown" label and "null" resource type PanDA really reports.
func (g *Grid) combosOf(q *queue) []combo {
	cs := slices.Clone(q.spec.combos)
	if q.spec.status == "test" {
		return cs
	}
	if unit(h3(g.seed, strHash(q.name), 17)) < .06 {
		cs = append(cs, combo{"unknown", "SCORE", .01})
	}
	if q.spec.combos[0].label == "managed" && unit(h3(g.seed, strHash(q.name), 19)) < .05 {
		cs = append(cs, combo{"managed", "null", .006})
	}
	return cs
}
