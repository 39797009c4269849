package cric

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// readTestdata returns testdata/name, failing t when it cannot be read.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func ptr(f float64) *float64 { return &f }

// summary is what every dump has in common, for tests across all four.
type summary struct {
	Keys  []string
	Bad   []Bad
	Empty int
}

func summarize[T any](d Dump[T], err error) (summary, error) {
	keys := slices.Sorted(maps.Keys(d.Items)) // nil when there is none
	return summary{Keys: keys, Bad: d.Bad, Empty: d.Empty}, err
}

// allDumps runs one body through each decoder; vo is "atlas".
var allDumps = []struct {
	dump   string
	decode func([]byte) (summary, error)
}{
	{dumpQueues, func(b []byte) (summary, error) { return summarize(DecodeQueues(b)) }},
	{dumpSites, func(b []byte) (summary, error) { return summarize(DecodeSites(b)) }},
	{dumpDDMEndpoints, func(b []byte) (summary, error) { return summarize(DecodeDDMEndpoints(b)) }},
	{dumpFederations, func(b []byte) (summary, error) { return summarize(DecodeFederations(b, "atlas")) }},
}

// rec is a record every dump keeps (federations need vos to hold "atlas").
const rec = `{"name":"K","vos":["atlas"]}`

func TestDecodeTopLevelErrors(t *testing.T) {
	html := string(readTestdata(t, "html_error_page.html"))
	for _, tt := range []struct {
		name, body string
		wantErr    error  // nil: any error but ErrEmpty
		wantMsg    string // substring of the error after the dump name
	}{
		{name: "empty body", body: "", wantMsg: "empty body"},
		{name: "whitespace only", body: " \n\t", wantMsg: "empty body"},
		{name: "empty object", body: "{}", wantErr: ErrEmpty, wantMsg: "(records: 0, empty: 0, bad: 0)"},
		{name: "empty list", body: " [ ] ", wantErr: ErrEmpty, wantMsg: "(records: 0,"},
		{name: "only empty records", body: `{"a":{},"b":{ }}`, wantErr: ErrEmpty, wantMsg: "(records: 2, empty: 2, bad: 0)"},
		{name: "only bad records", body: `["x",{}]`, wantErr: ErrEmpty, wantMsg: "(records: 2, empty: 1, bad: 1)"},
		{name: "truncated in record", body: `{"K":{"name":"K","vos":[`, wantMsg: `record "K": offset`},
		{name: "truncated after key", body: `{"K"`, wantMsg: "unexpected EOF"},
		{name: "truncated before close", body: `{"K":` + rec, wantMsg: "unexpected EOF"},
		{name: "truncated list", body: `[` + rec + `,`, wantMsg: "offset"},
		{name: "truncated opening", body: `{`, wantMsg: "unexpected EOF"},
		{name: "invalid literal in record", body: `{"K":{"name":tru}}`, wantMsg: "invalid character"},
		{name: "missing colon", body: `{"K" ` + rec + `}`, wantMsg: "offset 5"},
		{name: "non-JSON text", body: "Service Unavailable", wantMsg: `not JSON, want an object or a list (body starts "Service Unavailable")`},
		{name: "HTML page", body: html, wantMsg: `not JSON, want an object or a list (body starts "<!DOCTYPE html>`},
		{name: "byte order mark", body: "\ufeff{}", wantMsg: "not JSON"},
		{name: "top-level number", body: "42", wantMsg: "top level is a number"},
		{name: "top-level string", body: `"maintenance"`, wantMsg: "top level is a string"},
		{name: "top-level null", body: "null", wantMsg: "top level is null"},
		{name: "top-level boolean", body: "true", wantMsg: "top level is a boolean"},
		{name: "trailing garbage", body: `{"K":` + rec + `} x`, wantMsg: "trailing data"},
		{name: "second value", body: `{"K":` + rec + `}{}`, wantMsg: "trailing data"},
		{name: "extra close", body: `[` + rec + `]]`, wantMsg: "trailing data"},
		{name: "trailing HTML", body: `[` + rec + `]<html>`, wantMsg: "trailing data"},
	} {
		for _, d := range allDumps {
			t.Run(tt.name+"/"+d.dump, func(t *testing.T) {
				got, err := d.decode([]byte(tt.body))
				if err == nil {
					t.Fatalf("err = nil, got %+v; want an error", got)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v; want %v", err, tt.wantErr)
				}
				if tt.wantErr == nil && errors.Is(err, ErrEmpty) {
					t.Errorf("err = %v; want a decoding error, not ErrEmpty", err)
				}
				if !strings.HasPrefix(err.Error(), d.dump+": ") || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %q; want prefix %q and %q", err, d.dump+": ", tt.wantMsg)
				}
				if tt.wantErr == nil && !reflect.DeepEqual(got, summary{}) {
					t.Errorf("dump = %+v; want the zero Dump with a decoding error", got)
				}
			})
		}
	}
}

