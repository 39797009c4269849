package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxMsearchBody caps the NDJSON request body.
const maxMsearchBody = 1 << 20

// esFloat is a float written as Elasticsearch writes sums: always with a
// fractional part ("1342.0").
type esFloat float64

func (f esFloat) MarshalJSON() ([]byte, error) {
	b := strconv.AppendFloat(nil, float64(f), 'f', -1, 64)
	if !bytes.ContainsRune(b, '.') {
		b = append(b, ".0"...)
	}
	return b, nil
}

type msearchResponse struct {
	Responses []msearchItem `json:"responses"`
}

type msearchItem struct {
	Status       int                 `json:"status"`
	Took         int                 `json:"took"`
	TimedOut     bool                `json:"timed_out"`
	Shards       esShards            `json:"_shards"`
	Hits         esHits              `json:"hits"`
	Aggregations map[string]termsAgg `json:"aggregations"`
}

type esShards struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Skipped    int `json:"skipped"`
	Failed     int `json:"failed"`
}

type esHits struct {
	Total    esTotal  `json:"total"`
	MaxScore esFloat  `json:"max_score"`
	Hits     []string `json:"hits"`
}

type esTotal struct {
	Value    int    `json:"value"`
	Relation string `json:"relation"`
}

type termsAgg struct {
	DocCountErrorUpperBound int      `json:"doc_count_error_upper_bound"`
	SumOtherDocCount        int      `json:"sum_other_doc_count"`
	Buckets                 []bucket `json:"buckets"`
}

type bucket struct {
	Key      string   `json:"key"`
	DocCount int      `json:"doc_count"`
	Files    valueAgg `json:"1"`
	Bytes    valueAgg `json:"3"`
}

type valueAgg struct {
	Value esFloat `json:"value"`
}

// serveMsearch mimics the MONIT Grafana proxy to Elasticsearch for the
// Rucio accounting query: bearer token required, NDJSON body of a header
// and a query line, one bucket per DATADISK.
func (g *Grid) serveMsearch(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		writeBody(w, "application/json", http.StatusUnauthorized, []byte(`{"message":"Unauthorized"}`))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMsearchBody))
	if err == nil {
		err = checkNDJSON(body)
	}
	if err != nil {
		writeBody(w, "application/json", http.StatusBadRequest, esError(err))
		return
	}
	t, err := g.requestTime(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeBody(w, "application/json", http.StatusOK, marshal(g.msearch(float64(g.cycle(t)*g.ivSec))))
}

// checkNDJSON accepts exactly two JSON objects, one per line.
func checkNDJSON(body []byte) error {
	var lines [][]byte
	for l := range bytes.SplitSeq(body, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		return fmt.Errorf("msearch body has %d non-empty lines, want 2 (header and query)", len(lines))
	}
	for i, l := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(l, &m); err != nil {
			return fmt.Errorf("msearch line %d: %w", i+1, err)
		}
	}
	return nil
}

// esError is an Elasticsearch-style error body.
func esError(err error) []byte {
	cause := map[string]string{"type": "parse_exception", "reason": err.Error()}
	return marshal(map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": "parse_exception", "reason": err.Error()},
		"status": http.StatusBadRequest,
	})
}

// msearch computes the answer at tsec: one bucket per DATADISK, keys in
// descending order as the query asks.
func (g *Grid) msearch(tsec float64) *msearchResponse {
	hour := math.Floor(tsec / 3600)
	agg := termsAgg{Buckets: []bucket{}}
	total := 0
	for _, e := range g.allRSEs() {
		if e.typ != "DATADISK" {
			continue
		}
		b := g.datadisk(e, hour*3600)
		total += b.DocCount
		agg.Buckets = append(agg.Buckets, b)
	}
	slices.Reverse(agg.Buckets)
	h := h2(g.seed, uint64(int64(hour)))
	item := msearchItem{
		Status: http.StatusOK, Took: 150 + pick(h, 800),
		Shards:       esShards{Total: 1134, Successful: 1134, Skipped: 1133},
		Hits:         esHits{Total: esTotal{Value: total, Relation: "eq"}, Hits: []string{}},
		Aggregations: map[string]termsAgg{"4": agg},
	}
	return &msearchResponse{Responses: []msearchItem{item}}
}

// datadisk is the accounting bucket of one DATADISK: a fixed capacity,
// filled 55-90% with slow drift
// (hourly steps over a few days).
func (g *Grid) datadisk(e rse, tsec float64) bucket {
	key := h2(g.seed, strHash(e.name))
	// Capacities keep bytes below 2^53, exact in a float64 as upstream.
	capTB := 300 + 1200*unit(key)
	switch {
	case e.site.tier == 0:
		capTB = 8000
	case e.site.tier == 1:
		capTB = 3000 + 3000*unit(key)
	case e.site.nucleus:
		capTB *= 2
	}
	fill := 0.55 + 0.3*unit(key>>7) + 0.05*valueNoise(key, tsec, 3*86400)
	size := math.Round(capTB * 1e12 * fill)
	fileSize := 1.2e9 + 1.3e9*unit(key>>13)
	return bucket{
		Key: e.name, DocCount: 20 + pick(key>>17, 3000),
		Files: valueAgg{Value: esFloat(math.Round(size / fileSize))}, Bytes: valueAgg{Value: esFloat(size)},
	}
}
