package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// cachePath is where the last good raw answer of a dump is kept. The file's
// modification time is the time the upstream answered.
func cachePath(dir, name string) string { return filepath.Join(dir, name+".json") }

// writeCache stores body atomically: temp file in the same directory, fsync,
// rename, then set the modification time to fetched.
func writeCache(dir, name string, body []byte, fetched time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cache dir %q: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temp file in %q: %w", dir, err)
	}
	tmp := f.Name()
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, cachePath(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %q: %w", cachePath(dir, name), err)
	}
	if err := os.Chtimes(cachePath(dir, name), fetched, fetched); err != nil {
		return fmt.Errorf("set time of %q: %w", cachePath(dir, name), err)
	}
	return nil
}

// Load reads the cached copy of every configured dump from the cache
// directory, so a restarted process has metadata before its first refresh.
// A missing file is not an error; an unreadable or undecodable one is logged
// and ignored. Cached copies count as fetched at their file time, so a fresh
// enough copy is not fetched again (cron-mode runs rely on this).
func (c *Catalog) Load() {
	if c.opts.Dir == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, spec := range c.opts.Dumps {
		if spec.Fetch == nil {
			continue
		}
		path := cachePath(c.opts.Dir, name)
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var body []byte
		if err == nil {
			body, err = os.ReadFile(path)
		}
		var value any
		if err == nil {
			value, err = c.decode(name, body)
		}
		if err != nil {
			c.logger.Warn("catalog cache ignored", "dump", name, "path", path, "err", err)
			continue
		}
		c.dumps[name] = &held{value: value, fetched: st.ModTime()}
	}
	c.rebuild()
}
