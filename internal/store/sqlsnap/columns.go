package sqlsnap

import (
	"slices"

	"github.com/qmonit/qmonit/internal/point"
)

// kind is a column's role; each dialect maps it to a SQL type.
type kind int

const (
	kindKey   kind = iota // part of the primary key, VARCHAR(255)
	kindText              // nullable text
	kindFloat             // nullable double
	kindCount             // job count, BIGINT NOT NULL DEFAULT 0
	kindInt               // nullable BIGINT
	kindTime              // nullable UTC timestamp
)

type column struct {
	name string
	kind kind
}

// states are the PanDA job states with a <state>_jobs column.
var states = [...]string{
	"pending", "defined", "waiting", "assigned", "throttled", "activated", "sent", "starting",
	"running", "holding", "transferring", "merging", "finished", "failed", "cancelled", "closed",
}

// windows and avgStates name the moving-average columns avg<window>_<state>_jobs.
var (
	windows   = [...]string{"1h", "6h", "12h", "24h", "7d", "30d"}
	avgStates = [...]string{"assigned", "activated", "failed", "running"}
)

// Column layout: the index of the first column of each group in columns.
const (
	colAttrs   = 3
	colNumeric = colAttrs + point.NumAttrs
	colJobs    = colNumeric + 3
	colAvg     = colJobs + len(states)
	colCov     = colAvg + len(windows)*len(avgStates)
	colDisk    = colCov + 1
	colTimes   = colDisk + 3
	numColumns = colTimes + 2
)

// columns is every column of the jobs table, in the order used by INSERT and
// SELECT. Identifiers in SQL come only from this list.
var columns = buildColumns()

func buildColumns() []column {
	cols := []column{{"panda_queue", kindKey}, {"prod_source", kindKey}, {"resource", kindKey}}
	for _, n := range point.AttrNames {
		cols = append(cols, column{n, kindText})
	}
	cols = append(cols,
		column{"resource_factor", kindFloat}, column{"corepower", kindFloat},
		column{"federation_hs06_pledge", kindFloat})
	for _, s := range states {
		cols = append(cols, column{s + "_jobs", kindCount})
	}
	for _, k := range AvgKeys() {
		cols = append(cols, column{"avg" + k + "_jobs", kindFloat})
	}
	cols = append(cols,
		column{"avg_coverage_24h", kindFloat},
		column{"datadisk_name", kindText}, column{"datadisk_occupied_gb", kindFloat},
		column{"datadisk_files", kindInt},
		column{"updated_at", kindTime}, column{"last_seen_at", kindTime})
	if len(cols) != numColumns {
		panic("BUG: sqlsnap column layout does not match its constants")
	}
	return cols
}

// States returns the job states that have a <state>_jobs column, in column
// order. The caller owns the returned slice.
func States() []string { return slices.Clone(states[:]) }

// AvgKeys returns the keys accepted in Row.Avg ("1h_assigned", ...,
// "30d_running"), in column order; key k is stored in column avg<k>_jobs.
// The caller owns the returned slice.
func AvgKeys() []string {
	keys := make([]string, 0, len(windows)*len(avgStates))
	for _, w := range windows {
		for _, s := range avgStates {
			keys = append(keys, w+"_"+s)
		}
	}
	return keys
}

// avgKeys and stateIndex are lookups built once from the fixed lists.
var (
	avgKeys    = AvgKeys()
	stateIndex = indexOf(states[:])
	avgIndex   = indexOf(avgKeys)
)

func indexOf(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}

// columnNames returns the names of cols.
func columnNames(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}
