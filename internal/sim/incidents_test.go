package sim

import (
	"slices"
	"testing"
	"time"
)

func TestIncidentsList(t *testing.T) {
	g := newTestGrid(t, Options{})
	for _, tt := range []struct {
		name     string
		from, to time.Time
		minEach  int
	}{
		{name: "week", from: testTime(), to: testTime().Add(7 * 24 * time.Hour), minEach: 5},
		{name: "another week", from: time.Date(2025, 7, 14, 3, 17, 0, 0, time.UTC), to: time.Date(2025, 7, 21, 3, 17, 0, 0, time.UTC), minEach: 5},
		{name: "one hour", from: testTime(), to: testTime().Add(time.Hour)},
		{name: "instant", from: testTime(), to: testTime()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list := g.Incidents(tt.from, tt.to)
			count := map[string]int{}
			for i, in := range list {
				count[in.Kind]++
				if in.Start.After(tt.to) || (in.End != nil && !in.End.After(tt.from)) {
					t.Errorf("%s %v-%v outside [%v, %v]", in.Kind, in.Start, in.End, tt.from, tt.to)
				}
				if in.End == nil && !g.endOf(in).After(tt.to) {
					t.Errorf("%s at %v has nil End but closes by %v", in.Kind, in.Start, tt.to)
				}
				if in.End != nil && in.End.After(tt.to) {
					t.Errorf("%s End %v after to", in.Kind, in.End)
				}
				if in.Start.Unix()%600 != 0 || len(in.Queues) == 0 || in.Cloud == "" {
					t.Errorf("incident %+v: not on a cycle boundary, or without queues or cloud", in)
				}
				if i > 0 && list[i-1].Start.After(in.Start) {
					t.Error("not sorted by start")
				}
			}
			for _, k := range kindNames {
				if count[k] < tt.minEach {
					t.Errorf("%d %s incidents, want >= %d", count[k], k, tt.minEach)
				}
			}
		})
	}
	if got := g.Incidents(testTime(), testTime().Add(-time.Hour)); len(got) != 0 {
		t.Errorf("to before from: %d incidents", len(got))
	}
}

// endOf is the true end of an incident, even when Incidents hid it.
func (g *Grid) endOf(in Incident) time.Time {
	all := g.Incidents(in.Start, in.Start.Add(48*time.Hour))
	for _, o := range all {
		if o.Kind == in.Kind && o.Start.Equal(in.Start) && o.End != nil {
			return *o.End
		}
	}
	return in.Start.Add(48 * time.Hour)
}

// closedIncidents returns the week's closed incidents of one kind.
func closedIncidents(t *testing.T, g *Grid, kind string) []Incident {
	t.Helper()
	var out []Incident
	for _, in := range g.Incidents(testTime(), testTime().Add(7*24*time.Hour)) {
		if in.Kind == kind && in.End != nil {
			out = append(out, in)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no closed %s incident in a week", kind)
	}
	return out
}

func TestIncidentEffects(t *testing.T) {
	for k := range numKinds {
		t.Run(kindNames[k], func(t *testing.T) {
			g := newTestGrid(t, Options{})
			iv := g.opts.Interval
			for _, in := range closedIncidents(t, g, kindNames[k]) {
				mid, window := in.Start.Add(in.End.Sub(in.Start)/2).Truncate(iv), 10
				if k == kindFailure {
					// Bursts last at least 6 cycles: sample 3 fully inside.
					mid, window = in.Start.Add(3*iv), 30
				}
				with := g.Stats(mid, window)
				without := rowsAnswer(g, mid, window, 1<<k)
				checkIncident(t, k, in, with, without)
				// Outside the incident it changes nothing.
				for _, at := range []time.Time{in.Start.Add(-iv), *in.End} {
					a, b := g.Stats(at, 10), rowsAnswer(g, at, 10, 1<<k)
					for _, q := range in.Queues {
						if !mapsEqual(a[q], b[q]) {
							t.Errorf("%s at %v: queue %q changed outside the incident", in.Kind, at, q)
						}
					}
				}
			}
		})
	}
}

// checkIncident checks that the incident shows in the numbers at its middle.
func checkIncident(t *testing.T, k kind, in Incident, with, without answer) {
	t.Helper()
	run, run0 := sumState(with, in.Queues, "running"), sumState(without, in.Queues, "running")
	act, act0 := sumState(with, in.Queues, "activated"), sumState(without, in.Queues, "activated")
	switch k {
	case kindDrain, kindOffline:
		if run0 < 20 || float64(run) > 0.1*float64(run0) {
			t.Errorf("%s %v: running %d, %d without, want near 0", in.Kind, in.Start, run, run0)
		}
	case kindPileup:
		if float64(act) < 4*float64(act0) || run != run0 {
			t.Errorf("%s %v: activated %d vs %d, running %d vs %d", in.Kind, in.Start, act, act0, run, run0)
		}
	case kindFailure:
		fail, fin := sumState(with, in.Queues, "failed"), sumState(with, in.Queues, "finished")
		if fail < 3*fin || fail < 10 {
			t.Errorf("%s %v: failed %d, finished %d", in.Kind, in.Start, fail, fin)
		}
	case kindCloudDip:
		if r := float64(run) / float64(run0); r < 0.45 || r > 0.55 {
			t.Errorf("%s %v: running %d vs %d without (ratio %.2f), want 0.5", in.Kind, in.Start, run, run0, r)
		}
	}
}

func mapsEqual(a, b map[string]map[string]map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for l, byRes := range a {
		for r, states := range byRes {
			other := b[l][r]
			if len(other) != len(states) {
				return false
			}
			for s, v := range states {
				if other[s] != v {
					return false
				}
			}
		}
	}
	return true
}

func TestDrainQueuesAreTheSite(t *testing.T) {
	g := newTestGrid(t, Options{})
	for _, in := range closedIncidents(t, g, "site_drain") {
		var want []string
		for _, q := range g.queues {
			if !q.orphan && q.site.name == in.Site && q.reports() {
				want = append(want, q.name)
			}
		}
		if !slices.Equal(in.Queues, want) {
			t.Errorf("drain of %s lists %q, want %q", in.Site, in.Queues, want)
		}
	}
}
