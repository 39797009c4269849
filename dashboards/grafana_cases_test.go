package dashboards

import (
	"strings"
	"testing"
	"time"
)

func TestVarRefs(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string // name:format
	}{
		{`up{a=~"$cloud"}`, []string{"cloud:"}},
		{`sum by ($groupby) (x)`, []string{"groupby:"}},
		{`${queue:raw} [[site:regex]] ${DS}`, []string{"queue:raw", "site:regex", "DS:"}},
		{`$tag_$groupby`, []string{"tag_:", "groupby:"}},
		{`label_replace(x, "d", "$1", "rse", "(.*)")`, []string{"1:"}},
		{`${__data.fields.panda_queue}`, []string{"__data:"}},
		{`no variables`, nil},
	} {
		var got []string
		for _, r := range varRefs(tt.in) {
			got = append(got, r.name+":"+r.format)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("varRefs(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestInterpolate(t *testing.T) {
	multi := &variable{Name: "q", Type: "query", Multi: true, IncludeAll: true, AllValue: ".*"}
	single := &variable{Name: "g", Type: "custom"}
	for _, tt := range []struct {
		name, flavour, text string
		sel                 selection
		want                string
	}{
		{"prom all", promFlavour, `x{a=~"$q"}`, selection{all: true}, `x{a=~".*"}`},
		{"prom one", promFlavour, `x{a=~"$q"}`, selection{values: []string{"CERN-PROD"}}, `x{a=~"CERN-PROD"}`},
		{"prom two escaped", promFlavour, `x{a=~"$q"}`, selection{values: []string{"a.b", "alert(1)"}},
			`x{a=~"(a\\.b|alert\\(1\\))"}`},
		{"prom backslash and quote", promFlavour, `x{a=~"$q"}`, selection{values: []string{`a\b'c`}}, `x{a=~"a\\\\b\\'c"}`},
		{"influx all", influxFlavour, `"a" =~ /^$q$/`, selection{all: true}, `"a" =~ /^.*$/`},
		{"influx two escaped", influxFlavour, `"a" =~ /^$q$/`, selection{values: []string{"a/b", "c(d)"}},
			`"a" =~ /^(a\/b|c\(d\))$/`},
		{"influx scoped", influxFlavour, `"a" =~ /^$q$/`, selection{values: []string{"x.y"}, scoped: true}, `"a" =~ /^x\.y$/`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &scope{flavour: tt.flavour, vars: map[string]*variable{"q": multi, "g": single},
				sel: map[string]selection{"q": tt.sel, "g": {values: []string{"cloud"}}}}
			got, err := s.interpolate(tt.text)
			if err != nil || got != tt.want {
				t.Errorf("interpolate(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
			}
		})
	}
	s := &scope{flavour: promFlavour, vars: map[string]*variable{"g": single}, sel: map[string]selection{"g": {values: []string{"cloud"}}}}
	if got, err := s.interpolate(`sum by ($groupby) (x)`); err == nil {
		t.Errorf("undefined variable interpolated to %q, want an error", got)
	}
	if got, err := s.interpolate(`sum by ($g) (x[$__range])`); err == nil {
		t.Errorf("$__range without a time range interpolated to %q, want an error", got)
	}
	if got, _ := s.withBuiltins(time.Unix(0, 0), time.Unix(86400, 0), time.Hour).interpolate(`sum by ($g) (x[$__range]) $__interval`); got != `sum by (cloud) (x[86400s]) 1h` {
		t.Errorf("builtins: got %q", got)
	}
}

func TestQueryInterval(t *testing.T) {
	for _, tt := range []struct {
		rng, min, want time.Duration
	}{
		{24 * time.Hour, 0, 2 * time.Minute},
		{24 * time.Hour, time.Hour, time.Hour},
		{30 * 24 * time.Hour, 0, time.Hour},
		{30 * 24 * time.Hour, 24 * time.Hour, 24 * time.Hour},
	} {
		if got := queryInterval(tt.rng, tt.min); got != tt.want {
			t.Errorf("queryInterval(%v, %v) = %v, want %v", tt.rng, tt.min, got, tt.want)
		}
	}
}
