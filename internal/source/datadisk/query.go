// Package datadisk queries the disk occupancy of Rucio storage elements
// (RSEs) through the MONIT Grafana proxy to Elasticsearch: an _msearch
// NDJSON POST whose terms aggregation "4" has one bucket per RSE with the
// summed files ("1") and bytes ("3") of the Rucio accounting snapshot
// (SOURCES.md §3).
package datadisk

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// DefaultIndex is the Rucio accounting index pattern QMonit queried.
const DefaultIndex = "monit_prod_rucioacc_enr_site*"

// queryString selects the ATLAS DATADISK and SCRATCHDISK accounting
// records, as QMonit's query did (SOURCES.md §3.1, the elided part
// spelled out).
const queryString = `data.account:* AND data.campaign:* AND data.country:* AND data.cloud:* AND ` +
	`data.datatype:* AND data.datatype_grouped:* AND data.prod_step:* AND data.provenance:* AND ` +
	`data.rse:* AND data.scope:* AND data.experiment_site:* AND data.stream_name:* AND data.tier:* AND ` +
	`data.token:("ATLASDATADISK" OR "ATLASSCRATCHDISK") AND data.tombstone:("primary" OR "secondary") AND ` +
	`NOT(data.tombstone:UNKNOWN) AND data.rse:/.*().*/ AND NOT data.rse:/.*(none).*/`

// Query returns the _msearch body for index at time now: a header line,
// a search line and a trailing newline. The search covers
// metadata.timestamp from now-36h to now-12h (epoch milliseconds), which
// should catch exactly one daily accounting snapshot per RSE.
func Query(index string, now time.Time) []byte {
	lte := now.Add(-12 * time.Hour).UnixMilli()
	gte := lte - (24 * time.Hour).Milliseconds()
	var b strings.Builder
	b.WriteString(`{"search_type":"query_then_fetch","ignore_unavailable":true,"index":[`)
	b.WriteString(jsonString(index))
	b.WriteString("]}\n")
	b.WriteString(`{"size":0,"query":{"bool":{"filter":[{"range":{"metadata.timestamp":{"gte":`)
	b.WriteString(strconv.FormatInt(gte, 10))
	b.WriteString(`,"lte":`)
	b.WriteString(strconv.FormatInt(lte, 10))
	b.WriteString(`,"format":"epoch_millis"}}},{"query_string":{"analyze_wildcard":true,"query":`)
	b.WriteString(jsonString(queryString))
	b.WriteString(`}}]}},"aggs":{"4":{"terms":{"field":"data.rse","size":500,"order":{"_term":"desc"},"min_doc_count":1},`)
	b.WriteString(`"aggs":{"1":{"sum":{"field":"data.files"}},"3":{"sum":{"field":"data.bytes"}}}}}}`)
	b.WriteString("\n")
	return []byte(b.String())
}

// jsonString quotes s as a JSON string. Marshalling a string cannot fail
// (invalid UTF-8 becomes U+FFFD).
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
