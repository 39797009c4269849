package cric

import "encoding/json"

// queueRecord holds the pandaqueue fields qmonit reads; encoding/json skips
// the other ~165 fields of a record without allocating for them. Note that
// encoding/json matches keys case-insensitively, so a key differing only in
// case (none exist in CRIC) would fill the same field.
type queueRecord struct {
	Name          json.RawMessage `json:"name"`
	PandaResource json.RawMessage `json:"panda_resource"`
	AtlasSite     json.RawMessage `json:"atlas_site"`
	Type          json.RawMessage `json:"type"`
	ResourceType  json.RawMessage `json:"resource_type"`
	Cloud         json.RawMessage `json:"cloud"`
	Country       json.RawMessage `json:"country"`
	Status        json.RawMessage `json:"status"`
	Tier          json.RawMessage `json:"tier"`
	PilotManager  json.RawMessage `json:"pilot_manager"`
	PilotVersion  json.RawMessage `json:"pilot_version"`
	Harvester     json.RawMessage `json:"harvester"`
	Workflow      json.RawMessage `json:"workflow"`
	ContainerType json.RawMessage `json:"container_type"`
	RC            json.RawMessage `json:"rc"`
	CoreCount     json.RawMessage `json:"corecount"`
	CorePower     json.RawMessage `json:"corepower"`
	AStorages     json.RawMessage `json:"astorages"`
}

var queueKind = kind[Queue, queueRecord]{
	dump:      dumpQueues,
	interpret: queueItem,
	setKey:    func(q *Queue, key string) { q.Key = key },
}

// DecodeQueues decodes the CRIC pandaqueue dump
// (https://atlas-cric.cern.ch/api/atlas/pandaqueue/query/?json): an object
// keyed by queue name, or a list of queue objects carrying "name". Items are
// keyed by Queue.Key. The error names the dump and, for malformed JSON, the
// offset; it wraps ErrEmpty when no queue is usable (the Dump is then still
// returned with its Bad and Empty).
func DecodeQueues(body []byte) (Dump[Queue], error) {
	return decodeDump(&queueKind, body)
}

func queueItem(r *queueRecord) (Queue, string, []string, bool) {
	q := Queue{
		PandaResource: stringValue(r.PandaResource),
		AtlasSite:     tagText(r.AtlasSite),
		Type:          tagText(r.Type),
		ResourceType:  tagText(r.ResourceType),
		Cloud:         tagText(r.Cloud),
		Country:       tagText(r.Country),
		Status:        tagText(r.Status),
		Tier:          tagText(r.Tier),
		PilotManager:  tagText(r.PilotManager),
		PilotVersion:  tagText(r.PilotVersion),
		Harvester:     tagText(r.Harvester),
		Workflow:      tagText(r.Workflow),
		ContainerType: tagText(r.ContainerType),
		RC:            tagText(r.RC),
		CoreCount:     number(r.CoreCount),
		CorePower:     number(r.CorePower),
		ReadLAN:       readLAN(r.AStorages),
	}
	return q, stringValue(r.Name), nil, true
}

// readLAN returns astorages.read_lan's string elements.
func readLAN(raw []byte) []string {
	var a struct {
		ReadLAN json.RawMessage `json:"read_lan"`
	}
	if !object(raw, &a) {
		return nil
	}
	return stringList(a.ReadLAN)
}
