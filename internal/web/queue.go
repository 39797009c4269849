package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// queueSteps is the chart step of each queue-page range: the chart shows
// the mean per step of every state, from raw samples.
var queueSteps = map[string]time.Duration{"24h": 0, "7d": 30 * time.Minute, "30d": 2 * time.Hour}

// Links out of qmonit for a queue.
const (
	bigpandaQueueURL = "https://bigpanda.cern.ch/site/%s/"
	cricQueueURL     = "https://atlas-cric.cern.ch/atlas/pandaqueue/detail/%s/"
)

type queueAnswer struct {
	Name      string          `json:"name"`
	Range     rangeJSON       `json:"range"`
	Times     []int64         `json:"times"`
	Series    []chartSeries   `json:"series"` // per job state
	Attrs     []attrJSON      `json:"attrs"`
	Averages  queueAveragesJS `json:"averages"`
	BigPanDA  string          `json:"bigpanda_url"`
	CRIC      string          `json:"cric_url"`
	InfoSince *time.Time      `json:"info_time"` // of the attributes shown
}

type attrJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type queueAveragesJS struct {
	Time    *time.Time        `json:"time"`
	Windows []string          `json:"windows"`
	Rows    []queueAverageRow `json:"rows"`
}

type queueAverageRow struct {
	ProdSource string `json:"prod_source"`
	Resource   string `json:"resource"`
	State      string `json:"state"`
	Current    num    `json:"current"` // null in a gap
	Avg        []num  `json:"avg"`
	Coverage   []num  `json:"coverage"`
}

// queueLinks returns the BigPanDA and CRIC pages of a queue.
func queueLinks(name string) (bigpanda, cric string) {
	esc := url.PathEscape(name)
	return fmt.Sprintf(bigpandaQueueURL, esc), fmt.Sprintf(cricQueueURL, esc)
}

// apiQueue answers /api/qmonit/v1/queue?name=&range=: one queue's series
// over time, its attributes and its moving averages.
func (u *UI) apiQueue(r *http.Request) (any, error) {
	now := u.o.Now()
	p, err := parseQueueParams(r.URL.Query(), now)
	if err != nil {
		return nil, err
	}
	qm, err := labels.NewMatcher(labels.MatchEqual, labelQueue, p.Name)
	if err != nil {
		return nil, badParam("name", "%v", err)
	}
	step := queueSteps[p.Range.Name]
	if step <= 0 {
		step = u.o.Interval
	}
	g := alignSteps(p.Range.From, p.Range.To, step)
	ans := queueAnswer{Name: p.Name, Times: g.unixSeconds(), Attrs: []attrJSON{}}
	ans.BigPanDA, ans.CRIC = queueLinks(p.Name)
	ans.Range = rangeJSON{Name: p.Range.Name, From: g.Start.UTC(), To: g.End().UTC(), StepSeconds: step.Seconds(), Resolution: "raw"}
	var states []series
	eg, ctx := errgroup.WithContext(r.Context())
	eg.Go(func() error {
		expr, err := u.en.parse(fmt.Sprintf("sum by (%s) (avg_over_time(%s[%ds]))", labelStatus, metricJobs, int(step.Seconds())),
			[]*labels.Matcher{qm})
		if err == nil {
			states, err = u.en.rangeQuery(ctx, expr, g)
		}
		return err
	})
	eg.Go(func() error {
		var err error
		ans.Attrs, ans.InfoSince, err = u.queueAttrs(ctx, now, qm)
		return err
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	ans.Series = stateSeries(states)
	ans.Averages = queueAverages(u.b.Snapshot(), p.Name)
	if len(ans.Series) == 0 && len(ans.Attrs) == 0 && len(ans.Averages.Rows) == 0 {
		return nil, &notFoundError{msg: fmt.Sprintf("queue %q: no data in the last %s and no attributes", p.Name, p.Range.Name)}
	}
	return ans, nil
}

// stateSeries orders a queue's per-state series by stateOrder.
func stateSeries(ss []series) []chartSeries {
	present := map[string]bool{}
	by := map[string][]float64{}
	for _, s := range ss {
		st := s.Labels.Get(labelStatus)
		present[st] = true
		by[st] = s.V
	}
	out := make([]chartSeries, 0, len(by))
	for _, st := range orderStates(present) {
		out = append(out, chartSeries{Name: st, Values: nums(by[st])})
	}
	return out
}

// queueAttrs reads the queue's newest qmonit_queue_info labels (its CRIC
// attributes and datadisk), corecount and corepower.
func (u *UI) queueAttrs(ctx context.Context, now time.Time, qm *labels.Matcher) ([]attrJSON, *time.Time, error) {
	expr, err := u.en.parse("timestamp("+metricQueueInfo+")", nil)
	if err != nil {
		return nil, nil, err
	}
	addMatchers(expr, metricQueueInfo, []*labels.Matcher{qm})
	info, err := u.en.instantQuery(ctx, expr, now, 30*day)
	if err != nil {
		return nil, nil, err
	}
	out := []attrJSON{}
	if len(info) == 0 {
		return out, nil, nil
	}
	newest := slices.MaxFunc(info, func(a, b sample) int { return compareFloat(a.V, b.V) })
	newest.Labels.Range(func(l labels.Label) {
		if l.Name != model.MetricNameLabel && l.Name != labelQueue {
			out = append(out, attrJSON{Name: l.Name, Value: l.Value})
		}
	})
	for _, m := range []string{metricCorecount, metricCorepower} {
		expr, err := u.en.parse(m, nil)
		if err != nil {
			return nil, nil, err
		}
		addMatchers(expr, m, []*labels.Matcher{qm})
		s, err := u.en.instantQuery(ctx, expr, now, 30*day)
		if err != nil {
			return nil, nil, err
		}
		if len(s) > 0 {
			out = append(out, attrJSON{Name: m[len("qmonit_queue_"):], Value: fmt.Sprint(s[0].V)})
		}
	}
	slices.SortFunc(out, func(a, b attrJSON) int { return compareString(a.Name, b.Name) })
	ts := time.Unix(int64(newest.V), 0)
	return out, timePtr(ts), nil
}

// queueAverages is the snapshot's rows of one queue.
func queueAverages(snap *Snapshot, queue string) queueAveragesJS {
	out := queueAveragesJS{Windows: Windows[:], Rows: []queueAverageRow{}}
	if snap == nil {
		return out
	}
	out.Time = timePtr(snap.Time)
	for _, r := range snap.queueRows(queue) {
		row := queueAverageRow{ProdSource: r.ProdSource, Resource: r.Resource, State: r.Status,
			Current: num(r.Current), Avg: avgJSON(&r), Coverage: make([]num, NumWindows)}
		if !r.Present {
			row.Current = num(nan())
		}
		for w, a := range r.Avg {
			row.Coverage[w] = rounded(a.Coverage)
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}
