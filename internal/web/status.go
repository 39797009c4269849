package web

import (
	"fmt"
	"time"
)

// Status is the collector's own state, as the freshness banner shows it.
type Status struct {
	LastCycle     time.Time // cycle time of the last cycle attempted; zero if none
	LastGoodCycle time.Time // cycle time of the last cycle whose data was written
	LastError     string    // of the last cycle; "" when it succeeded
	Sources       []SourceStatus
	CatalogAges   map[string]time.Duration // age of each catalog dump in use
}

// SourceStatus is one upstream's health.
type SourceStatus struct {
	Name                string
	Up                  bool
	LastSuccess         time.Time
	LastError           string
	ConsecutiveFailures int
}

// Freshness states, as in #freshness[data-state].
const (
	stateOK      = "ok"
	stateStale   = "stale"
	stateFailing = "failing"
)

// freshnessJSON is the answer of /api/qmonit/v1/status.
type freshnessJSON struct {
	State         string       `json:"state"`
	Problems      []string     `json:"problems"`
	Now           time.Time    `json:"now"`
	LastData      *time.Time   `json:"last_data"`
	LastGoodCycle *time.Time   `json:"last_good_cycle"`
	LastCycle     *time.Time   `json:"last_cycle"`
	LastError     string       `json:"last_error,omitempty"`
	StaleAfter    float64      `json:"stale_after_seconds"`
	Sources       []sourceJSON `json:"sources"`
	Catalog       []dumpJSON   `json:"catalog"`
}

type sourceJSON struct {
	Name                string     `json:"name"`
	Up                  bool       `json:"up"`
	LastSuccess         *time.Time `json:"last_success"`
	LastError           string     `json:"last_error,omitempty"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
}

type dumpJSON struct {
	Name       string  `json:"name"`
	AgeSeconds float64 `json:"age_seconds"`
}

// freshness judges the data: stale when the newest data (lastData: the last
// good cycle, or the newest sample in the store when that is newer, as
// after a backfill) is older than staleAfter or missing; failing when a
// source is down or the last cycle failed; ok otherwise. Problems says
// why, in plain sentences, also when the state is stale.
func freshness(now time.Time, st Status, lastData time.Time, staleAfter time.Duration) freshnessJSON {
	out := freshnessJSON{
		State: stateOK, Problems: []string{}, Now: now.UTC(),
		LastData: timePtr(lastData), LastGoodCycle: timePtr(st.LastGoodCycle), LastCycle: timePtr(st.LastCycle),
		LastError: st.LastError, StaleAfter: staleAfter.Seconds(), Sources: []sourceJSON{}, Catalog: []dumpJSON{},
	}
	stale := false
	switch {
	case lastData.IsZero():
		stale = true
		out.Problems = append(out.Problems, "No data has been collected yet.")
	case now.Sub(lastData) > staleAfter:
		stale = true
		out.Problems = append(out.Problems, fmt.Sprintf("The data is stale: the newest is from %s (%s ago).",
			lastData.UTC().Format("2006-01-02 15:04 UTC"), roundAge(now.Sub(lastData))))
	}
	failing := false
	if st.LastError != "" {
		failing = true
		out.Problems = append(out.Problems, fmt.Sprintf("The last cycle (%s) failed: %s",
			st.LastCycle.UTC().Format("2006-01-02 15:04 UTC"), st.LastError))
	}
	for _, s := range st.Sources {
		out.Sources = append(out.Sources, sourceJSON{Name: s.Name, Up: s.Up, LastSuccess: timePtr(s.LastSuccess),
			LastError: s.LastError, ConsecutiveFailures: s.ConsecutiveFailures})
		if !s.Up {
			failing = true
			out.Problems = append(out.Problems, fmt.Sprintf("Source %s is failing (%d failed runs in a row): %s",
				s.Name, s.ConsecutiveFailures, s.LastError))
		}
	}
	for _, name := range sortedKeys(st.CatalogAges) {
		out.Catalog = append(out.Catalog, dumpJSON{Name: name, AgeSeconds: st.CatalogAges[name].Seconds()})
	}
	switch {
	case stale:
		out.State = stateStale
	case failing:
		out.State = stateFailing
	}
	return out
}

// roundAge renders an age for people: "45s", "12 min", "5 h 3 min", "3 d 4 h".
func roundAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
