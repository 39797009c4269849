package app

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/point"
)

// BenchmarkSinkThroughput encodes one default-grid cycle (1,000 queues,
// ~25,000 points) the way the daemon's sinks do and sends every batch to
// a real engine, reporting points/s end to end (encode, gzip or snappy,
// HTTP, the engine's ingestion). Each iteration is one cycle, stamped one
// minute later than the previous one. Engines come from the environment
// that scripts/services-start.sh writes; absent ones are skipped.
//
//	set -a; . DIR/services.env; set +a
//	go test -run '^$' -bench SinkThroughput -benchtime 20x ./internal/app/
func BenchmarkSinkThroughput(b *testing.B) {
	_, cfg := simConfig(b, 1000, nil)
	up, err := newUpstreams(cfg, discardLogger(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	res, err := up.runCycle(b.Context(), simTime, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().UTC().Truncate(time.Hour).Add(-6 * time.Hour)
	db := fmt.Sprintf("qmonit_bench_%d", time.Now().UnixNano())
	for _, eng := range []struct {
		name, env string
		setup     func(c *config.Config, url string)
	}{
		{"influxdb", "INFLUX_URL", func(c *config.Config, u string) {
			c.Sinks.InfluxDB.Enabled, c.Sinks.InfluxDB.URL, c.Sinks.InfluxDB.Database = true, u, db
			c.Sinks.InfluxDB.RetentionPolicy = ""
		}},
		{"victoriametrics-influx", "VM_URL", func(c *config.Config, u string) {
			c.Sinks.InfluxDB.Enabled, c.Sinks.InfluxDB.URL = true, u
		}},
		{"victoriametrics-remote-write", "VM_REMOTE_WRITE_URL", func(c *config.Config, u string) {
			c.Sinks.RemoteWrite.Enabled, c.Sinks.RemoteWrite.URL, c.Sinks.RemoteWrite.ExternalLabels = true, u, "qmonit_bench=1"
		}},
		{"prometheus-remote-write", "PROM_REMOTE_WRITE_URL", func(c *config.Config, u string) {
			c.Sinks.RemoteWrite.Enabled, c.Sinks.RemoteWrite.URL, c.Sinks.RemoteWrite.ExternalLabels = true, u, "qmonit_bench=1"
		}},
	} {
		b.Run(eng.name, func(b *testing.B) {
			u := os.Getenv(eng.env)
			if u == "" {
				b.Skipf("%s not set: start the engine with scripts/services-start.sh", eng.env)
			}
			c := *cfg
			c.Sinks = config.Default().Sinks
			c.DataDir = b.TempDir()
			eng.setup(&c, u)
			if eng.name == "influxdb" {
				influxQuery(b, u, "", "CREATE DATABASE "+db)
				b.Cleanup(func() { influxQuery(b, u, "", "DROP DATABASE "+db) })
			}
			sinks, err := newSinks(&c, discardLogger(), nil)
			if err != nil || len(sinks) != 1 {
				b.Fatalf("sinks: %v", err)
			}
			s := sinks[0]
			pts := make([]point.Point, len(res.Points))
			n := 0
			for b.Loop() {
				at := base.Add(time.Duration(n) * time.Minute)
				n++
				copy(pts, res.Points)
				for i := range pts {
					pts[i].Time = at
				}
				for _, batch := range s.encode(&sinkCycle{points: pts}) {
					if err := s.send(b.Context(), batch); err != nil {
						b.Fatalf("%s: %v", eng.name, err)
					}
				}
			}
			b.ReportMetric(float64(len(pts)*n)/b.Elapsed().Seconds(), "points/s")
			b.ReportMetric(float64(len(pts)), "points/cycle")
		})
	}
}
