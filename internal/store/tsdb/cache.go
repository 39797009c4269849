package tsdb

import (
	"fmt"
	"github.com/prometheus/common/model"
	"hash/maphash"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/qmonit/qmonit/internal/point"
)

// evictCycles is how many cycle intervals a cached series may go unused
// before its entry is dropped (2 days at 10 minutes: daily rollups stay).
const evictCycles = 288

// seriesRef is a cached label set and the series reference an appender
// returned for it. A ref is only a hint: the head falls back to the labels
// when the series is gone, and refs are never reused within a process.
type seriesRef struct {
	lset labels.Labels
	ref  storage.SeriesRef
	gen  uint64 // the appender generation ref belongs to (block writers)
	used int64  // unix seconds of the last use, for eviction
}

// refFor returns the cached ref if it belongs to generation gen, else 0.
func (e *seriesRef) refFor(gen uint64) storage.SeriesRef {
	if e.gen != gen {
		return 0
	}
	return e.ref
}

// pointEntry caches the qmonit_jobs series of one point.Key with the
// attribute values it was built from: changed attributes make a new series.
type pointEntry struct {
	seriesRef
	key   point.Key
	attrs *point.Attrs // last pointer seen: the fast path compares it first
	vals  point.Attrs
}

// pointRefs caches qmonit_jobs label sets and refs by point.Key. Not safe for
// concurrent use: the Store guards it with its mutex.
//
// Cycles list their points in the same order every time, so the entry used
// at position i of the previous batch is tried first: comparing a key whose
// strings are shared is much cheaper than hashing four strings and chasing
// them through a 25,000-entry map (memory latency dominates).
type pointRefs struct {
	m    map[point.Key]*pointEntry
	hint []*pointEntry // entry by position in the previous batch
	b    labels.ScratchBuilder
}

func newPointRefs() pointRefs {
	return pointRefs{m: make(map[point.Key]*pointEntry), b: labels.NewScratchBuilder(1 + len(point.TagNames()))}
}

// get returns the entry for p, the i-th point of its batch, building its
// labels on a miss or when its attributes changed since the last call.
func (c *pointRefs) get(i int, p *point.Point, now int64) *pointEntry {
	var e *pointEntry
	if i < len(c.hint) {
		if h := c.hint[i]; h != nil && h.key == p.Key() && h.same(p) {
			e = h
		}
	}
	if e == nil {
		e = c.lookup(p)
		for len(c.hint) <= i {
			c.hint = append(c.hint, nil)
		}
		c.hint[i] = e
	}
	e.attrs = p.Attrs
	e.used = now
	return e
}

func (c *pointRefs) lookup(p *point.Point) *pointEntry {
	k := p.Key()
	e := c.m[k]
	if e == nil || !e.same(p) {
		e = &pointEntry{key: k, attrs: p.Attrs, vals: attrsOf(p)}
		e.lset = pointLabels(&c.b, p)
		c.m[k] = e
	}
	return e
}

// sweep drops entries not used since cutoff and the positional hints.
func (c *pointRefs) sweep(cutoff int64) {
	sweep(c.m, cutoff)
	clear(c.hint)
}

func (e *pointEntry) same(p *point.Point) bool {
	if p.Attrs != nil && p.Attrs == e.attrs {
		return true
	}
	return attrsOf(p) == e.vals
}

func attrsOf(p *point.Point) point.Attrs {
	if p.Attrs != nil {
		return *p.Attrs
	}
	var a point.Attrs
	for i := range a {
		a[i] = point.NoValue
	}
	return a
}

// pointLabels builds qmonit_jobs{all 21 tags} for p.
func pointLabels(b *labels.ScratchBuilder, p *point.Point) labels.Labels {
	b.Reset()
	b.Add(model.MetricNameLabel, MetricJobs)
	p.EachTag(func(k, v string) {
		if v != "" {
			b.Add(k, cleanValue(v))
		}
	})
	b.Sort()
	return b.Labels()
}

// cleanValue makes v valid UTF-8; anything else passes through unchanged.
func cleanValue(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}

// sampleEntry caches the series of a generic Sample.
type sampleEntry struct {
	seriesRef
	name   string
	labels []Label
}

