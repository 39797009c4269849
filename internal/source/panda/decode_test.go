package panda

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkInvariants fails t when st breaks a promise of Stats.
func checkInvariants(t testing.TB, st Stats) {
	t.Helper()
	for i, e := range st.Entries {
		if e.Count < 0 || e.Count > maxCount {
			t.Fatalf("entry %+v: count out of range", e)
		}
		if e.Queue == "" {
			t.Fatalf("entry %+v: empty queue", e)
		}
		if i > 0 && compareEntries(st.Entries[i-1], e) >= 0 {
			t.Fatalf("entries %+v and %+v not strictly sorted", st.Entries[i-1], e)
		}
	}
	if len(st.Bad) > MaxBad || st.BadTotal < len(st.Bad) {
		t.Fatalf("len(Bad) = %d, BadTotal = %d", len(st.Bad), st.BadTotal)
	}
	queues := map[string]bool{}
	for _, e := range st.Entries {
		queues[e.Queue] = true
	}
	if len(queues) > st.Queues || st.Duplicates < 0 {
		t.Fatalf("Queues = %d but %d queues have entries; Duplicates = %d", st.Queues, len(queues), st.Duplicates)
	}
}

// entryText renders entries as "queue/label/resource/status=count".
func entryText(es []Entry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s/%s/%s/%s=%d", e.Queue, e.Label, e.Resource, e.Status, e.Count))
	}
	return out
}

func badText(bs []Bad) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Queue+" "+b.Path+": "+b.Reason)
	}
	return out
}

