package sim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// msearchQuery is the request QMonit sends (SOURCES.md §3.1).
const msearchQuery = `{"search_type":"query_then_fetch","ignore_unavailable":true,"index":["monit_prod_rucioacc_enr_site*"]}
{"size":0,"query":{"bool":{"filter":[{"range":{"metadata.timestamp":{"gte":1600000000000,"lte":1600086400000,"format":"epoch_millis"}}},{"query_string":{"analyze_wildcard":true,"query":"data.account:*"}}]}},"aggs":{"4":{"terms":{"field":"data.rse","size":500,"order":{"_term":"desc"},"min_doc_count":1},"aggs":{"1":{"sum":{"field":"data.files"}},"3":{"sum":{"field":"data.bytes"}}}}}}
`

type msearchAnswer struct {
	Responses []struct {
		Status int
		Hits   struct {
			Total struct {
				Value    int
				Relation string
			}
		}
		Aggregations map[string]struct {
			Buckets []struct {
				Key      string
				DocCount int                     `json:"doc_count"`
				Files    struct{ Value float64 } `json:"1"`
				Bytes    struct{ Value float64 } `json:"3"`
			}
		}
	}
}

func TestMsearchRequests(t *testing.T) {
	ok := map[string]string{"Authorization": "Bearer sim-token", "Content-Type": "application/json"}
	for _, tt := range []struct {
		name, method, body string
		hdr                map[string]string
		want               int
	}{
		{name: "ok", method: "POST", body: msearchQuery, hdr: ok, want: 200},
		{name: "no trailing newline", method: "POST", body: strings.TrimSpace(msearchQuery), hdr: ok, want: 200},
		{name: "no auth", method: "POST", body: msearchQuery, want: 401},
		{name: "empty bearer", method: "POST", body: msearchQuery, hdr: map[string]string{"Authorization": "Bearer "}, want: 401},
		{name: "basic auth", method: "POST", body: msearchQuery, hdr: map[string]string{"Authorization": "Basic eDp5"}, want: 401},
		{name: "one line", method: "POST", body: "{}\n", hdr: ok, want: 400},
		{name: "three lines", method: "POST", body: "{}\n{}\n{}\n", hdr: ok, want: 400},
		{name: "not json", method: "POST", body: "{}\nsize=0\n", hdr: ok, want: 400},
		{name: "get", method: "GET", hdr: ok, want: 405},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGrid(t, Options{Queues: 100})
			rec := do(t, g.Handler(), tt.method, PathMsearch, tt.hdr, tt.body)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %.200s", rec.Code, tt.want, rec.Body.String())
			}
			if tt.want != 405 {
				decode[map[string]any](t, rec.Body.Bytes())
			}
		})
	}
}

func TestMsearchAnswer(t *testing.T) {
	g := newTestGrid(t, Options{})
	auth := map[string]string{"Authorization": "Bearer x"}
	get := func(at time.Time) msearchAnswer {
		rec := do(t, g.Handler(), "POST", PathMsearch+"?at="+at.Format(time.RFC3339), auth, msearchQuery)
		if !strings.Contains(rec.Body.String(), `"max_score":0.0`) || !strings.Contains(rec.Body.String(), `"value":`) {
			t.Fatalf("body does not look like Elasticsearch's: %.300s", rec.Body.String())
		}
		return decode[msearchAnswer](t, rec.Body.Bytes())
	}
	a := get(testTime())
	if len(a.Responses) != 1 || a.Responses[0].Status != 200 || a.Responses[0].Hits.Total.Relation != "eq" {
		t.Fatalf("responses = %+v", a.Responses)
	}
	buckets := a.Responses[0].Aggregations["4"].Buckets
	var keys, want []string
	for _, b := range buckets {
		keys = append(keys, b.Key)
		if b.Files.Value <= 0 || b.Bytes.Value <= 0 || b.Bytes.Value >= 1<<53 || b.DocCount <= 0 {
			t.Errorf("bucket %+v", b)
		}
	}
	for name := range getDump(t, g, PathDDMEndpoint) {
		if strings.HasSuffix(name, "_DATADISK") {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	slices.Reverse(want)
	if !slices.Equal(keys, want) {
		t.Errorf("bucket keys %q, want every DATADISK in descending order %q", keys, want)
	}
	later := get(testTime().Add(time.Hour)).Responses[0].Aggregations["4"].Buckets
	changed := false
	for i, b := range later {
		r := b.Bytes.Value / buckets[i].Bytes.Value
		if r < 0.97 || r > 1.03 {
			t.Errorf("%s bytes changed by %.3f in an hour", b.Key, r)
		}
		changed = changed || r != 1
	}
	if !changed {
		t.Error("no datadisk changed in an hour")
	}
}
