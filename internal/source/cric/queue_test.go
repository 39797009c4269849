package cric

import (
	"errors"
	"reflect"
	"testing"
)

// alphaProd is ALPHA_PROD as both pandaqueue fixtures carry it.
var alphaProd = Queue{
	Key: "ALPHA_PROD", PandaResource: "ALPHA_PROD",
	AtlasSite: "ALPHA", Type: "production", ResourceType: "GRID", Cloud: "XX", Country: "Atlantis",
	Status: "online", Tier: "T2D", PilotManager: "Harvester", PilotVersion: "3.9.1",
	Harvester: "CERN_central_Z", Workflow: "pull_ups", ContainerType: "singularity:pilot", RC: "XX-ALPHA",
	CoreCount: ptr(8), CorePower: ptr(11.25),
	ReadLAN: []string{"ALPHA_DATADISK", "BETA_DATADISK"},
}

func TestDecodeQueuesFixtures(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		want       Dump[Queue]
	}{
		{
			name: "object keyed by queue",
			file: "pandaqueue_object.json",
			want: Dump[Queue]{
				Items: map[string]Queue{
					"ALPHA_PROD": alphaProd,
					// Like SLAC_ES-lsf: the key is not the panda_resource.
					"GAMMA_ES-batch": {
						Key: "GAMMA_ES-batch", PandaResource: "GAMMA_ES",
						AtlasSite: "GAMMA", Type: "special", ResourceType: "hpc", Cloud: "XX", Country: "Atlantis",
						Status: "offline", Tier: "T3D", PilotManager: "local", PilotVersion: "2",
						Workflow: "true", RC: "XX-Tier3s",
						ReadLAN: []string{"GAMMA_DATADISK", "", "DELTA_DATADISK"},
					},
				},
				Bad:   []Bad{{"BAD_QUEUE", "record is a string, want an object"}},
				Empty: 1,
			},
		},
		{
			name: "list of queues with name",
			file: "pandaqueue_list.json",
			want: Dump[Queue]{
				Items: map[string]Queue{
					"ALPHA_PROD": alphaProd,
					"OMEGA_TEST": {
						Key: "OMEGA_TEST", Tier: "2.50", PilotVersion: "2", Status: "false", CorePower: ptr(-3),
					},
				},
				Bad:   []Bad{{"[2]", reasonNoName}, {"[3]", reasonNoName}},
				Empty: 1,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQueues(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeQueueFields(t *testing.T) {
	for _, tt := range []struct {
		name, record string // the record of queue "Q"
		want         Queue  // Key "Q" is added
	}{
		{name: "string tag", record: `{"pilot_version":"3.12.4.1"}`, want: Queue{PilotVersion: "3.12.4.1"}},
		{name: "integer tag", record: `{"pilot_version":2}`, want: Queue{PilotVersion: "2"}},
		{name: "decimal tag as written", record: `{"pilot_version":2.50}`, want: Queue{PilotVersion: "2.50"}},
		{name: "exponent tag as written", record: `{"tier":-1.5E+3}`, want: Queue{Tier: "-1.5E+3"}},
		{name: "true tag", record: `{"pilot_version":true}`, want: Queue{PilotVersion: "true"}},
		{name: "false tag", record: `{"rc":false}`, want: Queue{RC: "false"}},
		{name: "null tag", record: `{"pilot_version":null,"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "missing tag", record: `{"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "empty string tag", record: `{"status":"","cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "object tag", record: `{"status":{"value":"online"},"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "list tag", record: `{"status":["online"],"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "escaped string tag", record: `{"country":"C\u00f4te d\u2019Ivoire \"CI\""}`, want: Queue{Country: "Côte d’Ivoire \"CI\""}},
		{name: "invalid UTF-8 tag", record: "{\"country\":\"A\xffB\"}", want: Queue{Country: "A\uFFFDB"}},
		{name: "every tag field", record: `{"atlas_site":"s","type":"t","resource_type":"r","cloud":"c","country":"n",
			"status":"st","tier":"ti","pilot_manager":"pm","pilot_version":"pv","harvester":"h","workflow":"w",
			"container_type":"ct","rc":"rc"}`, want: Queue{AtlasSite: "s", Type: "t", ResourceType: "r", Cloud: "c",
			Country: "n", Status: "st", Tier: "ti", PilotManager: "pm", PilotVersion: "pv", Harvester: "h",
			Workflow: "w", ContainerType: "ct", RC: "rc"}},
		{name: "panda_resource differs from key", record: `{"panda_resource":"SLAC_ES"}`, want: Queue{PandaResource: "SLAC_ES"}},
		{name: "panda_resource number", record: `{"panda_resource":12,"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "panda_resource true", record: `{"panda_resource":true,"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "corecount number", record: `{"corecount":8,"corepower":10.96}`, want: Queue{CoreCount: ptr(8), CorePower: ptr(10.96)}},
		{name: "corecount zero", record: `{"corecount":0}`, want: Queue{CoreCount: ptr(0)}},
		{name: "corecount null", record: `{"corecount":null,"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "corecount string", record: `{"corecount":"8","cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "corecount boolean", record: `{"corecount":true,"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "corepower overflow", record: `{"corepower":1e999,"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "corepower list", record: `{"corepower":[10.96],"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "read_lan strings in order", record: `{"astorages":{"read_lan":["B","A",1,null,{"x":"C"},"D"]}}`,
			want: Queue{ReadLAN: []string{"B", "A", "D"}}},
		{name: "read_lan missing", record: `{"astorages":{"pr":["A"]},"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "read_lan string", record: `{"astorages":{"read_lan":"A"},"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "astorages list", record: `{"astorages":["read_lan"],"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "astorages null", record: `{"astorages":null,"cloud":"XX"}`, want: Queue{Cloud: "XX"}},
		{name: "name ignored in object form", record: `{"name":"default","cloud":"XX"}`, want: Queue{Cloud: "XX"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQueues([]byte(`{"Q":` + tt.record + `}`))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Key = "Q"
			if q := got.Items["Q"]; len(got.Items) != 1 || !reflect.DeepEqual(q, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got.Items, tt.want)
			}
		})
	}
}

func TestDecodeQueuesLastDuplicateWins(t *testing.T) {
	for _, tt := range []struct {
		name, body string
	}{
		{name: "object form", body: `{"Q":{"tier":"T1"},"P":{"tier":"T3"},"Q":{"tier":"T2"}}`},
		{name: "list form", body: `[{"name":"Q","tier":"T1"},{"name":"P","tier":"T3"},{"name":"Q","tier":"T2"}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQueues([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if q := got.Items["Q"]; q.Tier != "T2" || len(got.Items) != 2 {
				t.Errorf("Items = %+v; want Q with tier T2 and P", got.Items)
			}
			if want := []Bad{{"Q", reasonDuplicate}}; !reflect.DeepEqual(got.Bad, want) {
				t.Errorf("Bad = %+v; want %+v", got.Bad, want)
			}
		})
	}
}

func TestDecodeQueuesEmptyKeepsBad(t *testing.T) {
	got, err := DecodeQueues([]byte(`{"hans":{},"x":"y"}`))
	if !errors.Is(err, ErrEmpty) {
		t.Fatalf("err = %v; want ErrEmpty", err)
	}
	want := Dump[Queue]{Items: map[string]Queue{}, Bad: []Bad{{"x", "record is a string, want an object"}}, Empty: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
}
