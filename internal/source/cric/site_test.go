package cric

import (
	"reflect"
	"testing"
)

const alphaFrontier = "http://frontier.alpha.example:3128/ATLAS_frontier"

func TestDecodeSitesFixtures(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		want       Dump[Site]
	}{
		{
			name: "object keyed by site",
			file: "site_object.json",
			want: Dump[Site]{
				Items: map[string]Site{
					"ALPHA": {Name: "ALPHA", Frontier: alphaFrontier, Nucleus: true},
					"BETA":  {Name: "BETA"},
					"GAMMA": {Name: "GAMMA"},
				},
				Bad:   []Bad{{"DELTA", "record is a list, want an object"}},
				Empty: 1,
			},
		},
		{
			name: "list of sites with name",
			file: "site_list.json",
			want: Dump[Site]{
				Items: map[string]Site{
					"ALPHA": {Name: "ALPHA", Frontier: alphaFrontier, Nucleus: true},
					"BETA":  {Name: "BETA"},
				},
				Bad:   []Bad{{"[2]", "record is null, want an object"}},
				Empty: 1,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSites(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeSiteFields(t *testing.T) {
	const url = `"http://f.example:3128/fr"`
	for _, tt := range []struct {
		name, record string // the record of site "S"
		want         Site   // Name "S" is added
	}{
		{name: "frontier", record: `{"fsconf":{"frontier":[[` + url + `,{}],["http://g.example",{}]]}}`,
			want: Site{Frontier: "http://f.example:3128/fr"}},
		{name: "frontier pair without mirrors", record: `{"fsconf":{"frontier":[[` + url + `]]}}`,
			want: Site{Frontier: "http://f.example:3128/fr"}},
		{name: "fsconf missing", record: `{"datapolicies":[]}`},
		{name: "fsconf null", record: `{"fsconf":null}`},
		{name: "fsconf string", record: `{"fsconf":` + url + `}`},
		{name: "fsconf list", record: `{"fsconf":[[[` + url + `]]]}`},
		{name: "frontier missing", record: `{"fsconf":{"squid":[[` + url + `,{}]]}}`},
		{name: "frontier null", record: `{"fsconf":{"frontier":null}}`},
		{name: "frontier string", record: `{"fsconf":{"frontier":` + url + `}}`},
		{name: "frontier object", record: `{"fsconf":{"frontier":{"0":[` + url + `]}}}`},
		{name: "frontier empty list", record: `{"fsconf":{"frontier":[]}}`},
		{name: "frontier[0] string", record: `{"fsconf":{"frontier":[` + url + `]}}`},
		{name: "frontier[0] object", record: `{"fsconf":{"frontier":[{"0":` + url + `}]}}`},
		{name: "frontier[0] null", record: `{"fsconf":{"frontier":[null,[` + url + `]]}}`},
		{name: "frontier[0] empty list", record: `{"fsconf":{"frontier":[[]]}}`},
		{name: "frontier[0][0] number", record: `{"fsconf":{"frontier":[[3128,{}]]}}`},
		{name: "frontier[0][0] null", record: `{"fsconf":{"frontier":[[null,` + url + `]]}}`},
		{name: "frontier[0][0] list", record: `{"fsconf":{"frontier":[[[` + url + `]]]}}`},
		{name: "frontier[0][0] object", record: `{"fsconf":{"frontier":[[{"u":` + url + `}]]}}`},
		{name: "nucleus", record: `{"datapolicies":["T0Disk","Nucleus"]}`, want: Site{Nucleus: true}},
		{name: "nucleus among non-strings", record: `{"datapolicies":[1,null,{"Nucleus":true},"Nucleus"]}`, want: Site{Nucleus: true}},
		{name: "not a nucleus", record: `{"datapolicies":["T0Disk","AnalysisData"]}`},
		{name: "nucleus lower case", record: `{"datapolicies":["nucleus"]}`},
		{name: "datapolicies string", record: `{"datapolicies":"Nucleus"}`},
		{name: "datapolicies object", record: `{"datapolicies":{"Nucleus":true}}`},
		{name: "datapolicies null", record: `{"datapolicies":null}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSites([]byte(`{"S":` + tt.record + `}`))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Name = "S"
			if s := got.Items["S"]; len(got.Items) != 1 || s != tt.want {
				t.Errorf("got %+v; want %+v", got.Items, tt.want)
			}
		})
	}
}
