// Package point owns the unit every cycle produces: one job-count point per
// (panda_queue, prod_source, resource, job_status), with the queue's attribute
// tags and numeric fields. It has no I/O; encoders append to byte slices.
package point

import (
	"sort"
	"time"
)

// Measurement is the name of the job-count measurement in every store.
const Measurement = "jobs"

// NoValue replaces every tag that is missing, null or empty.
const NoValue = "No value"

// Attribute tag indexes into Attrs. The order is fixed; AttrNames gives the names.
const (
	AtlasSite = iota
	Type
	ResourceType
	Cloud
	Country
	SiteState
	Tier
	PilotManager
	PilotVersion
	Harvester
	Workflow
	ContainerType
	Federation
	Frontier
	Nucleus
	FTSServer
	PledgeType
	NumAttrs
)

// AttrNames are the attribute tag names, indexed by the constants above.
var AttrNames = [NumAttrs]string{
	"atlas_site", "type", "resource_type", "cloud", "country", "site_state", "tier",
	"pilot_manager", "pilot_version", "harvester", "workflow", "container_type",
	"federation", "frontier", "nucleus", "fts_server", "pledge_type",
}

// Identity tag names.
const (
	TagQueue      = "panda_queue"
	TagProdSource = "prod_source"
	TagResource   = "resource"
	TagStatus     = "job_status"
)

// Field names.
const (
	FieldJobs           = "jobs"
	FieldResourceFactor = "resource_factor"
	FieldCorepower      = "corepower"
	FieldPledge         = "federation_HS06_pledge"
)

// Attrs holds a queue's attribute tag values. One Attrs is shared, read-only,
// by all points of a queue in a cycle.
type Attrs [NumAttrs]string

// Point is one job count. Points are values; Attrs is shared and must not be
// modified after the point is built.
type Point struct {
	Time       time.Time
	Queue      string
	ProdSource string
	Resource   string
	Status     string
	Attrs      *Attrs

	Jobs           int64
	ResourceFactor float64
	Corepower      float64
	Pledge         float64 // federation_HS06_pledge
}

// Tag is one tag key and value.
type Tag struct{ Key, Value string }

// tagOrder lists every tag name sorted, each with a getter index: -1..-4 for
// the identity tags, 0.. for attributes.
var tagOrder = func() []struct {
	name string
	idx  int
} {
	out := []struct {
		name string
		idx  int
	}{{TagQueue, -1}, {TagProdSource, -2}, {TagResource, -3}, {TagStatus, -4}}
	for i, n := range AttrNames {
		out = append(out, struct {
			name string
			idx  int
		}{n, i})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}()

// TagNames returns every tag name in sorted order.
func TagNames() []string {
	out := make([]string, len(tagOrder))
	for i, t := range tagOrder {
		out[i] = t.name
	}
	return out
}

func (p *Point) tagValue(idx int) string {
	switch idx {
	case -1:
		return p.Queue
	case -2:
		return p.ProdSource
	case -3:
		return p.Resource
	case -4:
		return p.Status
	}
	if p.Attrs == nil {
		return NoValue
	}
	return p.Attrs[idx]
}

// EachTag calls fn for every tag in key order.
func (p *Point) EachTag(fn func(key, value string)) {
	for _, t := range tagOrder {
		fn(t.name, p.tagValue(t.idx))
	}
}

// Tags returns the tags in key order.
func (p *Point) Tags() []Tag {
	out := make([]Tag, 0, len(tagOrder))
	p.EachTag(func(k, v string) { out = append(out, Tag{k, v}) })
	return out
}

// Tag returns the value of the tag named key, and whether it exists.
func (p *Point) Tag(key string) (string, bool) {
	for _, t := range tagOrder {
		if t.name == key {
			return p.tagValue(t.idx), true
		}
	}
	return "", false
}

// Attr returns the attribute at index i (one of the constants above).
func (p *Point) Attr(i int) string {
	if p.Attrs == nil {
		return NoValue
	}
	return p.Attrs[i]
}

// Key identifies a series: the identity tags.
type Key struct{ Queue, ProdSource, Resource, Status string }

// Key returns the point's series identity.
func (p *Point) Key() Key { return Key{p.Queue, p.ProdSource, p.Resource, p.Status} }
