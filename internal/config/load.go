package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Size limits for the files Load reads.
const (
	MaxFileBytes   = 1 << 20  // the config file
	MaxSecretBytes = 64 << 10 // one *_file secret
)

// Load returns the effective configuration: Default, then the YAML file at
// path (skipped when path is ""), then environment overrides looked up with
// env (os.LookupEnv in production; nil means none), then *_file secrets, then
// Validate. Relative paths written in the file resolve against the file's
// directory; relative paths from the environment stay relative to the working
// directory, like command-line flags.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	c := Default()
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return nil, err
		}
	}
	if env != nil {
		if err := c.applyEnv(env); err != nil {
			return nil, err
		}
	}
	if err := c.readSecretFiles(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		if path != "" {
			return nil, fmt.Errorf("config %q: %w", path, err)
		}
		return nil, err
	}
	return c, nil
}

func (c *Config) loadFile(path string) error {
	data, err := readFile(path, MaxFileBytes)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if err := decode(data, c); err != nil {
		return fmt.Errorf("config %q: %w", path, err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("config %q: %w", path, err)
	}
	c.resolvePaths(dir)
	return nil
}

// readFile reads at most limit bytes of path; a larger file is an error.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%q is larger than %d bytes", path, limit)
	}
	return data, nil
}

// decode reads exactly one YAML document into c, rejecting unknown and
// duplicate keys. An empty document (or only comments) leaves c unchanged.
//
// The document is parsed twice: first into a yaml.Node, to check that there
// is one document and to find duplicate keys in linear time (yaml.v3 reports
// every pair of duplicates, quadratic in their number), then strictly into c.
func decode(data []byte, c *Config) error {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		return nil
	} else if err != nil {
		return err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fmt.Errorf("line %d: a second YAML document; want exactly one", extra.Line)
	} else if !errors.Is(err, io.EOF) {
		return err
	}
	idx := newKeyIndex(&root)
	if len(idx.dups) > 0 {
		return joinCapped(idx.dups)
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(c); err != nil {
		return idx.annotate(err)
	}
	return nil
}

// resolvePaths makes every relative path key absolute against dir.
func (c *Config) resolvePaths(dir string) {
	for _, l := range c.leaves() {
		p := l.value.String()
		if l.isPath() && p != "" && !filepath.IsAbs(p) {
			l.value.SetString(filepath.Join(dir, p))
		}
	}
}

// readSecretFiles reads every set "<secret>_file" into its empty Secret twin.
// A twin that is already set is left for Validate to report. Errors name the
// key and the file, never the content.
func (c *Config) readSecretFiles() error {
	var errs []error
	c.secretTwins(func(secret, file leaf) {
		path := file.value.String()
		if path == "" || secret.value.String() != "" {
			return
		}
		s, err := readSecret(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", file.key(), err))
			return
		}
		secret.value.SetString(s)
		if c.fromFile == nil {
			c.fromFile = make(map[string]bool)
		}
		c.fromFile[secret.key()] = true
	})
	return errors.Join(errs...)
}

// readSecret reads a regular file and trims trailing newlines. Only regular
// files are read, so a FIFO or device cannot block or flood Load.
func readSecret(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%q is not a regular file", path)
	}
	data, err := readFile(path, MaxSecretBytes)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%q is empty", path)
	}
	return s, nil
}

// secretTwins calls fn for every Secret key that has a "_file" twin.
func (c *Config) secretTwins(fn func(secret, file leaf)) {
	ls := c.leaves()
	byKey := make(map[string]leaf, len(ls))
	for _, l := range ls {
		byKey[l.key()] = l
	}
	for _, l := range ls {
		if file, ok := byKey[l.key()+"_file"]; ok && l.value.Type() == secretType {
			fn(l, file)
		}
	}
}
