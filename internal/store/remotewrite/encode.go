package remotewrite

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/qmonit/qmonit/internal/point"
)

// MetricJobs is the metric name of the job-count points.
const MetricJobs = "qmonit_jobs"

// nameLabel is the label that carries the metric name.
const nameLabel = "__name__"

// Label is one label name and value.
type Label struct{ Name, Value string }

// Series is one sample of a series: its labels (without the metric name), a
// time and a value.
type Series struct {
	Labels []Label
	T      time.Time
	V      float64
}

// EncodePoints encodes pts as qmonit_jobs samples, one per point, with the
// point's 21 tags as labels (__name__ first, then sorted by name) and the job
// count as value, in batches of at most BatchSize samples. Each batch is a
// snappy-compressed prompb.WriteRequest ready for Send.
func (s *Sink) EncodePoints(pts []point.Point) [][]byte {
	var out [][]byte
	var buf []byte
	// One backing array each for the series, labels and samples, reused by
	// every batch: a batch is compressed before the next one is built.
	n := min(s.o.BatchSize, len(pts))
	series := make([]prompb.TimeSeries, n)
	labels := make([]prompb.Label, 0, n*(5+point.NumAttrs))
	samples := make([]prompb.Sample, n)
	for start := 0; start < len(pts); start += s.o.BatchSize {
		chunk := pts[start:min(start+s.o.BatchSize, len(pts))]
		req := prompb.WriteRequest{Timeseries: series[:len(chunk)]}
		labels = labels[:0]
		for i := range chunk {
			p := &chunk[i]
			first := len(labels)
			labels = append(labels, prompb.Label{Name: nameLabel, Value: MetricJobs})
			p.EachTag(func(k, v string) {
				if v = validValue(v); v != "" {
					labels = append(labels, prompb.Label{Name: k, Value: v})
				}
			})
			if len(s.o.ExternalLabels) > 0 {
				labels = s.addExternal(labels, first)
			}
			samples[i] = prompb.Sample{Value: float64(p.Jobs), Timestamp: p.Time.UnixMilli()}
			req.Timeseries[i] = prompb.TimeSeries{
				Labels:  labels[first:len(labels):len(labels)],
				Samples: samples[i : i+1 : i+1],
			}
		}
		var b []byte
		b, buf = compress(&req, buf)
		out = append(out, b)
	}
	return out
}

// EncodeSamples encodes ss as samples of the metric name, in batches of at
// most BatchSize samples. Labels are sorted by name; labels with an empty
// value are dropped (Prometheus treats them as absent); of duplicate names
// the last wins; a __name__ label in ss is replaced by name unless name is
// empty. Invalid UTF-8 in values is replaced by U+FFFD.
func (s *Sink) EncodeSamples(name string, ss []Series) [][]byte {
	var out [][]byte
	var buf []byte
	for start := 0; start < len(ss); start += s.o.BatchSize {
		chunk := ss[start:min(start+s.o.BatchSize, len(ss))]
		req := prompb.WriteRequest{Timeseries: make([]prompb.TimeSeries, len(chunk))}
		samples := make([]prompb.Sample, len(chunk))
		for i := range chunk {
			samples[i] = prompb.Sample{Value: chunk[i].V, Timestamp: chunk[i].T.UnixMilli()}
			req.Timeseries[i] = prompb.TimeSeries{
				Labels:  seriesLabels(name, s.withExternal(chunk[i].Labels)),
				Samples: samples[i : i+1 : i+1],
			}
		}
		var b []byte
		b, buf = compress(&req, buf)
		out = append(out, b)
	}
	return out
}

// addExternal appends the external labels the series labels[first:] lacks
// and sorts that series' labels by name again.
func (s *Sink) addExternal(labels []prompb.Label, first int) []prompb.Label {
	own := len(labels)
	for _, e := range s.o.ExternalLabels {
		if !slices.ContainsFunc(labels[first:own], func(l prompb.Label) bool { return l.Name == e.Name }) {
			labels = append(labels, prompb.Label{Name: e.Name, Value: validValue(e.Value)})
		}
	}
	slices.SortFunc(labels[first:], func(a, b prompb.Label) int { return cmp.Compare(a.Name, b.Name) })
	return labels
}

// withExternal puts the external labels before ls, so seriesLabels, which
// keeps the last of equal names, lets the series' own labels win.
func (s *Sink) withExternal(ls []Label) []Label {
	if len(s.o.ExternalLabels) == 0 {
		return ls
	}
	return append(slices.Clip(s.o.ExternalLabels), ls...)
}

// seriesLabels returns the wire labels of one series, sorted and deduplicated.
func seriesLabels(name string, in []Label) []prompb.Label {
	out := make([]prompb.Label, 0, len(in)+1)
	if name != "" {
		out = append(out, prompb.Label{Name: nameLabel, Value: name})
	}
	for _, l := range in {
		if name != "" && l.Name == nameLabel {
			continue
		}
		if v := validValue(l.Value); v != "" && l.Name != "" {
			out = append(out, prompb.Label{Name: l.Name, Value: v})
		}
	}
	slices.SortStableFunc(out, func(a, b prompb.Label) int { return cmp.Compare(a.Name, b.Name) })
	// Keep the last of equal names: compact from the end.
	w := len(out)
	for r := len(out) - 1; r >= 0; r-- {
		if w < len(out) && out[w].Name == out[r].Name {
			continue
		}
		w--
		out[w] = out[r]
	}
	return out[w:]
}

// validValue makes v valid UTF-8, which Prometheus requires of label values.
func validValue(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}

// compress marshals req and snappy block-compresses it, using buf (grown as
// needed) as scratch space for both. It returns an exact-size copy of the
// body, so a kept batch does not pin the scratch space, and buf for reuse.
func compress(req *prompb.WriteRequest, buf []byte) ([]byte, []byte) {
	n := req.Size()
	need := n + snappy.MaxEncodedLen(n)
	if cap(buf) < need {
		buf = make([]byte, need)
	}
	buf = buf[:need]
	m, err := req.MarshalToSizedBuffer(buf[:n])
	if err != nil || m != n {
		panic("BUG: remotewrite: marshal WriteRequest: size mismatch or " + errString(err))
	}
	enc := snappy.Encode(buf[n:], buf[:n])
	return slices.Clone(enc), buf
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
