package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxErrors caps the problems reported for one file; a file that is not
// YAML for qmonit at all would otherwise produce thousands of lines.
const maxErrors = 20

// maxMappingKeys caps the keys of one mapping. qmonit's largest mapping has
// 16; yaml.v3 compares every pair of keys, so a huge mapping would be slow.
const maxMappingKeys = 256

// joinCapped joins at most maxErrors errors and says how many were left out.
func joinCapped(errs []error) error {
	if len(errs) > maxErrors {
		more := fmt.Errorf("and %d more errors", len(errs)-maxErrors)
		errs = append(errs[:maxErrors:maxErrors], more)
	}
	return errors.Join(errs...)
}

type yamlKey struct {
	path   string
	scalar bool // the value is a scalar, not a mapping or sequence
}

// keyIndex maps source lines to the key paths written on them, and records
// structural problems (duplicate keys, oversized mappings) in dups.
type keyIndex struct {
	byKeyLine   map[int][]string  // line of the key itself
	byValueLine map[int][]yamlKey // line where the key's value starts
	dups        []error
}

func newKeyIndex(root *yaml.Node) *keyIndex {
	x := &keyIndex{byKeyLine: map[int][]string{}, byValueLine: map[int][]yamlKey{}}
	x.add(root, "")
	return x
}

// add indexes n. Aliases are not followed, so the walk is linear in the
// size of the document.
func (x *keyIndex) add(n *yaml.Node, prefix string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			x.add(c, prefix)
		}
	case yaml.MappingNode:
		if len(n.Content)/2 > maxMappingKeys {
			where := prefix
			if where == "" {
				where = "top level"
			}
			x.dups = append(x.dups, fmt.Errorf("line %d: %s: %d keys in one mapping; at most %d",
				n.Line, where, len(n.Content)/2, maxMappingKeys))
			return
		}
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			if first, dup := seen[k.Value]; dup {
				x.dups = append(x.dups, fmt.Errorf("line %d: %s: key already defined at line %d", k.Line, path, first))
				continue
			}
			seen[k.Value] = k.Line
			x.byKeyLine[k.Line] = append(x.byKeyLine[k.Line], path)
			scalar := v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode
			x.byValueLine[v.Line] = append(x.byValueLine[v.Line], yamlKey{path, scalar})
			x.add(v, path)
		}
	}
}

// annotate rewrites the messages of a *yaml.TypeError so that each names the
// key path it is about, when the line identifies one key:
//
//	line 4: field timout not found in type config.HTTP
//	  -> line 4: sources.panda.timout: unknown key
//	line 5: cannot unmarshal !!str `many` into int
//	  -> line 5: sources.panda.retries: cannot unmarshal !!str `many` into int
//
// Other errors, and lines that hold several candidate keys (flow style), are
// returned unchanged.
func (x *keyIndex) annotate(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	errs := make([]error, len(te.Errors))
	for i, msg := range te.Errors {
		errs[i] = errors.New(x.annotateLine(msg))
	}
	return joinCapped(errs)
}

func (x *keyIndex) annotateLine(msg string) string {
	head, rest, ok := strings.Cut(msg, ": ")
	num, isLine := strings.CutPrefix(head, "line ")
	line, err := strconv.Atoi(num)
	if !ok || !isLine || err != nil {
		return msg
	}
	if name, ok := unknownField(rest); ok {
		var match []string
		for _, p := range x.byKeyLine[line] {
			if p == name || strings.HasSuffix(p, "."+name) {
				match = append(match, p)
			}
		}
		if len(match) == 1 {
			return head + ": " + match[0] + ": unknown key"
		}
		return head + ": unknown key " + strconv.Quote(name)
	}
	collection := strings.Contains(rest, "!!map") || strings.Contains(rest, "!!seq") ||
		strings.Contains(rest, "got a mapping") || strings.Contains(rest, "got a sequence")
	var match []string
	for _, k := range x.byValueLine[line] {
		if k.scalar != collection {
			match = append(match, k.path)
		}
	}
	if len(match) == 1 && !strings.HasPrefix(rest, "mapping key ") {
		return head + ": " + match[0] + ": " + rest
	}
	return msg
}

// unknownField extracts the key from yaml.v3's KnownFields message
// "field <name> not found in type <type>".
func unknownField(rest string) (string, bool) {
	s, ok := strings.CutPrefix(rest, "field ")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(s, " not found in type ")
	return name, ok
}
