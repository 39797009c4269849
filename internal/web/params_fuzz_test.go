package web

import (
	"errors"
	"net/url"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// FuzzParseJobsParams: any query string either fails with a parameter
// error or yields filters whose matchers build a query that prints and
// parses back (no panic, no injection through the printed text).
func FuzzParseJobsParams(f *testing.F) {
	for _, seed := range []string{
		"", "cloud=DE&cloud=FR&group=site&range=7d", "queue=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&group=queue",
		"from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z", `site=a"b\c&tier=.*&job_status=running`, "cloud=%ff", "range=1y",
	} {
		f.Add(seed)
	}
	p := parser.NewParser(parser.Options{})
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		jp, err := parseJobsParams(q, now0)
		if err != nil {
			if pe := (*paramError)(nil); !errors.As(err, &pe) {
				t.Fatalf("parseJobsParams(%q): %v is not a parameter error", raw, err)
			}
			return
		}
		ms, err := filterMatchers(jp.Filters, "")
		if err != nil {
			t.Fatalf("filters of %q: %v", raw, err)
		}
		en := &engine{parser: p}
		expr, err := en.parse("sum by ("+jp.Group.Label+", job_status) (qmonit_jobs)", ms)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.ParseExpr(expr.String()); err != nil {
			t.Fatalf("query of %q does not parse back: %v\n%s", raw, err, expr)
		}
	})
}
