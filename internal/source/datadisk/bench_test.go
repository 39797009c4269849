package datadisk

import (
	"fmt"
	"strings"
	"testing"
)

// genAnswer builds an _msearch answer with n buckets, as the real query
// returns (at most 500).
func genAnswer(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"responses":[{"took":400,"timed_out":false,"hits":{"total":{"value":250000,"relation":"eq"},"hits":[]},` +
		`"aggregations":{"4":{"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[`)
	for i := range n {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"key":"SITE%03d_DATADISK","doc_count":%d,"1":{"value":%d.0},"3":{"value":%d.0}}`,
			i, 100+i, 1000*i+7, 123456789012*int64(i+1))
	}
	sb.WriteString(`]}},"status":200}]}`)
	return []byte(sb.String())
}

func BenchmarkDecode(b *testing.B) {
	body := genAnswer(500)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	answers := 0
	for b.Loop() {
		got, _, err := Decode(body)
		if err != nil || len(got) != 500 {
			b.Fatalf("Decode() = %d RSEs, %v", len(got), err)
		}
		answers++
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(answers), "ms/answer")
}
