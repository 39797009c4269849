package web

import (
	"cmp"
	"math"
	"slices"
)

// topGroups returns the n groups with the largest area (sum over time),
// largest first; ties by name.
func topGroups(totals map[string][]float64, n int) []string {
	type ranked struct {
		name string
		area float64
	}
	all := make([]ranked, 0, len(totals))
	for name, v := range totals {
		all = append(all, ranked{name, sumFinite(v)})
	}
	slices.SortFunc(all, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.area, a.area), cmp.Compare(a.name, b.name))
	})
	// A single group beyond n is drawn apart rather than as "other".
	if len(all) == n+1 {
		n++
	}
	out := make([]string, 0, min(n, len(all)))
	for _, r := range all[:min(n, len(all))] {
		out = append(out, r.name)
	}
	return out
}

// chartOf returns the series of the top groups, in order, then the sum of
// every other group as "other" when there is any. Groups of top without
// data are skipped.
func chartOf(byGroup map[string][]float64, top []string) []chartSeries {
	out := make([]chartSeries, 0, len(top)+1)
	for _, name := range top {
		if v, ok := byGroup[name]; ok {
			out = append(out, chartSeries{Name: name, Values: nums(v)})
		}
	}
	var rest []float64
	for _, name := range sortedKeys(byGroup) {
		if !slices.Contains(top, name) {
			rest = addInto(rest, byGroup[name])
		}
	}
	if rest != nil {
		out = append(out, chartSeries{Name: otherGroup, Other: true, Values: nums(rest)})
	}
	return out
}

// currentTable builds the rows: one per group with data now or in the
// range, sorted by current total (largest first), then name; and the
// totals row.
func currentTable(groupLabel string, current []sample, finals map[string]*[2]float64, spark map[string][]float64) ([]string, []groupRow, groupRow) {
	now := map[string]map[string]float64{}
	present := map[string]bool{}
	for _, s := range current {
		grp, st := s.Labels.Get(groupLabel), s.Labels.Get(labelStatus)
		if now[grp] == nil {
			now[grp] = map[string]float64{}
		}
		now[grp][st] += s.V
		present[st] = true
	}
	states := orderStates(present)
	groups := map[string]bool{}
	for _, m := range []map[string]bool{keySet(now), keySet(finals), keySet(spark)} {
		for k := range m {
			groups[k] = true
		}
	}
	rows := make([]groupRow, 0, len(groups))
	var allFinals [2]float64
	var allSpark []float64
	total := groupRow{Group: "Total", Current: make([]num, len(states))}
	var grand float64
	for grp := range groups {
		row := groupRow{Group: grp, Current: make([]num, len(states)), Total: num(math.NaN())}
		if m, ok := now[grp]; ok {
			var t float64
			for i, st := range states {
				row.Current[i] = num(m[st])
				total.Current[i] += num(m[st])
				t += m[st]
			}
			row.Total = num(t)
			grand += t
		} else {
			for i := range row.Current {
				row.Current[i] = num(math.NaN())
			}
		}
		f := finals[grp]
		if f != nil {
			allFinals[0] += f[0]
			allFinals[1] += f[1]
			row.FailurePct = failurePct(f[0], f[1])
		} else {
			row.FailurePct = num(math.NaN())
		}
		row.Spark = nums(spark[grp])
		allSpark = addInto(allSpark, spark[grp])
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b groupRow) int {
		return cmp.Or(cmp.Compare(finiteOr(b.Total, -1), finiteOr(a.Total, -1)), cmp.Compare(a.Group, b.Group))
	})
	total.Total = num(grand)
	total.FailurePct = failurePct(allFinals[0], allFinals[1])
	total.Spark = nums(allSpark)
	return states, rows, total
}

// failurePct is failed / (failed + finished) in percent; NaN (null) when
// no job ended.
func failurePct(failed, finished float64) num {
	if failed+finished <= 0 {
		return num(math.NaN())
	}
	return num(100 * failed / (failed + finished))
}

// orderStates returns the states present in stateOrder's order, unknown
// ones after, sorted.
func orderStates(present map[string]bool) []string {
	out := make([]string, 0, len(present))
	for _, s := range stateOrder {
		if present[s] {
			out = append(out, s)
		}
	}
	var extra []string
	for s := range present {
		if !slices.Contains(stateOrder, s) {
			extra = append(extra, s)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// addInto adds src to dst point by point, treating NaN as missing: a point
// is NaN only when missing in both. A nil dst is allocated.
func addInto(dst, src []float64) []float64 {
	if src == nil {
		return dst
	}
	if dst == nil {
		return slices.Clone(src)
	}
	for i := range min(len(dst), len(src)) {
		switch {
		case math.IsNaN(src[i]):
		case math.IsNaN(dst[i]):
			dst[i] = src[i]
		default:
			dst[i] += src[i]
		}
	}
	return dst
}

// sumFinite sums the finite values of v.
func sumFinite(v []float64) float64 {
	var s float64
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s += x
		}
	}
	return s
}

func finiteOr(n num, def float64) float64 {
	if f := float64(n); !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f
	}
	return def
}

func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
