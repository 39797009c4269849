package cric

import "encoding/json"

// siteRecord holds the CRIC site fields qmonit reads.
type siteRecord struct {
	Name         json.RawMessage `json:"name"`
	FSConf       json.RawMessage `json:"fsconf"`
	DataPolicies json.RawMessage `json:"datapolicies"`
}

var siteKind = kind[Site, siteRecord]{
	dump:      dumpSites,
	interpret: siteItem,
	setKey:    func(s *Site, key string) { s.Name = key },
}

// DecodeSites decodes the CRIC (ATLAS) site dump
// (https://atlas-cric.cern.ch/api/atlas/site/query/?json): an object keyed by
// site name, or a list of site objects carrying "name" (AGIS era). Items are
// keyed by Site.Name. Errors are as for DecodeQueues.
func DecodeSites(body []byte) (Dump[Site], error) {
	return decodeDump(&siteKind, body)
}

func siteItem(r *siteRecord) (Site, string, []string, bool) {
	s := Site{
		Frontier: frontier(r.FSConf),
		Nucleus:  listHasString(r.DataPolicies, "Nucleus"),
	}
	return s, stringValue(r.Name), nil, true
}

// frontier returns fsconf.frontier[0][0] when every level has the expected
// type: fsconf an object, frontier a list of [url, {mirror: state}] pairs.
func frontier(raw []byte) string {
	var fs struct {
		Frontier json.RawMessage `json:"frontier"`
	}
	if !object(raw, &fs) {
		return ""
	}
	first := firstElement(fs.Frontier)
	return stringValue(firstElement(first))
}

// firstElement returns the first element of a JSON list, nil when raw is not
// a list or is empty.
func firstElement(raw []byte) json.RawMessage {
	var elems []json.RawMessage
	if !isList(raw) || json.Unmarshal(raw, &elems) != nil || len(elems) == 0 {
		return nil
	}
	return elems[0]
}
