package datadisk

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func badText(bs []Bad) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Key+": "+b.Reason)
	}
	return out
}

func TestDecode(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		body       string // used when file is ""
		want       map[string]Usage
		wantBad    []string
		wantErr    string
	}{
		{name: "ES6 answer", file: "ok.json", want: map[string]Usage{
			"TOKYO-LCG2_DATADISK":  {Files: 4120331, Bytes: 5123456789012345},
			"RAL-LCG2_SCRATCHDISK": {Files: 9001, Bytes: 81234567890},
			"AGLT2_DATADISK":       {Files: 1559635, Bytes: 2864830492252718},
			"EMPTY_DATADISK":       {},
		}},
		{name: "ES7 hits.total object", file: "ok_es7.json", want: map[string]Usage{
			"CERN-PROD_DATADISK": {Files: 98765432, Bytes: 6200000000000000},
			"BNL-OSG2_DATADISK":  {Files: 87654321, Bytes: 5900000000000000},
		}},
		{name: "no buckets", file: "no_buckets.json", want: map[string]Usage{}},
		{name: "bad buckets", file: "bad_buckets.json",
			want: map[string]Usage{"GOOD_DATADISK": {Files: 11, Bytes: 4096}},
			wantBad: []string{
				`: bucket 1 is a string, not an object`,
				`: bucket 2: key is missing, want a non-empty string`,
				`: bucket 3: key is a number, want a non-empty string`,
				`: bucket 4: key is an empty or invalid string, want a non-empty string`,
				`NEG_DATADISK: "1".value (files) -1.0 is negative`,
				`FRAC_DATADISK: "3".value (bytes) 1.5 is not a whole number`,
				`HUGE_DATADISK: "3".value (bytes) 9007199254740992.0 is not below 2^53`,
				`STR_DATADISK: "1".value (files) is a string, not a finite number`,
				`NULL_DATADISK: "1".value (files) is null, not a finite number`,
				`NOVALUE_DATADISK: "1".value (files) is missing`,
				`NOFILES_DATADISK: "1" is missing`,
				`GOOD_DATADISK: duplicate bucket; the last one wins`,
			}},
		{name: "status 500", file: "status_500.json", wantErr: "responses[0].status is 500, not 200"},
		{name: "error object", file: "error_object.json",
			wantErr: `responses[0].error: type "index_not_found_exception", reason "no such index [monit_prod_rucioacc_enr_site*]"`},
		{name: "error string", body: `{"responses":[{"error":"IndexMissingException[[x] missing]","status":404}]}`,
			wantErr: `responses[0].error: "IndexMissingException[[x] missing]"`},
		{name: "missing aggregations", file: "missing_aggregations.json", wantErr: "responses[0].aggregations is missing"},
		{name: "missing agg 4", body: `{"responses":[{"aggregations":{"2":{}}}]}`, wantErr: `responses[0].aggregations["4"] is missing`},
		{name: "missing buckets", body: `{"responses":[{"aggregations":{"4":{"buckets":null}}}]}`, wantErr: `responses[0].aggregations["4"].buckets is null, not a list`},
		{name: "buckets not a list", body: `{"responses":[{"aggregations":{"4":{"buckets":{}}}}]}`, wantErr: `buckets is an object, not a list`},
		{name: "second response fails", body: `{"responses":[{"aggregations":{"4":{"buckets":[]}}},{"status":429}]}`, wantErr: "responses[1].status is 429"},
		{name: "status not a number", body: `{"responses":[{"status":"200"}]}`, wantErr: "responses[0].status is a string, not a number"},
		{name: "empty responses", file: "empty_responses.json", wantErr: "responses is empty"},
		{name: "no responses", body: `{"took":1}`, wantErr: "responses is missing"},
		{name: "responses not a list", body: `{"responses":{}}`, wantErr: "responses is an object, not a list"},
		{name: "top level list", body: `[]`, wantErr: "top level is a list, not an object"},
		{name: "empty body", body: ``, wantErr: "MONIT _msearch answer: empty body"},
		{name: "HTML", body: "\n<html><body>Grafana login</body></html>", wantErr: "HTML page, not JSON"},
		{name: "not JSON", body: `Unauthorized`, wantErr: "not JSON at byte 0: invalid character 'U' looking for beginning of value"},
		{name: "truncated", body: `{"responses":[{"status":200,`, wantErr: "truncated JSON"},
		{name: "trailing data", body: `{"responses":[]} x`, wantErr: "trailing data after the JSON value at byte 17"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.file != "" {
				body = readTestdata(t, tt.file)
			}
			got, bad, err := Decode(body)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decode() error = %v, want %q", err, tt.wantErr)
				}
				if got != nil || bad != nil {
					t.Errorf("Decode() = %v, %v with an error", got, bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("Decode() = %v, want %v", got, tt.want)
			}
			if b := badText(bad); !slices.Equal(b, tt.wantBad) {
				t.Errorf("Bad =\n%s\nwant\n%s", strings.Join(b, "\n"), strings.Join(tt.wantBad, "\n"))
			}
		})
	}
}

func TestDecodeBadIsCapped(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"responses":[{"aggregations":{"4":{"buckets":[`)
	for i := range maxBad + 5 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"key":""}`)
	}
	b.WriteString(`]}}}]}`)
	_, bad, err := Decode(b.Bytes())
	if err != nil || len(bad) != maxBad+1 || bad[maxBad].Reason != "5 more bad buckets not listed" {
		t.Fatalf("Decode() = %d bad (last %+v), %v", len(bad), bad[len(bad)-1], err)
	}
}

func TestQuery(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	got := Query(DefaultIndex, now)
	if want := readTestdata(t, "query.ndjson.golden"); !bytes.Equal(got, want) {
		t.Fatalf("Query() =\n%s\nwant\n%s", got, want)
	}
	lines := bytes.Split(bytes.TrimSuffix(got, []byte("\n")), []byte("\n"))
	if len(lines) != 2 || !bytes.HasSuffix(got, []byte("}\n")) {
		t.Fatalf("Query() has %d lines, want 2 and a trailing newline", len(lines))
	}
	for i, l := range lines {
		if !json.Valid(l) {
			t.Errorf("line %d is not JSON: %s", i+1, l)
		}
	}
	if q := Query(`odd"index`, now); !bytes.HasPrefix(q, []byte(`{"search_type":"query_then_fetch","ignore_unavailable":true,"index":["odd\"index"]}`)) {
		t.Errorf("Query() does not escape the index: %s", q)
	}
}
