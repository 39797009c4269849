package cric

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// federationRecord holds the WLCG CRIC federation fields qmonit reads.
type federationRecord struct {
	Name    json.RawMessage `json:"name"`
	VOs     json.RawMessage `json:"vos"`
	RCSites json.RawMessage `json:"rcsites"`
	Pledges json.RawMessage `json:"pledges"`
}

// nullFederation is the junk entry WLCG CRIC carries next to the real
// federations ("CRIC has this huge NULL entry?!", QMonit scrapers/rebus.py).
const nullFederation = "NULL"

// pledgeMap is Federation.Pledges: year -> quarter -> resource -> text.
type pledgeMap = map[string]map[string]map[string]string

// DecodeFederations decodes the WLCG CRIC federation dump
// (https://wlcg-cric.cern.ch/api/core/federation/query/?json): an object keyed
// by federation name, or a list of federation objects carrying "name". Only
// federations whose "vos" list contains vo (exact match, e.g. "atlas") are
// kept, with the pledges of that VO; the "NULL" entry is skipped. Neither is
// reported as Bad. Malformed pledge levels are ignored (the federation is
// kept) and reported as Bad with their path. Errors are as for DecodeQueues;
// ErrEmpty also when no federation serves vo.
func DecodeFederations(body []byte, vo string) (Dump[Federation], error) {
	if vo == "" {
		return Dump[Federation]{}, fmt.Errorf("%s: %w", dumpFederations, errors.New("empty vo"))
	}
	k := kind[Federation, federationRecord]{
		dump: dumpFederations,
		interpret: func(r *federationRecord) (Federation, string, []string, bool) {
			return federationItem(r, vo)
		},
		setKey: func(f *Federation, key string) { f.Name = key },
		skip:   func(key string) bool { return key == nullFederation },
	}
	return decodeDump(&k, body)
}

func federationItem(r *federationRecord, vo string) (Federation, string, []string, bool) {
	name := stringValue(r.Name)
	if !listHasString(r.VOs, vo) {
		return Federation{}, name, nil, false
	}
	p, notes := pledges(r.Pledges, vo)
	f := Federation{RCSites: stringList(r.RCSites), Pledges: p}
	return f, name, notes, true
}

// pledges reads pledges[year][quarter][vo][resource]. Missing or null levels
// are silently empty; a level of another type is skipped with a note.
func pledges(raw []byte, vo string) (pledgeMap, []string) {
	years, note := pledgeLevel(raw, "pledges")
	if note != "" {
		return nil, []string{note}
	}
	var out pledgeMap
	var notes []string
	for _, year := range slices.Sorted(maps.Keys(years)) {
		quarters, n := pledgeYear(years[year], "pledges."+year, vo)
		notes = append(notes, n...)
		if len(quarters) == 0 {
			continue
		}
		if out == nil {
			out = make(pledgeMap)
		}
		out[year] = quarters
	}
	return out, notes
}

// pledgeYear reads one year: quarter -> vo -> resource.
func pledgeYear(raw []byte, path, vo string) (map[string]map[string]string, []string) {
	quarters, note := pledgeLevel(raw, path)
	if note != "" {
		return nil, []string{note}
	}
	var out map[string]map[string]string
	var notes []string
	for _, q := range slices.Sorted(maps.Keys(quarters)) {
		qpath := path + "." + q
		vos, note := pledgeLevel(quarters[q], qpath)
		if note != "" {
			notes = append(notes, note)
			continue
		}
		res, note := pledgeLevel(vos[vo], qpath+"."+vo)
		if note != "" {
			notes = append(notes, note)
			continue
		}
		if values := pledgeValues(res); len(values) > 0 {
			if out == nil {
				out = make(map[string]map[string]string)
			}
			out[q] = values
		}
	}
	return out, notes
}

// pledgeLevel unmarshals one level of the pledges tree. Missing or null
// yields nil and no note; any other non-object yields a note with the path.
func pledgeLevel(raw []byte, path string) (map[string]json.RawMessage, string) {
	if len(raw) == 0 || raw[0] == 'n' {
		return nil, ""
	}
	var m map[string]json.RawMessage
	if !object(raw, &m) {
		return nil, path + ": " + jsonType(raw) + ", want an object"
	}
	return m, ""
}

// pledgeValues turns resource -> raw value into resource -> JSON text,
// dropping null, objects, lists and empty strings.
func pledgeValues(res map[string]json.RawMessage) map[string]string {
	var out map[string]string
	for name, raw := range res {
		text := tagText(raw)
		if text == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		out[name] = text
	}
	return out
}
