package spool

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func registryWith(t *testing.T, c prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatalf("Register() = %v", err)
	}
	return reg
}

// oneMetric collects only the metric whose desc names name.
type oneMetric struct {
	s    *Spool
	name string
}

func collectorMetric(s *Spool, name string) prometheus.Collector { return oneMetric{s, name} }

func (o oneMetric) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(o, ch)
}

func (o oneMetric) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric, 16)
	o.s.Collect(all)
	close(all)
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+o.name+`"`) {
			ch <- m
		}
	}
}
