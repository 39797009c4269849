package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/prometheus/prometheus/model/labels"
)

// maxMismatches bounds the ranking of the largest mismatches.
const maxMismatches = 20

// infoLookback is how far back a queue's newest qmonit_queue_info (and a
// datadisk's newest occupancy) is looked for, so the pages still describe
// queues while the collector is down for a while.
const infoLookback = day

// diskRow is one datadisk on the DAOD page.
type diskRow struct {
	RSE     string `json:"rse"`
	Queues  int    `json:"queues"`   // queues reading from it
	Jobs24h num    `json:"jobs_24h"` // average running analysis jobs of those queues
	Jobs7d  num    `json:"jobs_7d"`
	Bytes   num    `json:"bytes"` // DAOD volume; null when unknown
	Files   num    `json:"files"`
	// JobShare is the disk's share of all analysis jobs (24 h), DataShare
	// its share of all DAOD bytes, Mismatch their difference: positive
	// when more analysis runs against the disk than its share of data.
	JobShare  num `json:"job_share"`
	DataShare num `json:"data_share"`
	Mismatch  num `json:"mismatch"`
}

type daodAnswer struct {
	Time       time.Time `json:"time"`
	Label      string    `json:"label"` // prod_source counted as analysis
	Disks      []diskRow `json:"disks"`
	Mismatches []diskRow `json:"mismatches"`
	NoDisk     int       `json:"queues_without_datadisk"`
}

// daodRows joins the queues' datadisks with their analysis jobs and the
// disks' occupancy. queueDisk maps a queue to its datadisk ("" for none);
// jobs24h and jobs7d are per queue; bytes and files per disk. Rows are
// sorted by 24 h jobs, largest first, then name.
func daodRows(queueDisk map[string]string, jobs24h, jobs7d, bytes, files map[string]float64) []diskRow {
	rows := map[string]*diskRow{}
	get := func(rse string) *diskRow {
		r := rows[rse]
		if r == nil {
			r = &diskRow{RSE: rse, Bytes: num(math.NaN()), Files: num(math.NaN())}
			rows[rse] = r
		}
		return r
	}
	for _, q := range sortedKeys(queueDisk) {
		rse := queueDisk[q]
		if rse == "" {
			continue
		}
		r := get(rse)
		r.Queues++
		r.Jobs24h += num(jobs24h[q])
		r.Jobs7d += num(jobs7d[q])
	}
	for rse, b := range bytes {
		get(rse).Bytes = num(b)
	}
	for rse, f := range files {
		get(rse).Files = num(f)
	}
	var totalJobs, totalBytes float64
	for _, r := range rows {
		totalJobs += float64(r.Jobs24h)
		totalBytes += finiteOr(r.Bytes, 0)
	}
	out := make([]diskRow, 0, len(rows))
	for _, r := range rows {
		r.Jobs24h, r.Jobs7d = rounded(float64(r.Jobs24h)), rounded(float64(r.Jobs7d))
		r.JobShare, r.DataShare, r.Mismatch = num(math.NaN()), num(math.NaN()), num(math.NaN())
		if totalJobs > 0 {
			r.JobShare = num(float64(r.Jobs24h) / totalJobs)
		}
		if b := float64(r.Bytes); totalBytes > 0 && !math.IsNaN(b) {
			r.DataShare = num(b / totalBytes)
		}
		if totalJobs > 0 && totalBytes > 0 && !math.IsNaN(float64(r.DataShare)) {
			r.Mismatch = r.JobShare - r.DataShare
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b diskRow) int {
		return cmp.Or(cmp.Compare(b.Jobs24h, a.Jobs24h), cmp.Compare(a.RSE, b.RSE))
	})
	return out
}

// topMismatches returns the n rows with the largest |mismatch|.
func topMismatches(rows []diskRow, n int) []diskRow {
	var out []diskRow
	for _, r := range rows {
		if !math.IsNaN(float64(r.Mismatch)) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b diskRow) int {
		return cmp.Or(cmp.Compare(math.Abs(float64(b.Mismatch)), math.Abs(float64(a.Mismatch))), cmp.Compare(a.RSE, b.RSE))
	})
	return out[:min(n, len(out))]
}

