package cric

import (
	"reflect"
	"testing"
)

var alphaFTS = []string{"https://fts.alpha.example:8446", "https://fts.beta.example:8446"}

func TestDecodeDDMEndpointsFixtures(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		want       Dump[DDMEndpoint]
	}{
		{
			name: "object keyed by endpoint",
			file: "ddmendpoint_object.json",
			want: Dump[DDMEndpoint]{
				Items: map[string]DDMEndpoint{
					"ALPHA_DATADISK":   {Name: "ALPHA_DATADISK", Site: "ALPHA", FTSMaster: alphaFTS},
					"BETA_SCRATCHDISK": {Name: "BETA_SCRATCHDISK"},
					"GAMMA_TAPE":       {Name: "GAMMA_TAPE", Site: "GAMMA"},
					"DELTA_LOGDISK":    {Name: "DELTA_LOGDISK", Site: "DELTA"},
				},
				Bad:   []Bad{{"EPSILON_DATADISK", "record is a number, want an object"}},
				Empty: 1,
			},
		},
		{
			name: "list of endpoints with name",
			file: "ddmendpoint_list.json",
			want: Dump[DDMEndpoint]{
				Items: map[string]DDMEndpoint{
					"ALPHA_DATADISK":   {Name: "ALPHA_DATADISK", Site: "ALPHA", FTSMaster: alphaFTS},
					"BETA_SCRATCHDISK": {Name: "BETA_SCRATCHDISK", Site: "BETA"},
				},
				Bad:   []Bad{{"[2]", "record is a string, want an object"}},
				Empty: 1,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDDMEndpoints(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeDDMEndpointFields(t *testing.T) {
	const testingFTS = `"TESTING":"https://fts-pilot.example:8446"`
	for _, tt := range []struct {
		name, record string      // the record of endpoint "E"
		want         DDMEndpoint // Name "E" is added
	}{
		{name: "master and testing string", record: `{"servedrestfts":{"MASTER":["a","b"],` + testingFTS + `}}`,
			want: DDMEndpoint{FTSMaster: []string{"a", "b"}}},
		{name: "master non-strings skipped", record: `{"servedrestfts":{"MASTER":[1,"a",null,["b"],"c"]}}`,
			want: DDMEndpoint{FTSMaster: []string{"a", "c"}}},
		{name: "master empty", record: `{"servedrestfts":{"MASTER":[],` + testingFTS + `}}`},
		{name: "master missing", record: `{"servedrestfts":{` + testingFTS + `}}`},
		{name: "master string", record: `{"servedrestfts":{"MASTER":"a"}}`},
		{name: "master object", record: `{"servedrestfts":{"MASTER":{"0":"a"}}}`},
		{name: "master null", record: `{"servedrestfts":{"MASTER":null}}`},
		{name: "testing list ignored", record: `{"servedrestfts":{"TESTING":["t"]}}`},
		{name: "servedrestfts string", record: `{"servedrestfts":"a"}`},
		{name: "servedrestfts list", record: `{"servedrestfts":[["a"]]}`},
		{name: "site", record: `{"site":"CERN-PROD"}`, want: DDMEndpoint{Site: "CERN-PROD"}},
		{name: "site number", record: `{"site":3}`},
		{name: "site null", record: `{"site":null}`},
		{name: "site object", record: `{"site":{"name":"CERN-PROD"}}`},
		{name: "name ignored in object form", record: `{"name":"OTHER","site":"S"}`, want: DDMEndpoint{Site: "S"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDDMEndpoints([]byte(`{"E":` + tt.record + `}`))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Name = "E"
			if e := got.Items["E"]; len(got.Items) != 1 || !reflect.DeepEqual(e, tt.want) {
				t.Errorf("got %+v; want %+v", got.Items, tt.want)
			}
		})
	}
}
