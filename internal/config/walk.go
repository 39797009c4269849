package config

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// leaf is one scalar key of the schema, found by walking the yaml tags.
type leaf struct {
	path  []string      // yaml keys from the root
	value reflect.Value // addressable when walked from a pointer
}

// key is the dotted key path used in error messages: "sources.panda.url".
func (l leaf) key() string { return strings.Join(l.path, ".") }

// env is the environment variable that overrides the key.
func (l leaf) env() string { return EnvPrefix + strings.ToUpper(strings.Join(l.path, "_")) }

// name is the last element of the key path.
func (l leaf) name() string { return l.path[len(l.path)-1] }

// isPath reports whether the key holds a file or directory path.
func (l leaf) isPath() bool {
	n := l.name()
	return l.value.Kind() == reflect.String && l.value.Type() != secretType &&
		(strings.HasSuffix(n, "_file") || strings.HasSuffix(n, "_dir"))
}

var (
	durationType = reflect.TypeFor[Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// leaves returns every scalar key of c in declaration order. The values are
// addressable, so callers may set them.
func (c *Config) leaves() []leaf {
	return walk(reflect.ValueOf(c).Elem(), nil, nil)
}

func walk(v reflect.Value, path []string, out []leaf) []leaf {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, inline := yamlName(f)
		switch {
		case name == "-":
		case inline:
			out = walk(v.Field(i), path, out)
		case f.Type.Kind() == reflect.Struct:
			out = walk(v.Field(i), slices.Concat(path, []string{name}), out)
		default:
			out = append(out, leaf{path: slices.Concat(path, []string{name}), value: v.Field(i)})
		}
	}
	return out
}

// yamlName returns the key yaml.v3 uses for f and whether f is inlined.
func yamlName(f reflect.StructField) (name string, inline bool) {
	name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	inline = slices.Contains(strings.Split(opts, ","), "inline")
	if name == "" && !inline {
		name = strings.ToLower(f.Name)
	}
	return name, inline
}

// setText parses s for the type of the scalar v and stores it.
func setText(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errInvalid("boolean", s)
		}
		v.SetBool(b)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errInvalid("number", s)
		}
		v.SetFloat(f)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return errInvalid("integer", s)
		}
		v.SetInt(n)
	default:
		return errUnsupported(v.Type())
	}
	return nil
}