func TestDecodeFiles(t *testing.T) {
	for _, tt := range []struct {
		name, file  string
		decode      func([]byte) (Stats, error)
		wantErr     string
		wantEntries int
		wantQueues  int
		wantBad     []string
		wantDups    int
		wantSome    []string // entries that must be present
	}{
		{name: "v1 ok", file: "v1_ok.json", decode: DecodeV1, wantEntries: 31, wantQueues: 3,
			wantSome: []string{"AGLT2_UCORE/managed/SCORE/running=410", "CERN-PROD_UCORE/unknown/null/activated=1"}},
		{name: "v1 ok via Decode", file: "v1_ok.json", decode: Decode, wantEntries: 31, wantQueues: 3},
		{name: "legacy ok", file: "legacy_ok.json", decode: DecodeLegacy, wantEntries: 21, wantQueues: 2,
			wantSome: []string{"AGLT2_UCORE/managed/MCORE/defined=2", "TOKYO_ARC/user/SCORE/running=64"}},
		{name: "legacy ok via Decode", file: "legacy_ok.json", decode: Decode, wantEntries: 21, wantQueues: 2},
		{name: "v1 success false", file: "v1_failure.json", decode: DecodeV1,
			wantErr: `panda v1 answer: success is false: message "Database failure getting the job statistics"`},
		{name: "v1 success false via Decode", file: "v1_failure.json", decode: Decode, wantErr: "success is false"},
		{name: "v1 bad window", file: "v1_bad_window.json", decode: DecodeV1, wantErr: `needs to be a positive integer`},
		{name: "v1 data null", file: "v1_data_null.json", decode: DecodeV1, wantErr: `field "data" is null, not an object`},
		{name: "v1 zero queues", file: "v1_empty.json", decode: DecodeV1},
		{name: "v1 envelope as legacy", file: "v1_ok.json", decode: DecodeLegacy, wantQueues: 3,
			wantBad: []string{
				"success : queue value is a boolean, not an object",
				"message : queue value is a string, not an object",
				"data BNL_PROD_MCORE/managed/MCORE: count is an object, not a number",
				"data AGLT2_UCORE/managed/SCORE: count is an object, not a number",
				"data AGLT2_UCORE/managed/SCORE_HIMEM: count is an object, not a number",
				"data AGLT2_UCORE/user/SCORE: count is an object, not a number",
				"data CERN-PROD_UCORE/unknown/null: count is an object, not a number",
			}},
		{name: "truncated", file: "truncated.json", decode: DecodeV1, wantErr: "truncated JSON: ends at byte 117"},
		{name: "not JSON", file: "not_json.txt", decode: DecodeLegacy, wantErr: `panda legacy answer: not JSON at byte 0: found "E", want a JSON value`},
		{name: "HTML with status 200", file: "html_200.html", decode: DecodeV1, wantErr: "HTML page, not JSON"},
		{name: "Python repr", file: "python_repr.txt", decode: DecodeV1,
			wantErr: "Python repr, not JSON: the request must send exactly Accept: application/json"},
		{name: "Python repr via Decode", file: "python_repr.txt", decode: Decode, wantErr: "Python repr"},
		{name: "wrong types at every level", file: "wrong_types.json", decode: DecodeV1, wantQueues: 5, wantEntries: 4,
			wantSome: []string{"NUM_LABEL/user/SCORE/running=1", "STR_RESOURCE/managed/MCORE/running=2",
				"BAD_COUNTS/managed/SCORE/defined=9007199254740992", "BAD_COUNTS/managed/SCORE/sent=5"},
			wantBad: []string{
				"LIST_QUEUE : queue value is a list, not an object",
				"NUM_LABEL managed: label value is a number, not an object",
				"STR_RESOURCE managed/SCORE: resource type value is a string, not an object",
				"BAD_COUNTS managed/SCORE/assigned: count is a string, not a number",
				"BAD_COUNTS managed/SCORE/activated: count is a boolean, not a number",
				"BAD_COUNTS managed/SCORE/starting: count is null, not a number",
				"BAD_COUNTS managed/SCORE/running: count is an object, not a number",
				"BAD_COUNTS managed/SCORE/holding: count -2 is negative",
				"BAD_COUNTS managed/SCORE/transferring: count 3.5 is fractional",
				"BAD_COUNTS managed/SCORE/merging: count 3.0 is fractional",
				"BAD_COUNTS managed/SCORE/finished: count 1e3 is fractional",
				"BAD_COUNTS managed/SCORE/failed: count 9007199254740993 exceeds 2^53",
				"BAD_COUNTS managed/SCORE/cancelled: count 99999999999999999999999 exceeds 2^53",
				"BAD_COUNTS managed/SCORE/closed: count is a list, not a number",
				" : empty queue name",
			}},
		{name: "duplicate keys, last wins", file: "duplicates.json", decode: DecodeLegacy, wantQueues: 2, wantDups: 3,
			wantEntries: 3, wantSome: []string{"DUP_Q/managed/SCORE/running=5", "OTHER/user/SCORE/running=6", "OTHER/user/MCORE/finished=2"}},
		{name: "null and empty keys kept", file: "null_keys.json", decode: Decode, wantQueues: 2, wantEntries: 6,
			wantSome: []string{"null/unknown/null/activated=1", "CERN-PROD_UCORE/(managed|test//running=3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := tt.decode(readTestdata(t, tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, st)
			got := entryText(st.Entries)
			if len(got) != tt.wantEntries || st.Queues != tt.wantQueues || st.Duplicates != tt.wantDups {
				t.Errorf("got %d entries, %d queues, %d duplicates; want %d, %d, %d\n%s",
					len(got), st.Queues, st.Duplicates, tt.wantEntries, tt.wantQueues, tt.wantDups, strings.Join(got, "\n"))
			}
			for _, w := range tt.wantSome {
				if !slices.Contains(got, w) {
					t.Errorf("missing entry %s in\n%s", w, strings.Join(got, "\n"))
				}
			}
			if b := badText(st.Bad); !slices.Equal(b, tt.wantBad) || st.BadTotal != len(tt.wantBad) {
				t.Errorf("Bad = %q (total %d)\nwant %q", b, st.BadTotal, tt.wantBad)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, body, wantErr string
		decode              func([]byte) (Stats, error)
	}{
		{name: "empty body", body: "", wantErr: "panda legacy answer: empty body", decode: DecodeLegacy},
		{name: "only white space", body: " \n\t", wantErr: "empty body", decode: DecodeV1},
		{name: "top level list", body: `[{"a":1}]`, wantErr: "top level is a list, not an object", decode: DecodeLegacy},
		{name: "top level string", body: `"ok"`, wantErr: "top level is a string, not an object", decode: Decode},
		{name: "top level null", body: `null`, wantErr: "top level is null, not an object", decode: DecodeV1},
		{name: "trailing data", body: `{"A":{}} {"B":{}}`, wantErr: "trailing data after the JSON value at byte 9", decode: DecodeLegacy},
		{name: "trailing data v1", body: `{"success":true,"data":{}}x`, wantErr: "trailing data after the JSON value at byte 26", decode: DecodeV1},
		{name: "syntax error offset", body: `{"A":{"m":{"S":{"r":1,}}}}`, wantErr: "not JSON at byte 22", decode: DecodeLegacy},
		{name: "truncated legacy", body: `{"A":{"m":{"S":{"r":1`, wantErr: "truncated JSON", decode: DecodeLegacy},
		{name: "python True", body: `{"success": True, "data": {}}`, wantErr: "Python repr", decode: DecodeV1},
		{name: "success missing", body: `{"message":"","data":{}}`, wantErr: `field "success" is missing`, decode: DecodeV1},
		{name: "success not bool", body: `{"success":"true","data":{}}`, wantErr: `field "success" is a string, not a boolean`, decode: DecodeV1},
		{name: "message not string", body: `{"success":true,"message":5,"data":{}}`, wantErr: `field "message" is a number`, decode: DecodeV1},
		{name: "data missing", body: `{"success":true,"message":""}`, wantErr: `field "data" is missing`, decode: DecodeV1},
		{name: "data list", body: `{"success":true,"data":[1]}`, wantErr: `field "data" is a list, not an object`, decode: DecodeV1},
		{name: "data twice", body: `{"success":true,"data":{},"data":{}}`, wantErr: `field "data" appears twice`, decode: DecodeV1},
		{name: "success false wins over data null", body: `{"success":false,"message":"no","data":null}`, wantErr: `message "no"`, decode: DecodeV1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := tt.decode([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if st.Entries != nil || st.Queues != 0 {
				t.Errorf("Stats = %+v with an error, want zero", st)
			}
		})
	}
}

func TestDecodeZeroQueues(t *testing.T) {
	for name, body := range map[string]string{
		"v1":     `{"success": true, "message": "", "data": {}}`,
		"legacy": `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			st, err := Decode([]byte(body))
			if err != nil || st.Entries != nil || st.Queues != 0 || st.Bad != nil {
				t.Fatalf("Decode() = %+v, %v; want Stats{}, nil", st, err)
			}
		})
	}
}

func TestDecodeBadIsCapped(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"Q":{"m":{"S":{`)
	for i := range MaxBad + 10 {
		fmt.Fprintf(&sb, `"s%d":-1,`, i)
	}
	sb.WriteString(`"running":3}}}}`)
	st, err := DecodeLegacy([]byte(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Bad) != MaxBad || st.BadTotal != MaxBad+10 || len(st.Entries) != 1 {
		t.Fatalf("len(Bad) = %d, BadTotal = %d, entries = %d", len(st.Bad), st.BadTotal, len(st.Entries))
	}
}

func TestDecodeDeepGarbage(t *testing.T) {
	nest := func(n int) string { return strings.Repeat(`[{"a":`, n) + "1" + strings.Repeat("}]", n) }
	st, err := DecodeLegacy([]byte(`{"Q":` + nest(4000) + `,"R":{"m":{"S":{"running":1}}}}`))
	if err != nil || len(st.Entries) != 1 || st.BadTotal != 1 {
		t.Fatalf("DecodeLegacy(8000 levels) = %+v, %v; want the list skipped", st, err)
	}
	_, err = DecodeLegacy([]byte(`{"Q":` + nest(6000) + `}`))
	if err == nil || !strings.Contains(err.Error(), "values nest deeper than 10000 levels") {
		t.Fatalf("DecodeLegacy(12000 levels) error = %v", err)
	}
}

// compareEntries orders entries by key path. It returns at the first
// difference: cmp.Or would compare all four strings every time, and the
// sort is most of the decoding time.
func compareEntries(a, b Entry) int {
	if c := strings.Compare(a.Queue, b.Queue); c != 0 {
		return c
	}
	if c := strings.Compare(a.Label, b.Label); c != 0 {
		return c
	}
	if c := strings.Compare(a.Resource, b.Resource); c != 0 {
		return c
	}
	return strings.Compare(a.Status, b.Status)
}
