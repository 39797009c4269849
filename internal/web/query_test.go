package web

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

func TestChooseResolution(t *testing.T) {
	const iv = 10 * time.Minute
	for _, tt := range []struct {
		name     string
		from, to time.Time
		want     string
		step     time.Duration
	}{
		{"6h raw", now0.Add(-6 * time.Hour), now0, "raw", iv},
		{"48h raw", now0.Add(-48 * time.Hour), now0, "raw", iv},
		{"49h hourly", now0.Add(-49 * time.Hour), now0, "1h", time.Hour},
		{"short but older than raw retention", now0.Add(-40 * day), now0.Add(-39 * day), "1h", time.Hour},
		{"30d hourly", now0.Add(-30 * day), now0, "1h", time.Hour},
		{"35d hourly", now0.Add(-35 * day), now0, "1h", time.Hour},
		{"36d daily", now0.Add(-36 * day), now0, "1d", day},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := chooseResolution(timeRange{From: tt.from, To: tt.to}, now0, iv, 35*day)
			if got.Name != tt.want || got.Step != tt.step || got.Interval != iv {
				t.Errorf("chooseResolution = %+v, want %s at %s", got, tt.want, tt.step)
			}
		})
	}
	if got := (resolution{Bucket: time.Hour, Interval: 10 * time.Minute}).perInterval(); got != 6 {
		t.Errorf("perInterval of 1h over 10m = %v, want 6", got)
	}
	if got := (resolution{Interval: 10 * time.Minute}).perInterval(); got != 1 {
		t.Errorf("perInterval of raw = %v, want 1", got)
	}
}

func TestAlignSteps(t *testing.T) {
	for _, tt := range []struct {
		name      string
		from, to  time.Time
		step      time.Duration
		wantStart time.Time
		wantN     int
	}{
		{"24h at 10m", now0.Add(-24 * time.Hour), now0, 10 * time.Minute,
			time.Date(2026, 3, 3, 12, 30, 0, 0, time.UTC), 145},
		{"7d at 1h", now0.Add(-7 * day), now0, time.Hour, time.Date(2026, 2, 25, 12, 0, 0, 0, time.UTC), 169},
		{"aligned bounds", time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC), 10 * time.Minute,
			time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), 7},
		{"shorter than a step", now0.Add(-time.Minute), now0, time.Hour, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := alignSteps(tt.from, tt.to, tt.step)
			if !g.Start.Equal(tt.wantStart) || g.N != tt.wantN {
				t.Fatalf("alignSteps = start %v, n %d; want %v, %d", g.Start, g.N, tt.wantStart, tt.wantN)
			}
			if g.End().After(tt.to) || g.End().Add(g.Step).Before(tt.to) {
				t.Errorf("end %v does not end the range at %v", g.End(), tt.to)
			}
			ts := g.unixSeconds()
			if len(ts) != g.N || ts[0] != g.Start.Unix() || ts[len(ts)-1] != g.End().Unix() {
				t.Errorf("unixSeconds = %v", ts)
			}
		})
	}
}

// TestFilterMatchersRoundTrip checks that hostile values go through the
// printed query unchanged: what the engine parses selects exactly them.
func TestFilterMatchersRoundTrip(t *testing.T) {
	hostile := []string{`<img src=x onerror=alert(1)>`, `a"b\c`, "new\nline", `.*`, `x|y`, `(?i)X`, `}) or vector(1) #`, "Zürich queue", "tab\tand ünïcode 日本"}
	fs := []filter{
		{Dim: dims[2], Values: hostile},
		{Dim: dims[0], Values: []string{`DE"}`}},
		{Dim: dims[5], Values: []string{"running"}},
	}
	ms, err := filterMatchers(fs, "job_status")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("got %d matchers, want 2 (job_status skipped)", len(ms))
	}
	en := &engine{parser: parser.NewParser(parser.Options{})}
	expr, err := en.parse(`sum by (cloud) (qmonit_jobs) + on () group_left () count(qmonit_queue_info)`, ms)
	if err != nil {
		t.Fatal(err)
	}
	back, err := en.parser.ParseExpr(expr.String())
	if err != nil {
		t.Fatalf("printed query does not parse: %v\n%s", err, expr)
	}
	var sels []*parser.VectorSelector
	parser.Inspect(back, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			sels = append(sels, vs)
		}
		return nil
	})
	if len(sels) != 2 {
		t.Fatalf("got %d selectors", len(sels))
	}
	for _, vs := range sels {
		queue := matcherOf(vs, "panda_queue")
		if vs.Name == metricQueueInfo {
			if queue != nil {
				t.Errorf("qmonit_queue_info got the jobs filters: %s", vs)
			}
			continue
		}
		if queue == nil || matcherOf(vs, "cloud") == nil || !matcherOf(vs, "cloud").Matches(`DE"}`) {
			t.Fatalf("selector %s lacks the filters", vs)
		}
		for _, v := range hostile {
			if !queue.Matches(v) {
				t.Errorf("queue matcher %s does not match %q", queue, v)
			}
		}
		for _, v := range []string{"anything", "x", "y", "X", "<img src=x onerror=alert(1)", ""} {
			if queue.Matches(v) {
				t.Errorf("queue matcher %s matches %q", queue, v)
			}
		}
	}
}

func matcherOf(vs *parser.VectorSelector, name string) *labels.Matcher {
	i := slices.IndexFunc(vs.LabelMatchers, func(m *labels.Matcher) bool { return m.Name == name })
	if i < 0 {
		return nil
	}
	return vs.LabelMatchers[i]
}

func TestNumJSON(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{{1, "1"}, {1.5, "1.5"}, {1234567, "1234567"}, {math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"}, {1e-7, "1e-07"}, {0.25, "0.25"}, {0, "0"}, {-3, "-3"}} {
		b, err := num(tt.in).MarshalJSON()
		if err != nil || string(b) != tt.want {
			t.Errorf("num(%v) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
	}
	if got := rounded(2.0 / 3); got != 0.667 {
		t.Errorf("rounded(2/3) = %v", got)
	}
}
