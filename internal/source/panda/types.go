// Package panda fetches and decodes PanDA's job statistics per queue, label
// (global-share derived prodsourcelabel), resource type and job status: the
// v1 API (envelope) with a fallback to the legacy endpoint.
package panda

// Entry is one count of PanDA's answer: queue -> label -> resource -> status.
// Keys are kept exactly as PanDA sent them ("null" and "" included).
type Entry struct {
	Queue    string
	Label    string
	Resource string
	Status   string
	Count    int64
}

// Bad describes one skipped record of the answer.
type Bad struct {
	Queue  string
	Path   string // the key path inside the queue, e.g. "managed/SCORE/running"
	Reason string
}

// Stats is a decoded answer. Entries are sorted by (Queue, Label, Resource,
// Status) and hold each key path once; Bad lists what was skipped;
// Duplicates counts repeated keys (the last value wins, as in every JSON
// library PanDA's clients use).
type Stats struct {
	Entries    []Entry
	Bad        []Bad // the first MaxBad skipped records
	BadTotal   int   // every skipped record, also those beyond MaxBad
	Duplicates int
	Queues     int    // number of distinct queue keys, including ones with no usable entry
	Endpoint   string // which endpoint answered: EndpointV1, EndpointLegacy or EndpointFile; "" from the Decode functions
}

// Endpoint names for Stats.Endpoint.
const (
	EndpointV1     = "v1"
	EndpointLegacy = "legacy"
	EndpointFile   = "file"
)

// MaxBad caps Stats.Bad, so that a hostile answer cannot turn every byte
// into a record; Stats.BadTotal keeps the full count.
const MaxBad = 1000
