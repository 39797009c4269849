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
			return nil, fmt.Errorf("%q: want name=value", item)
		case !validLabelName(name):
			return nil, fmt.Errorf("label name %q: want [a-zA-Z_][a-zA-Z0-9_]*", name)
		case strings.HasPrefix(name, "__"):
			return nil, fmt.Errorf("label name %q: names starting with __ are reserved", name)
		case value == "":
			return nil, fmt.Errorf("label %q: empty value", name)
		case seen[name]:
			return nil, fmt.Errorf("label %q given twice", name)
		}
		seen[name] = true
		out = append(out, Label{name, value})
	}
	return out, nil
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
