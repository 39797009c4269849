package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad writes the input as a config file and loads it: Load must return
// an error or a valid config, never panic.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, tt := range loadCases() {
		f.Add([]byte(tt.body))
	}
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("sources:\n  panda: &p {timeout: 5s}\n  cric:\n    site:\n      <<: *p\n"))
	f.Add([]byte("snapshot:\n  dsn_file: /dev/zero\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "qmonit.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path, nil)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Load() succeeded but Validate() = %v", err)
		}
		if _, err := c.Redacted(); err != nil {
			t.Errorf("Redacted() = %v", err)
		}
	})
}
