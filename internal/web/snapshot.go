package web

import (
	"cmp"
	"slices"
	"time"
)

// NumWindows is the number of moving-average windows in a Snapshot.
const NumWindows = 6

// Windows names the moving-average windows, in the order of SeriesRow.Avg
// (the order of derive.Window).
var Windows = [NumWindows]string{"1h", "6h", "12h", "24h", "7d", "30d"}

// windowIndex returns the index of the window called name, or -1.
func windowIndex(name string) int {
	return slices.Index(Windows[:], name)
}

// Average is one moving average of one series.
type Average struct {
	Mean     float64 // mean of the samples in the window; meaningless when Samples is 0
	Samples  int     // samples in the window
	Coverage float64 // Samples / interval slots of the window, in [0, 1]
}

// SeriesRow is one job-count series (queue, label, resource, state) as the
// collector last saw it: its current count and its moving averages.
type SeriesRow struct {
	Queue, ProdSource, Resource, Status string
	// Cloud, Site and SiteState are attributes of the queue (CRIC status
	// for SiteState), "No value" when unknown.
	Cloud, Site, SiteState string
	// Current is the count at Snapshot.Time; Present is false when the
	// series had no sample then (a gap).
	Current float64
	Present bool
	Avg     [NumWindows]Average
}

// Snapshot is what the collector publishes after every cycle for the pages
// that need per-series moving averages (Suspicious queues, queue pages).
// It is immutable once published: the publisher builds a new one each time.
type Snapshot struct {
	Time time.Time   // the cycle time the averages end at
	Rows []SeriesRow // sorted by SortRows' order
}

// SortRows sorts rows by queue, prod_source, resource and state, the order
// a Snapshot's rows must be in.
func SortRows(rows []SeriesRow) {
	slices.SortFunc(rows, compareRows)
}

func compareRows(a, b SeriesRow) int {
	return cmp.Or(cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.ProdSource, b.ProdSource),
		cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Status, b.Status))
}

// queueRows returns the rows of one queue (a sub-slice of s.Rows).
func (s *Snapshot) queueRows(queue string) []SeriesRow {
	if s == nil {
		return nil
	}
	lo, _ := slices.BinarySearchFunc(s.Rows, queue, func(r SeriesRow, q string) int { return cmp.Compare(r.Queue, q) })
	hi := lo
	for hi < len(s.Rows) && s.Rows[hi].Queue == queue {
		hi++
	}
	return s.Rows[lo:hi]
}
