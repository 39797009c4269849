package cric

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

// addSeeds adds every file of testdata/ plus a few hand-written bodies.
func addSeeds(f *testing.F, add func(body []byte)) {
	f.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			add(readTestdata(f, e.Name()))
		}
	}
	for _, s := range []string{"", "{}", "[]", "null", "42", `{"K":` + rec + `,"K":"x"}`, `[` + rec + `]]`, `{"":{}}`} {
		add([]byte(s))
	}
}

// checkDump verifies what every decoder promises, whatever the input.
func checkDump[T any](t *testing.T, dump string, d Dump[T], err error, key func(T) string) {
	t.Helper()
	switch {
	case err == nil:
		if len(d.Items) == 0 {
			t.Fatalf("no error but no items: %+v", d)
		}
	case errors.Is(err, ErrEmpty):
		if len(d.Items) != 0 {
			t.Fatalf("ErrEmpty with %d items", len(d.Items))
		}
	default:
		if d.Items != nil || d.Bad != nil || d.Empty != 0 {
			t.Fatalf("decoding error %v with a non-zero Dump %+v", err, d)
		}
	}
	if err != nil && !strings.HasPrefix(err.Error(), dump+": ") {
		t.Fatalf("error %q does not name the dump %q", err, dump)
	}
	for k, v := range d.Items {
		if k == "" || key(v) != k {
			t.Fatalf("item key %q holds an item keyed %q", k, key(v))
		}
	}
	if d.Empty < 0 {
		t.Fatalf("Empty = %d", d.Empty)
	}
}

func FuzzDecodeQueues(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeQueues(body)
		checkDump(t, dumpQueues, d, err, func(q Queue) string { return q.Key })
		for _, q := range d.Items {
			for _, p := range []*float64{q.CoreCount, q.CorePower} {
				if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
					t.Fatalf("queue %q: non-finite number %v", q.Key, *p)
				}
			}
		}
	})
}

func FuzzDecodeSites(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeSites(body)
		checkDump(t, dumpSites, d, err, func(s Site) string { return s.Name })
	})
}

func FuzzDecodeDDMEndpoints(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeDDMEndpoints(body)
		checkDump(t, dumpDDMEndpoints, d, err, func(e DDMEndpoint) string { return e.Name })
	})
}

func FuzzDecodeFederations(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b, "atlas") })
	f.Add([]byte(`{"F":{"vos":["cms"]}}`), "cms")
	f.Fuzz(func(t *testing.T, body []byte, vo string) {
		d, err := DecodeFederations(body, vo)
		if vo == "" {
			if err == nil {
				t.Fatal("empty vo accepted")
			}
			return
		}
		checkDump(t, dumpFederations, d, err, func(f Federation) string { return f.Name })
		if _, ok := d.Items[nullFederation]; ok {
			t.Fatal("NULL federation kept")
		}
	})
}
