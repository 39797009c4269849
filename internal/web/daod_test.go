package web

import (
	"math"
	"testing"
)

func TestDAODRows(t *testing.T) {
	queueDisk := map[string]string{"q1": "A_DATADISK", "q2": "A_DATADISK", "q3": "B_DATADISK", "q4": "", "q5": "C_DATADISK"}
	jobs24 := map[string]float64{"q1": 30, "q2": 10, "q3": 60, "q4": 999}
	jobs7 := map[string]float64{"q1": 20, "q3": 50}
	bytes := map[string]float64{"A_DATADISK": 750, "B_DATADISK": 250, "D_DATADISK": 0}
	files := map[string]float64{"A_DATADISK": 7}
	rows := daodRows(queueDisk, jobs24, jobs7, bytes, files)
	got := map[string]diskRow{}
	order := []string{}
	for _, r := range rows {
		got[r.RSE] = r
		order = append(order, r.RSE)
	}
	if len(rows) != 4 || order[0] != "B_DATADISK" || order[1] != "A_DATADISK" {
		t.Fatalf("rows %v", order)
	}
	a, b, c := got["A_DATADISK"], got["B_DATADISK"], got["C_DATADISK"]
	if a.Queues != 2 || a.Jobs24h != 40 || a.Jobs7d != 20 || a.Files != 7 {
		t.Errorf("A = %+v", a)
	}
	// Jobs: A 40, B 60 of 100 (q4 has no disk and is left out); bytes: 75 %, 25 %.
	if a.JobShare != 0.4 || a.DataShare != 0.75 || math.Abs(float64(a.Mismatch)+0.35) > 1e-12 {
		t.Errorf("A shares %v %v %v", a.JobShare, a.DataShare, a.Mismatch)
	}
	if b.JobShare != 0.6 || b.DataShare != 0.25 || math.Abs(float64(b.Mismatch)-0.35) > 1e-12 {
		t.Errorf("B shares %v %v %v", b.JobShare, b.DataShare, b.Mismatch)
	}
	if !math.IsNaN(float64(c.Bytes)) || !math.IsNaN(float64(c.DataShare)) || !math.IsNaN(float64(c.Mismatch)) {
		t.Errorf("C (volume unknown) = %+v", c)
	}
	top := topMismatches(rows, 3)
	if len(top) != 3 || top[0].RSE != "A_DATADISK" || top[1].RSE != "B_DATADISK" || top[2].RSE != "D_DATADISK" {
		t.Errorf("topMismatches = %+v", top)
	}
	if got := topMismatches(rows, 1); len(got) != 1 {
		t.Errorf("limit: %d", len(got))
	}
	if got := daodRows(nil, nil, nil, nil, nil); len(got) != 0 {
		t.Errorf("empty: %+v", got)
	}
}