// sampleRefs caches label sets and refs of generic samples by a hash of
// their name and labels (as given, in order). Like pointRefs it first tries
// the entry at the same position of the previous batch that started with the
// same metric name (rollups, metadata and datadisks come in stable order).
// Not safe for concurrent use.
type sampleRefs struct {
	seed  maphash.Seed
	m     map[uint64]*sampleEntry
	hints map[string][]*sampleEntry // by the batch's first metric name
	key   string                    // the current batch's, see begin
	hint  []*sampleEntry
	b     labels.ScratchBuilder
}

func newSampleRefs() sampleRefs {
	return sampleRefs{seed: maphash.MakeSeed(), m: make(map[uint64]*sampleEntry),
		hints: make(map[string][]*sampleEntry), b: labels.NewScratchBuilder(8)}
}

// begin starts a batch of samples: get's positions refer to it until the
// next begin.
func (c *sampleRefs) begin(batch []Sample) {
	c.key, c.hint = "", nil
	if len(batch) > 0 {
		c.key = batch[0].Name
		c.hint = c.hints[c.key]
	}
}

// get returns the entry for s, the i-th sample of the current batch,
// validating and building its labels on a miss.
func (c *sampleRefs) get(i int, s *Sample, now int64) (*sampleEntry, error) {
	if i < len(c.hint) {
		if h := c.hint[i]; h != nil && h.name == s.Name && slices.Equal(h.labels, s.Labels) {
			h.used = now
			return h, nil
		}
	}
	e, err := c.lookup(s)
	if err != nil {
		return nil, err
	}
	if i >= len(c.hint) {
		c.hint = append(c.hint, make([]*sampleEntry, i+1-len(c.hint))...)
		c.hints[c.key] = c.hint
	}
	c.hint[i] = e
	e.used = now
	return e, nil
}

func (c *sampleRefs) lookup(s *Sample) (*sampleEntry, error) {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(s.Name)
	for _, l := range s.Labels {
		h.WriteByte(0xff)
		h.WriteString(l.Name)
		h.WriteByte(0xfe)
		h.WriteString(l.Value)
	}
	k := h.Sum64()
	e := c.m[k]
	if e == nil || e.name != s.Name || !slices.Equal(e.labels, s.Labels) {
		lset, err := sampleLabels(&c.b, s.Name, s.Labels)
		if err != nil {
			return nil, err
		}
		e = &sampleEntry{name: s.Name, labels: slices.Clone(s.Labels)}
		e.lset = lset
		c.m[k] = e
	}
	return e, nil
}

// sweep drops entries not used since cutoff and the positional hints.
func (c *sampleRefs) sweep(cutoff int64) {
	sweep(c.m, cutoff)
	clear(c.hints)
	c.hint = nil
}

// sampleLabels validates and builds name{ls}. Labels with an empty value
// are dropped, as Prometheus does.
func sampleLabels(b *labels.ScratchBuilder, name string, ls []Label) (labels.Labels, error) {
	if name == "" {
		return labels.EmptyLabels(), fmt.Errorf("sample %v: empty metric name", ls)
	}
	b.Reset()
	b.Add(model.MetricNameLabel, name)
	for _, l := range ls {
		switch {
		case l.Name == "" || !utf8.ValidString(l.Name):
			return labels.EmptyLabels(), fmt.Errorf("sample %q: invalid label name %q", name, l.Name)
		case l.Name == model.MetricNameLabel:
			return labels.EmptyLabels(), fmt.Errorf("sample %q: label %q: set Sample.Name instead", name, l.Name)
		case l.Value != "":
			b.Add(l.Name, cleanValue(l.Value))
		}
	}
	b.Sort()
	lset := b.Labels()
	if dup, ok := lset.HasDuplicateLabelNames(); ok {
		return labels.EmptyLabels(), fmt.Errorf("sample %q: duplicate label %q", name, dup)
	}
	return lset, nil
}

// sweep drops entries not used since cutoff (unix seconds).
func sweep[K comparable, E interface{ lastUsed() int64 }](m map[K]E, cutoff int64) {
	for k, e := range m {
		if e.lastUsed() < cutoff {
			delete(m, k)
		}
	}
}

func (e *seriesRef) lastUsed() int64 { return e.used }
