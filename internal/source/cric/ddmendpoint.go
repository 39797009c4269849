package cric

import "encoding/json"

// ddmRecord holds the CRIC ddmendpoint fields qmonit reads.
type ddmRecord struct {
	Name          json.RawMessage `json:"name"`
	Site          json.RawMessage `json:"site"`
	ServedRestFTS json.RawMessage `json:"servedrestfts"`
}

var ddmKind = kind[DDMEndpoint, ddmRecord]{
	dump:      dumpDDMEndpoints,
	interpret: ddmItem,
	setKey:    func(e *DDMEndpoint, key string) { e.Name = key },
}

// DecodeDDMEndpoints decodes the CRIC ddmendpoint dump
// (https://atlas-cric.cern.ch/api/atlas/ddmendpoint/query/?json): an object
// keyed by endpoint (RSE) name, or a list of endpoint objects carrying "name"
// (AGIS era). Items are keyed by DDMEndpoint.Name. Errors are as for
// DecodeQueues.
func DecodeDDMEndpoints(body []byte) (Dump[DDMEndpoint], error) {
	return decodeDump(&ddmKind, body)
}

func ddmItem(r *ddmRecord) (DDMEndpoint, string, []string, bool) {
	e := DDMEndpoint{
		Site:      stringValue(r.Site),
		FTSMaster: ftsMaster(r.ServedRestFTS),
	}
	return e, stringValue(r.Name), nil, true
}

// ftsMaster returns servedrestfts.MASTER's string elements. TESTING, a
// string upstream, is not read.
func ftsMaster(raw []byte) []string {
	var fts struct {
		Master json.RawMessage `json:"MASTER"`
	}
	if !object(raw, &fts) {
		return nil
	}
	return stringList(fts.Master)
}
