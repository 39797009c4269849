package datadisk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, bad, err := Decode(body)
		if err != nil {
			if got != nil || bad != nil {
				t.Fatalf("Decode() = %v, %v with error %v", got, bad, err)
			}
			return
		}
		if got == nil || len(bad) > maxBad+1 {
			t.Fatalf("Decode() = nil map or %d bad", len(bad))
		}
		for k, u := range got {
			if k == "" || u.Files < 0 || u.Bytes < 0 || u.Files >= maxValue || u.Bytes >= maxValue {
				t.Fatalf("Decode() kept %q = %+v", k, u)
			}
		}
	})
}
