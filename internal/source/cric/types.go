// Package cric decodes the CRIC pandaqueue, site and ddmendpoint dumps and
// the WLCG CRIC federation dump into the few fields qmonit uses. Decoding is
// pure (bytes in, values out); fetching lives in the source package.
//
// Every dump is accepted both as an object keyed by name (current CRIC) and
// as a list of objects carrying "name" (AGIS-era dumps). Empty objects are
// skipped; records that are not objects, or have no usable key, are skipped
// and reported as Bad. A body that is not JSON, or whose top level is neither
// an object nor a list, is an error.
package cric

// Queue is one CRIC pandaqueue. The string fields hold the tag text of the
// CRIC field of the same name: the string itself, the JSON text of a number
// or boolean, or "" when the field is missing, null, empty, or an object or
// list. Enrichment turns "" into point.NoValue.
type Queue struct {
	Key           string // the dump's key (list form: "name")
	PandaResource string // panda_resource, only when a JSON string; else ""

	AtlasSite     string
	Type          string
	ResourceType  string
	Cloud         string
	Country       string
	Status        string
	Tier          string
	PilotManager  string
	PilotVersion  string
	Harvester     string
	Workflow      string
	ContainerType string
	RC            string

	// CoreCount and CorePower are set when the field is a JSON number;
	// nil when missing, null or another type.
	CoreCount *float64
	CorePower *float64

	// ReadLAN is astorages.read_lan: the string elements, in order.
	ReadLAN []string
}

// Site is one CRIC (ATLAS) site.
type Site struct {
	Name string
	// Frontier is fsconf.frontier[0][0] (a URL string), "" when absent or
	// not a string.
	Frontier string
	// Nucleus is true when datapolicies (a list) contains "Nucleus".
	Nucleus bool
}

// DDMEndpoint is one CRIC DDM endpoint (RSE).
type DDMEndpoint struct {
	Name string
	Site string // "site", only when a JSON string
	// FTSMaster is servedrestfts.MASTER: the string elements, in order.
	// Empty when missing or not a list. (TESTING is a string upstream and is
	// ignored.)
	FTSMaster []string
}

// Federation is one WLCG CRIC federation that serves the configured VO.
type Federation struct {
	Name    string
	RCSites []string
	// Pledges is pledges[year][quarter][vo][resource] for the configured VO
	// only: year ("2021") -> quarter ("Q1".."Q4") -> resource ("CPU") -> the
	// JSON text of the value (numbers as written, strings unquoted).
	Pledges map[string]map[string]map[string]string
}

// Bad describes one skipped record.
type Bad struct {
	Key    string // record key or list index
	Reason string
}

// Dump is the result of decoding one CRIC answer. Items are keyed by their
// name; Bad lists skipped records; Empty counts skipped empty objects.
type Dump[T any] struct {
	Items map[string]T
	Bad   []Bad
	Empty int
}
