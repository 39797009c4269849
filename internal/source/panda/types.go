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
// Status); Bad lists what was skipped; Duplicates counts repeated keys (the
// last value wins, as in every JSON library PanDA's clients use).
type Stats struct {
	Entries    []Entry
	Bad        []Bad
	Duplicates int
	Queues     int // number of queues in the answer, including ones with no usable entry
}
