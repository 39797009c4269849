package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// EnvPrefix starts the name of every environment override.
const EnvPrefix = "QMONIT_"

// EnvNames returns the environment variable of every scalar key, in schema
// order.
func EnvNames() []string {
	ls := Default().leaves()
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.env()
	}
	return names
}

// UnknownEnv returns the names of the QMONIT_* variables in env ("NAME=value"
// entries, as from os.Environ) that match no configuration key, so the caller
// can warn about them. Values are never returned: they may be secrets.
// Variables that map to command-line flags are not known here; the caller
// removes them.
func UnknownEnv(env []string) []string {
	known := make(map[string]bool)
	for _, n := range EnvNames() {
		known[n] = true
	}
	var unknown []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !known[name] {
			unknown = append(unknown, name)
		}
	}
	return unknown
}

// applyEnv sets every key whose environment variable lookup reports as set.
// It returns every variable that does not parse, naming the variable.
func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for _, l := range c.leaves() {
		name := l.env()
		s, ok := lookup(name)
		if !ok {
			continue
		}
		if err := setText(l.value, s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func errInvalid(kind, s string) error {
	return fmt.Errorf("invalid %s %q", kind, s)
}

func errUnsupported(t reflect.Type) error {
	return fmt.Errorf("BUG: config: no text form for type %s", t)
}
