package web

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

var now0 = time.Date(2026, 3, 4, 12, 34, 56, 0, time.UTC)

func TestParseJobsParams(t *testing.T) {
	for _, tt := range []struct {
		name    string
		query   string
		want    func(t *testing.T, p jobsParams)
		wantErr string // substring of the error; "" for success
	}{
		{name: "defaults", query: "", want: func(t *testing.T, p jobsParams) {
			if p.Group.Name != "cloud" || p.Range.Name != "24h" || len(p.Filters) != 0 {
				t.Errorf("got group %q range %q filters %v", p.Group.Name, p.Range.Name, p.Filters)
			}
			if !p.Range.To.Equal(now0) || !p.Range.From.Equal(now0.Add(-24*time.Hour)) {
				t.Errorf("range %v..%v", p.Range.From, p.Range.To)
			}
		}},
		{name: "filters in dims order, deduplicated", query: "site=B&cloud=DE&cloud=FR&cloud=DE&group=site&range=7d", want: func(t *testing.T, p jobsParams) {
			if len(p.Filters) != 2 || p.Filters[0].Dim.Name != "cloud" || !slices.Equal(p.Filters[0].Values, []string{"DE", "FR"}) ||
				p.Filters[1].Dim.Label != "atlas_site" {
				t.Errorf("filters %+v", p.Filters)
			}
			if p.Group.Label != "atlas_site" || p.Range.Name != "7d" {
				t.Errorf("group %+v range %+v", p.Group, p.Range)
			}
		}},
		{name: "hostile value kept verbatim", query: "queue=" + url.QueryEscape(`<img src=x onerror=alert(1)>`), want: func(t *testing.T, p jobsParams) {
			if p.Filters[0].Values[0] != `<img src=x onerror=alert(1)>` || p.Filters[0].Dim.Label != "panda_queue" {
				t.Errorf("filters %+v", p.Filters)
			}
		}},
		{name: "custom range", query: "from=2026-03-01T00:00:00Z&to=2026-03-02T06:00:00%2B02:00", want: func(t *testing.T, p jobsParams) {
			if p.Range.Name != "custom" || !p.Range.To.Equal(time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)) {
				t.Errorf("range %+v", p.Range)
			}
		}},
		{name: "range=custom with bounds", query: "range=custom&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z", want: func(t *testing.T, p jobsParams) {
			if p.Range.Name != "custom" {
				t.Errorf("range %+v", p.Range)
			}
		}},
		{name: "unknown parameter", query: "clod=DE", wantErr: `parameter "clod": unknown parameter`},
		{name: "empty value", query: "cloud=", wantErr: `parameter "cloud": empty value`},
		{name: "long value", query: "cloud=" + strings.Repeat("x", maxValueLen+1), wantErr: "longer than 256 bytes"},
		{name: "invalid UTF-8", query: "cloud=%ff", wantErr: "not valid UTF-8"},
		{name: "NUL", query: "cloud=a%00b", wantErr: "NUL"},
		{name: "too many values", query: strings.Repeat("queue=q&", maxValuesPerDim+1), wantErr: "at most 500"},
		{name: "bad group", query: "group=nope", wantErr: `parameter "group": "nope" is not one of cloud, site`},
		{name: "repeated group", query: "group=site&group=cloud", wantErr: "given 2 times"},
		{name: "bad range", query: "range=1y", wantErr: `parameter "range": "1y" is not one of`},
		{name: "range and bounds", query: "range=7d&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z", wantErr: "not both"},
		{name: "from without to", query: "from=2026-03-01T00:00:00Z", wantErr: `parameter "to": a custom range needs both`},
		{name: "bad from", query: "from=yesterday&to=2026-03-02T00:00:00Z", wantErr: `parameter "from": not an RFC 3339 time`},
		{name: "to before from", query: "from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", wantErr: "must be after from"},
		{name: "span too long", query: "from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", wantErr: "exceeds the maximum of 400 days"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			p, err := parseJobsParams(q, now0)
			checkErr(t, err, tt.wantErr)
			if err == nil && tt.want != nil {
				tt.want(t, p)
			}
		})
	}
}

func TestParseThresholds(t *testing.T) {
	for _, tt := range []struct {
		query   string
		want    thresholds
		wantErr string
	}{
		{query: "", want: thresholds{Rel: 0.5, Abs: 50, Window: 3}},
		{query: "rel=0&abs=0&avg=7d", want: thresholds{Rel: 0, Abs: 0, Window: 4}},
		{query: "rel=1.25&abs=1e3&avg=1h", want: thresholds{Rel: 1.25, Abs: 1000, Window: 0}},
		{query: "rel=-1", wantErr: "outside [0, 1e+06]"},
		{query: "rel=NaN", wantErr: "outside"},
		{query: "abs=ten", wantErr: `parameter "abs": not a number: "ten"`},
		{query: "avg=2d", wantErr: `parameter "avg": "2d" is not one of 1h, 6h, 12h, 24h, 7d, 30d`},
		{query: "limit=3", wantErr: `parameter "limit": unknown parameter`},
	} {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := parseThresholds(q)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.want {
				t.Errorf("parseThresholds(%q) = %+v, want %+v", tt.query, got, tt.want)
			}
		})
	}
}

func TestParseQueueParams(t *testing.T) {
	for _, tt := range []struct {
		query, wantName, wantRange, wantErr string
	}{
		{query: "name=CERN-PROD", wantName: "CERN-PROD", wantRange: "7d"},
		{query: "name=" + url.QueryEscape("a/b c") + "&range=30d", wantName: "a/b c", wantRange: "30d"},
		{query: "", wantErr: `parameter "name": empty value`},
		{query: "name=x&range=6h", wantErr: `"6h" is not one of 24h, 7d, 30d`},
		{query: "name=x&extra=1", wantErr: `parameter "extra": unknown parameter`},
	} {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := parseQueueParams(q, now0)
			checkErr(t, err, tt.wantErr)
			if err == nil && (got.Name != tt.wantName || got.Range.Name != tt.wantRange) {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// checkErr checks that err is nil when want is "", else a *paramError
// whose message contains want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var pe *paramError
	if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want a parameter error containing %q", err, want)
	}
}
