package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// readFile reads the file named by a file:// URL, with the same size cap as
// an HTTP body. Only absolute local paths are accepted (file:///abs/path or
// file://localhost/abs/path); the query string is ignored.
func readFile(ctx context.Context, u *url.URL, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("file URL has host %q: want file:///absolute/path", u.Host)
	}
	path := u.Path
	if path == "" || !filepath.IsAbs(path) {
		return nil, errors.New("file URL has no absolute path: want file:///absolute/path")
	}
	return readRegular(path, max)
}

// readRegular reads a regular file of at most max bytes; errors name the path.
func readRegular(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the path
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	body, err := readCapped(f, st.Size(), max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return body, nil
}
