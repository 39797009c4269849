package cric

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeFederationsFixtures(t *testing.T) {
	for _, tt := range []struct {
		name, file, vo string
		want           Dump[Federation]
	}{
		{
			name: "object keyed by federation",
			file: "federation_object.json", vo: "atlas",
			want: Dump[Federation]{
				Items: map[string]Federation{
					"XX-ALPHA": {Name: "XX-ALPHA", RCSites: []string{"ALPHA-LCG2", "ALPHA-EXTRA"}, Pledges: pledgeMap{
						"2031": {
							"Q1": {"CPU": "73000", "Disk": "6600.50", "Tape": "1200"},
							"Q2": {"CPU": "74000"},
						},
					}},
					"XX-SHARED": {Name: "XX-SHARED", RCSites: []string{"SHARED-1"}, Pledges: pledgeMap{
						"2030": {"Q4": {"CPU": "100"}},
					}},
					"XX-NOPLEDGE": {Name: "XX-NOPLEDGE"},
				},
				Bad: []Bad{
					{"XX-SHARED", "pledges.2031: a list, want an object"},
					{"XX-SHARED", "pledges.2032.Q1: a string, want an object"},
					{"XX-SHARED", "pledges.2032.Q2.atlas: a number, want an object"},
					{"XX-NOPLEDGE", "pledges: a string, want an object"},
					{"XX-LIST", "record is a list, want an object"},
				},
				Empty: 1,
			},
		},
		{
			name: "object, another vo",
			file: "federation_object.json", vo: "cms",
			want: Dump[Federation]{
				Items: map[string]Federation{
					"XX-SHARED": {Name: "XX-SHARED", RCSites: []string{"SHARED-1"}, Pledges: pledgeMap{
						"2030": {"Q4": {"CPU": "900"}},
					}},
					"XX-CMS": {Name: "XX-CMS", RCSites: []string{"CMS-ONLY"}, Pledges: pledgeMap{
						"2031": {"Q1": {"CPU": "5"}},
					}},
				},
				Bad: []Bad{
					{"XX-SHARED", "pledges.2031: a list, want an object"},
					{"XX-SHARED", "pledges.2032.Q1: a string, want an object"},
					{"XX-LIST", "record is a list, want an object"},
				},
				Empty: 1,
			},
		},
		{
			name: "list of federations with name",
			file: "federation_list.json", vo: "atlas",
			want: Dump[Federation]{
				Items: map[string]Federation{
					"XX-ALPHA": {Name: "XX-ALPHA", RCSites: []string{"ALPHA-LCG2"}, Pledges: pledgeMap{
						"2031": {"Q1": {"CPU": "73000", "Disk": "6600"}},
					}},
				},
				Bad:   []Bad{{"[3]", reasonNoName}},
				Empty: 1,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFederations(readTestdata(t, tt.file), tt.vo)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeFederationFields(t *testing.T) {
	for _, tt := range []struct {
		name, record string     // the record of federation "F"; vo "atlas"
		want         Federation // Name "F" is added
		wantBad      []Bad
	}{
		{name: "rcsites strings", record: `{"vos":["atlas"],"rcsites":["A",1,null,"B"]}`,
			want: Federation{RCSites: []string{"A", "B"}}},
		{name: "rcsites not a list", record: `{"vos":["atlas"],"rcsites":{"A":1}}`},
		{name: "pledge values as written", record: `{"vos":["atlas"],"pledges":{"2031":{"Q1":{"atlas":
			{"CPU":1.0e5,"Disk":"6 PB","Tape":true,"GPU":null,"Net":{"x":1},"HPC":[1],"Blank":""}}}}}`,
			want: Federation{Pledges: pledgeMap{"2031": {"Q1": {"CPU": "1.0e5", "Disk": "6 PB", "Tape": "true"}}}}},
		{name: "pledges null", record: `{"vos":["atlas"],"pledges":null}`},
		{name: "pledges empty", record: `{"vos":["atlas"],"pledges":{}}`},
		{name: "pledges list", record: `{"vos":["atlas"],"pledges":[]}`,
			wantBad: []Bad{{"F", "pledges: a list, want an object"}}},
		{name: "pledge year number", record: `{"vos":["atlas"],"pledges":{"2031":3,"2030":null}}`,
			wantBad: []Bad{{"F", "pledges.2031: a number, want an object"}}},
		{name: "pledge quarter list", record: `{"vos":["atlas"],"pledges":{"2031":{"Q1":[],"Q2":{"atlas":{"CPU":1}}}}}`,
			want:    Federation{Pledges: pledgeMap{"2031": {"Q2": {"CPU": "1"}}}},
			wantBad: []Bad{{"F", "pledges.2031.Q1: a list, want an object"}}},
		{name: "pledge vo string", record: `{"vos":["atlas"],"pledges":{"2031":{"Q1":{"atlas":"CPU"}}}}`,
			wantBad: []Bad{{"F", "pledges.2031.Q1.atlas: a string, want an object"}}},
		{name: "other vo malformed is ignored", record: `{"vos":["atlas"],"pledges":{"2031":{"Q1":{"cms":"x"}}}}`},
		{name: "vo case matters", record: `{"vos":["atlas"],"pledges":{"2031":{"Q1":{"ATLAS":{"CPU":1}}}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFederations([]byte(`{"F":`+tt.record+`}`), "atlas")
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Name = "F"
			if f := got.Items["F"]; len(got.Items) != 1 || !reflect.DeepEqual(f, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got.Items, tt.want)
			}
			if !reflect.DeepEqual(got.Bad, tt.wantBad) {
				t.Errorf("Bad = %+v; want %+v", got.Bad, tt.wantBad)
			}
		})
	}
}

func TestDecodeFederationsFilter(t *testing.T) {
	for _, tt := range []struct {
		name, body, vo string
		wantErr        string // substring; "" wants success
		wantEmpty      bool
	}{
		{name: "NULL key skipped", body: `{"NULL":{"vos":["atlas"]}}`, vo: "atlas", wantEmpty: true,
			wantErr: "(records: 1, empty: 0, bad: 0)"},
		{name: "NULL key skipped even when bad", body: `{"NULL":"junk","F":{"vos":["atlas"]}}`, vo: "atlas"},
		{name: "NULL name skipped in list", body: `[{"name":"NULL","vos":["atlas"]}]`, vo: "atlas", wantEmpty: true,
			wantErr: "no usable records"},
		{name: "no federation serves the vo", body: `{"F":{"vos":["cms"]},"G":{"vos":"atlas"},"H":{}}`, vo: "atlas",
			wantEmpty: true, wantErr: "(records: 3, empty: 1, bad: 0)"},
		{name: "vos missing", body: `{"F":{"rcsites":["A"]}}`, vo: "atlas", wantEmpty: true, wantErr: "no usable"},
		{name: "vo is matched exactly", body: `{"F":{"vos":["ATLAS"]}}`, vo: "atlas", wantEmpty: true, wantErr: "no usable"},
		{name: "empty vo", body: `{"F":{"vos":[""]}}`, vo: "", wantErr: "wlcg-cric federation: empty vo"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFederations([]byte(tt.body), tt.vo)
			if tt.wantErr == "" {
				if err != nil || len(got.Items) != 1 || len(got.Bad) != 0 {
					t.Fatalf("got %+v, %v; want one federation", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrEmpty) != tt.wantEmpty {
				t.Fatalf("err = %v; want %q (ErrEmpty %v)", err, tt.wantErr, tt.wantEmpty)
			}
			if len(got.Bad) != 0 {
				t.Errorf("Bad = %+v; want none (filtered, not bad)", got.Bad)
			}
		})
	}
}