func TestDecodeRecordsAndDuplicates(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       summary
		wantEmpty  bool // want ErrEmpty
	}{
		{
			name: "records that are not objects",
			body: `{"S":"x","L":[1],"N":null,"I":3,"B":true,"E":{},"K":` + rec + `}`,
			want: summary{Keys: []string{"K"}, Empty: 1, Bad: []Bad{
				{"S", "record is a string, want an object"},
				{"L", "record is a list, want an object"},
				{"N", "record is null, want an object"},
				{"I", "record is a number, want an object"},
				{"B", "record is a boolean, want an object"},
			}},
		},
		{
			name: "list records that are not objects",
			body: `["x",[1],null,3.5,{},` + rec + `]`,
			want: summary{Keys: []string{"K"}, Empty: 1, Bad: []Bad{
				{"[0]", "record is a string, want an object"},
				{"[1]", "record is a list, want an object"},
				{"[2]", "record is null, want an object"},
				{"[3]", "record is a number, want an object"},
			}},
		},
		{
			name: "whitespace around separators",
			body: "{ \"K\" :\n\t" + rec + " ,\r\n \"E\" : { \n } , \"L\" : [ ] }",
			want: summary{Keys: []string{"K"}, Empty: 1, Bad: []Bad{{"L", "record is a list, want an object"}}},
		},
		{
			name: "whitespace in list",
			body: "[ \n" + rec + " ,\n { } , \"s\" ]",
			want: summary{Keys: []string{"K"}, Empty: 1, Bad: []Bad{{"[2]", "record is a string, want an object"}}},
		},
		{
			name: "list records without a string name",
			body: `[{"vos":["atlas"]},{"name":7,"vos":["atlas"]},{"name":"","vos":["atlas"]},` + rec + `]`,
			want: summary{Keys: []string{"K"}, Bad: []Bad{
				{"[0]", reasonNoName}, {"[1]", reasonNoName}, {"[2]", reasonNoName},
			}},
		},
		{
			name: "empty key",
			body: `{"":` + rec + `,"K":` + rec + `}`,
			want: summary{Keys: []string{"K"}, Bad: []Bad{{"", "empty key at offset 3"}}},
		},
		{
			name: "duplicate key, last is kept",
			body: `{"K":"first","K":` + rec + `}`,
			want: summary{Keys: []string{"K"}, Bad: []Bad{
				{"K", "record is a string, want an object"}, {"K", reasonDuplicate},
			}},
		},
		{
			name:      "duplicate key, last is bad",
			body:      `{"K":` + rec + `,"K":"second"}`,
			wantEmpty: true,
			want: summary{Bad: []Bad{
				{"K", reasonDuplicate}, {"K", "record is a string, want an object"},
			}},
		},
		{
			name: "duplicate name in list",
			body: `[` + rec + `,` + rec + `,` + rec + `]`,
			want: summary{Keys: []string{"K"}, Bad: []Bad{{"K", reasonDuplicate}, {"K", reasonDuplicate}}},
		},
	} {
		for _, d := range allDumps {
			t.Run(tt.name+"/"+d.dump, func(t *testing.T) {
				got, err := d.decode([]byte(tt.body))
				if errors.Is(err, ErrEmpty) != tt.wantEmpty || (err != nil && !tt.wantEmpty) {
					t.Fatalf("err = %v; want ErrEmpty %v", err, tt.wantEmpty)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got  %+v\nwant %+v", got, tt.want)
				}
			})
		}
	}
}