// apiDAOD answers /api/qmonit/v1/daod.
func (u *UI) apiDAOD(r *http.Request) (any, error) {
	if err := noParams(r.URL.Query()); err != nil {
		return nil, err
	}
	t := u.o.Now().Truncate(u.o.Interval)
	analysis, err := labels.NewMatcher(labels.MatchEqual, labelProdSource, u.o.AnalysisLabel)
	if err != nil {
		return nil, fmt.Errorf("analysis label matcher: %w", err)
	}
	running := labels.MustNewMatcher(labels.MatchEqual, labelStatus, "running")
	ms := []*labels.Matcher{analysis, running}
	var (
		disks                           map[string]string
		jobs24h, jobs7d, bytes, filesBy map[string]float64
	)
	eg, ctx := errgroup.WithContext(r.Context())
	perQueue := func(tmpl string, dst *map[string]float64) {
		eg.Go(func() error {
			expr, err := u.en.parse(tmpl, ms)
			if err != nil {
				return err
			}
			s, err := u.en.instantQuery(ctx, expr, t, 0)
			*dst = byLabel(s, labelQueue)
			return err
		})
	}
	perQueue(fmt.Sprintf("sum by (%s) (avg_over_time(%s[24h]))", labelQueue, metricJobs), &jobs24h)
	perQueue(fmt.Sprintf("sum by (%s) (avg_over_time(%s[7d]))", labelQueue, metricJobs1h), &jobs7d)
	eg.Go(func() error {
		var err error
		disks, err = u.newestInfo(ctx, t, nil, func(ls labels.Labels) string { return ls.Get(labelDatadisk) })
		return err
	})
	perDisk := func(metric string, dst *map[string]float64) {
		eg.Go(func() error {
			expr, err := u.en.parse(metric, nil)
			if err != nil {
				return err
			}
			s, err := u.en.instantQuery(ctx, expr, t, infoLookback)
			*dst = byLabel(s, labelRSE)
			return err
		})
	}
	perDisk(metricDatadiskBytes, &bytes)
	perDisk(metricDatadiskFiles, &filesBy)
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	rows := daodRows(disks, jobs24h, jobs7d, bytes, filesBy)
	ans := daodAnswer{Time: t.UTC(), Label: u.o.AnalysisLabel, Disks: rows, Mismatches: topMismatches(rows, maxMismatches)}
	for _, d := range disks {
		if d == "" {
			ans.NoDisk++
		}
	}
	if ans.Mismatches == nil {
		ans.Mismatches = []diskRow{}
	}
	return ans, nil
}

// byLabel maps each sample's value of label to its value.
func byLabel(s []sample, label string) map[string]float64 {
	out := make(map[string]float64, len(s))
	for _, x := range s {
		out[x.Labels.Get(label)] += x.V
	}
	return out
}

// newestInfo reads the newest qmonit_queue_info of every queue matching
// ms (within infoLookback of t) and maps the queue to pick(its labels). A
// queue whose attributes changed has several series; the newest wins.
func (u *UI) newestInfo(ctx context.Context, t time.Time, ms []*labels.Matcher, pick func(labels.Labels) string) (map[string]string, error) {
	expr, err := u.en.parse("timestamp("+metricQueueInfo+")", nil)
	if err != nil {
		return nil, err
	}
	if len(ms) > 0 {
		addMatchers(expr, metricQueueInfo, ms)
	}
	s, err := u.en.instantQuery(ctx, expr, t, infoLookback)
	if err != nil {
		return nil, err
	}
	newest := map[string]float64{}
	out := map[string]string{}
	for _, x := range s {
		q := x.Labels.Get(labelQueue)
		if ts, seen := newest[q]; seen && ts >= x.V {
			continue
		}
		newest[q] = x.V
		out[q] = pick(x.Labels)
	}
	return out, nil
}
