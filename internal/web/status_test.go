package web

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFreshness(t *testing.T) {
	const staleAfter = 25 * time.Minute
	good := now0.Add(-5 * time.Minute)
	up := []SourceStatus{{Name: "panda", Up: true, LastSuccess: good}}
	down := []SourceStatus{{Name: "cric_site", Up: false, ConsecutiveFailures: 3, LastError: "get \"https://x\": 503"}, up[0]}
	for _, tt := range []struct {
		name     string
		st       Status
		lastData time.Time
		want     string
		problems []string // substrings, in order
	}{
		{"fresh", Status{LastGoodCycle: good, Sources: up}, good, stateOK, nil},
		{"never collected", Status{}, time.Time{}, stateStale, []string{"No data has been collected yet."}},
		{"old data", Status{LastGoodCycle: now0.Add(-3 * time.Hour)}, now0.Add(-3 * time.Hour), stateStale,
			[]string{"The data is stale: the newest is from 2026-03-04 09:34 UTC (3 h 0 min ago)."}},
		{"backfilled, no live cycle yet", Status{Sources: up}, good, stateOK, nil},
		{"source down", Status{LastGoodCycle: good, Sources: down}, good, stateFailing,
			[]string{`Source cric_site is failing (3 failed runs in a row): get "https://x": 503`}},
		{"cycle failed", Status{LastGoodCycle: good, LastCycle: now0, LastError: "source panda: timeout"}, good, stateFailing,
			[]string{"The last cycle (2026-03-04 12:34 UTC) failed: source panda: timeout"}},
		{"stale and failing", Status{LastGoodCycle: now0.Add(-time.Hour), LastCycle: now0, LastError: "boom", Sources: down},
			now0.Add(-time.Hour), stateStale, []string{"stale", "failed: boom", "cric_site is failing"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := freshness(now0, tt.st, tt.lastData, staleAfter)
			if f.State != tt.want {
				t.Errorf("state = %s, want %s (problems %q)", f.State, tt.want, f.Problems)
			}
			if len(f.Problems) != len(tt.problems) {
				t.Fatalf("problems = %q, want %d", f.Problems, len(tt.problems))
			}
			for i, p := range tt.problems {
				if !strings.Contains(f.Problems[i], p) {
					t.Errorf("problem %d = %q, want it to contain %q", i, f.Problems[i], p)
				}
			}
			if len(f.Sources) != len(tt.st.Sources) || f.Problems == nil || f.Catalog == nil {
				t.Errorf("sources %d, problems nil %v, catalog nil %v", len(f.Sources), f.Problems == nil, f.Catalog == nil)
			}
		})
	}
	f := freshness(now0, Status{CatalogAges: map[string]time.Duration{"site": time.Hour, "pandaqueue": time.Minute}}, good, staleAfter)
	if !slices.Equal([]string{f.Catalog[0].Name, f.Catalog[1].Name}, []string{"pandaqueue", "site"}) || f.Catalog[1].AgeSeconds != 3600 {
		t.Errorf("catalog %+v", f.Catalog)
	}
}

func TestRoundAge(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{45 * time.Second, "45s"}, {12 * time.Minute, "12 min"}, {5*time.Hour + 3*time.Minute, "5 h 3 min"}, {76 * time.Hour, "3 d 4 h"}} {
		if got := roundAge(tt.d); got != tt.want {
			t.Errorf("roundAge(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
