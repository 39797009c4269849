package web

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"time"
)

// maxSuspicious bounds the rows of the Suspicious queues table.
const maxSuspicious = 500

// suspect is one series whose current count departs from its average.
type suspect struct {
	Row      *SeriesRow
	Avg      float64
	Diff     float64 // current - average
	Ratio    float64 // current / average; +Inf when the average is 0
	Severity float64
}

// rankSuspicious returns the series of snap whose current count departs
// from the chosen moving average by at least th.Abs jobs and th.Rel of the
// average (any departure from a zero average is relative enough), most
// severe first, at most limit of them, and how many there are in all.
//
// Severity is |current - average| / sqrt(max(average, 1)) times the
// window's coverage: the departure in units of the spread a Poisson count
// of that mean would have, weighted by how much of the window the average
// stands on. It ranks a queue going from 10 to 200 above one going from
// 10,000 to 10,300, a large pile-up above a small one of the same ratio,
// and a state PanDA reports only now and then (its average is over the
// cycles it appeared in) below a steady one.
func rankSuspicious(rows []SeriesRow, th thresholds, limit int) ([]suspect, int) {
	var out []suspect
	for i := range rows {
		r := &rows[i]
		a := r.Avg[th.Window]
		if !r.Present || a.Samples == 0 {
			continue
		}
		diff := r.Current - a.Mean
		if math.Abs(diff) < th.Abs || math.Abs(diff) == 0 {
			continue
		}
		ratio := math.Inf(1)
		if a.Mean > 0 {
			ratio = r.Current / a.Mean
			if math.Abs(diff)/a.Mean < th.Rel {
				continue
			}
		}
		out = append(out, suspect{Row: r, Avg: a.Mean, Diff: diff, Ratio: ratio,
			Severity: math.Abs(diff) / math.Sqrt(max(a.Mean, 1)) * a.Coverage})
	}
	slices.SortFunc(out, func(a, b suspect) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), compareRows(*a.Row, *b.Row))
	})
	n := len(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, n
}

type suspiciousAnswer struct {
	Time       *time.Time       `json:"time"` // of the snapshot; null before the first cycle
	Windows    []string         `json:"windows"`
	Window     string           `json:"window"`
	Rel        float64          `json:"rel"`
	Abs        float64          `json:"abs"`
	Rows       []suspiciousJSON `json:"rows"`
	Matched    int              `json:"matched"` // rows before the limit
	Considered int              `json:"considered"`
	Note       string           `json:"note,omitempty"`
}

type suspiciousJSON struct {
	Queue      string `json:"queue"`
	ProdSource string `json:"prod_source"`
	Resource   string `json:"resource"`
	State      string `json:"state"`
	Cloud      string `json:"cloud"`
	Site       string `json:"site"`
	CRICStatus string `json:"cric_status"`
	Current    num    `json:"current"`
	Avg        []num  `json:"avg"` // per window; null without samples
	Diff       num    `json:"diff"`
	Ratio      num    `json:"ratio"` // null when the average is 0
	Coverage   num    `json:"coverage"`
	Severity   num    `json:"severity"`
}

// apiSuspicious answers /api/qmonit/v1/suspicious?rel=&abs=&avg=.
func (u *UI) apiSuspicious(r *http.Request) (any, error) {
	th, err := parseThresholds(r.URL.Query())
	if err != nil {
		return nil, err
	}
	ans := suspiciousAnswer{Windows: Windows[:], Window: Windows[th.Window], Rel: th.Rel, Abs: th.Abs, Rows: []suspiciousJSON{}}
	snap := u.b.Snapshot()
	if snap == nil {
		ans.Note = "The moving averages are published after the first collection cycle; none has run yet."
		return ans, nil
	}
	ans.Time = timePtr(snap.Time)
	ans.Considered = len(snap.Rows)
	var found []suspect
	found, ans.Matched = rankSuspicious(snap.Rows, th, maxSuspicious)
	for _, s := range found {
		r := s.Row
		ans.Rows = append(ans.Rows, suspiciousJSON{
			Queue: r.Queue, ProdSource: r.ProdSource, Resource: r.Resource, State: r.Status,
			Cloud: r.Cloud, Site: r.Site, CRICStatus: r.SiteState,
			Current: num(r.Current), Avg: avgJSON(r), Diff: rounded(s.Diff), Ratio: rounded(s.Ratio),
			Coverage: rounded(r.Avg[th.Window].Coverage), Severity: rounded(s.Severity),
		})
	}
	return ans, nil
}

// avgJSON is a row's averages, null where a window has no sample.
func avgJSON(r *SeriesRow) []num {
	out := make([]num, NumWindows)
	for w, a := range r.Avg {
		if a.Samples == 0 {
			out[w] = num(math.NaN())
		} else {
			out[w] = rounded(a.Mean)
		}
	}
	return out
}
