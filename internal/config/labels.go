package config

import (
	"fmt"
	"strings"
)

// Label is one name=value pair of an external label.
type Label struct{ Name, Value string }

// ParseLabels parses "name=value,name=value" (spaces around items ignored)
// into labels in the order given. Names follow Prometheus' label syntax and
// may not start with "__"; a name may appear once. "" gives no labels.
func ParseLabels(s string) ([]Label, error) {
	var out []Label
	err := eachPair(s, "label", func(name, value string) error {
		switch {
		case !validLabelName(name):
			return fmt.Errorf("label name %q: want [a-zA-Z_][a-zA-Z0-9_]*", name)
		case strings.HasPrefix(name, "__"):
			return fmt.Errorf("label name %q: names starting with __ are reserved", name)
		case value == "":
			return fmt.Errorf("label %q: empty value", name)
		}
		out = append(out, Label{name, value})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachPair calls f with the name and value of every "name=value" item of
// s: comma-separated, spaces around items, names and values trimmed, empty
// items skipped, a name at most once. It stops at the first error; what
// names the left side in errors ("label", "state").
func eachPair(s, what string, f func(name, value string) error) error {
	seen := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			return fmt.Errorf("%q: want %s=value", item, what)
		case seen[name]:
			return fmt.Errorf("%s %q given twice", what, name)
		}
		seen[name] = true
		if err := f(name, value); err != nil {
			return err
		}
	}
	return nil
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
