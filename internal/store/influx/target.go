package influx

import (
	"bytes"
	"fmt"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// Target is where a batch goes: the raw retention policy (bucket) or the
// hourly or daily one.
type Target int

// The targets. Raw batches carry no header; the others start with a
// comment line naming the target ("#qmonit-target hourly"), so a spooled
// batch remembers where it goes while the retention policy names stay
// configuration (renaming one takes effect for the backlog too).
const (
	Raw Target = iota
	Hourly
	Daily
	numTargets
)

var targetNames = [numTargets]string{"raw", "hourly", "daily"}

// String returns "raw", "hourly" or "daily".
func (t Target) String() string {
	if t < 0 || t >= numTargets {
		return fmt.Sprintf("Target(%d)", int(t))
	}
	return targetNames[t]
}

const targetPrefix = "#qmonit-target "

// HasTarget reports whether the sink has a retention policy (bucket) for t.
func (s *Sink) HasTarget(t Target) bool { return t >= 0 && t < numTargets && s.endpoints[t] != "" }

// splitTarget returns the batch's target and its line protocol without the
// header. A header naming no known target is an error: the batch came from
// another version and sending it to the wrong place would corrupt data.
func splitTarget(batch []byte) (Target, []byte, error) {
	if !bytes.HasPrefix(batch, []byte(targetPrefix)) {
		return Raw, batch, nil
	}
	line, rest, ok := bytes.Cut(batch[len(targetPrefix):], []byte{'\n'})
	if !ok {
		return 0, nil, fmt.Errorf("influx: batch header %q has no newline", truncate(batch, 64))
	}
	for t, name := range targetNames {
		if string(line) == name {
			return Target(t), rest, nil
		}
	}
	return 0, nil, fmt.Errorf("influx: batch header names unknown target %q", truncate(line, 64))
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Rollup is one hourly or daily bucket of one series for InfluxDB: Point
// gives the tags and numeric fields, Start the bucket's start (the line's
// time, as the seed stamped downsampled points), Value the bucket's value
// (mean for snapshot states, sum for final ones) and Samples the raw
// samples in it.
type Rollup struct {
	Point   *point.Point
	Start   time.Time
	Value   float64
	Samples int
}

// EncodeRollups encodes rs as line-protocol batches for target (Hourly or
// Daily), each starting with the target header. It returns nil when the
// target is not configured.
func (s *Sink) EncodeRollups(target Target, rs []Rollup) [][]byte {
	if target == Raw || !s.HasTarget(target) {
		return nil
	}
	var out [][]byte
	for start := 0; start < len(rs); start += s.opts.BatchSize {
		chunk := rs[start:min(start+s.opts.BatchSize, len(rs))]
		b := make([]byte, 0, 32+len(chunk)*660)
		b = append(append(append(b, targetPrefix...), target.String()...), '\n')
		for i := range chunk {
			r := &chunk[i]
			b = point.AppendLineProtocolRollup(b, r.Point, r.Start, r.Value, r.Samples)
			b = append(b, '\n')
		}
		out = append(out, b)
	}
	return out
}

// DatadiskMeasurement is the seed's hourly per-queue datadisk measurement.
const DatadiskMeasurement = "datadisks"

// Datadisk is one line of the datadisks measurement: a queue, the datadisk
// its analysis jobs read from, the DAOD volume and files on it, and the
// queue's running analysis jobs averaged over the six windows (1h, 6h,
// 12h, 24h, 7d, 30d).
type Datadisk struct {
	Time              time.Time
	Queue, Datadisk   string
	Cloud, Site, Tier string
	OccupiedGB        float64
	Files             int64
	RunningAvg        [6]float64
	ResourceFactor    float64
}

var defaultWindows = [6]string{"1h", "6h", "12h", "24h", "7d", "30d"}

// EncodeDatadisks encodes ds as datadisks lines for the hourly target. It
// returns nil when that target is not configured.
func (s *Sink) EncodeDatadisks(ds []Datadisk) [][]byte {
	if !s.HasTarget(Hourly) {
		return nil
	}
	var out [][]byte
	for start := 0; start < len(ds); start += s.opts.BatchSize {
		chunk := ds[start:min(start+s.opts.BatchSize, len(ds))]
		b := make([]byte, 0, 32+len(chunk)*400)
		b = append(append(append(b, targetPrefix...), Hourly.String()...), '\n')
		for i := range chunk {
			b = appendDatadisk(b, &chunk[i])
			b = append(b, '\n')
		}
		out = append(out, b)
	}
	return out
}

func appendDatadisk(b []byte, d *Datadisk) []byte {
	b = append(b, DatadiskMeasurement...)
	// Tag keys in sorted order, as InfluxDB prefers.
	for _, kv := range [...][2]string{
		{"atlas_site", d.Site}, {"cloud", d.Cloud}, {"datadisk", d.Datadisk},
		{point.TagQueue, d.Queue}, {"tier", d.Tier},
	} {
		b = append(b, ',')
		b = append(b, kv[0]...)
		b = append(b, '=')
		v := kv[1]
		if v == "" {
			v = point.NoValue
		}
		b = point.AppendLineProtocolTag(b, v)
	}
	b = append(b, " files="...)
	b = fmt.Appendf(b, "%di", d.Files)
	b = append(b, ",occupied_gb="...)
	b = point.AppendLineProtocolFloat(b, d.OccupiedGB)
	b = append(b, ","+point.FieldResourceFactor+"="...)
	b = point.AppendLineProtocolFloat(b, d.ResourceFactor)
	for i, w := range defaultWindows {
		b = append(b, ",running_avg"...)
		b = append(b, w...)
		b = append(b, '=')
		b = point.AppendLineProtocolFloat(b, d.RunningAvg[i])
	}
	b = append(b, ' ')
	return fmt.Appendf(b, "%d", d.Time.UnixNano())
}
