// Package testutil holds helpers shared by tests of several packages.
package testutil

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// CopyDir copies the files under src to dst as they are at this moment,
// which is what a kill -9 leaves of a store that is still open.
func CopyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(path, target)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
