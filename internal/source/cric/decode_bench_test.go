package cric

import (
	"bytes"
	"fmt"
	"testing"
)

// queueDump generates a pandaqueue dump of n queues with about 180 fields
// each, most of which the decoder skips, shaped like the real CRIC answer.
func queueDump(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `  "SITE%04d_QUEUE": {"panda_resource": "SITE%04d_QUEUE", "name": "default", `, i, i)
		fmt.Fprintf(&b, `"atlas_site": "SITE%04d", "type": "production", "resource_type": "GRID", `, i)
		b.WriteString(`"cloud": "XX", "country": "Atlantis", "status": "online", "tier": "T2D", ` +
			`"pilot_manager": "Harvester", "pilot_version": 2, "harvester": "CERN_central_A", ` +
			`"workflow": "pull_ups", "container_type": "singularity:pilot", "rc": "XX-FED", ` +
			`"corecount": 8, "corepower": 10.96, ` +
			`"astorages": {"pr": ["A_DATADISK"], "read_lan": ["A_DATADISK", "B_DATADISK", "C_DATADISK"], ` +
			`"write_lan": ["A_DATADISK", "A_SCRATCHDISK"], "es_events": ["CERN-PROD_ES"]}`)
		for f := range 162 {
			fmt.Fprintf(&b, `, "field_%03d": `, f)
			writeFiller(&b, f)
		}
		b.WriteString("}")
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

// writeFiller writes one ignored value; the mix follows the real dump.
func writeFiller(b *bytes.Buffer, f int) {
	switch f % 7 {
	case 0:
		fmt.Fprintf(b, `"some moderately long configuration string number %d"`, f)
	case 1:
		fmt.Fprintf(b, "%d", f*1000+17)
	case 2:
		fmt.Fprintf(b, "%d.%02d", f, f%100)
	case 3:
		b.WriteString("null")
	case 4:
		b.WriteString("true")
	case 5:
		b.WriteString(`["rucio", "xrdcp", "gfalcopy"]`)
	default:
		b.WriteString(`{"analysis": {"capabilities": {"score": 100}, "value": 20}, "production": {"value": 80}}`)
	}
}

func BenchmarkDecodeQueues(b *testing.B) {
	for _, n := range []int{100, 5000} {
		body := queueDump(n)
		b.Run(fmt.Sprintf("%d-queues", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var dumps int
			for b.Loop() {
				d, err := DecodeQueues(body)
				if err != nil || len(d.Items) != n {
					b.Fatalf("DecodeQueues() = %d items, %v; want %d", len(d.Items), err, n)
				}
				dumps++
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(dumps), "ms/dump")
			b.ReportMetric(float64(len(body))/float64(n), "B/queue")
		})
	}
}
