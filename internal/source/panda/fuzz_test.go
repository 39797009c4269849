package panda

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds seeds f with every file of testdata/.
func addSeeds(f *testing.F) {
	f.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzDecodeV1(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := DecodeV1(body)
		agreeWithStdlib(t, body, err)
		if err != nil {
			return
		}
		checkInvariants(t, st)
	})
}

func FuzzDecodeLegacy(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := DecodeLegacy(body)
		agreeWithStdlib(t, body, err)
		if err != nil {
			return
		}
		checkInvariants(t, st)
		// Decode must agree with DecodeLegacy on bare maps.
		if isEnvelope(body) {
			return
		}
		st2, err := Decode(body)
		if err != nil || len(st2.Entries) != len(st.Entries) || st2.BadTotal != st.BadTotal {
			t.Fatalf("Decode() = %d entries, %v; DecodeLegacy() = %d entries", len(st2.Entries), err, len(st.Entries))
		}
	})
}

// agreeWithStdlib checks the hand-written lexer against encoding/json: an
// accepted body is valid JSON, and valid JSON is never called malformed.
func agreeWithStdlib(t *testing.T, body []byte, err error) {
	t.Helper()
	valid := json.Valid(body)
	if err == nil && !valid {
		t.Fatalf("decoded %q, which encoding/json rejects", body)
	}
	if err != nil && valid {
		for _, syntax := range []string{"not JSON", "truncated", "trailing data", "empty body", "HTML", "Python"} {
			if strings.Contains(err.Error(), syntax) {
				t.Fatalf("valid JSON %q rejected: %v", body, err)
			}
		}
	}
}
