package cric

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// The helpers below interpret one json.RawMessage taken from a record that
// encoding/json has already validated. A nil or empty raw value means the
// field was missing.

// isJSONSpace reports the four whitespace bytes JSON allows.
func isJSONSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// trimSpace trims JSON whitespace (not Unicode spaces) from both ends.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isJSONSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// jsonType names the JSON type of raw for error messages.
func jsonType(raw []byte) string {
	if len(raw) == 0 {
		return "missing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

func isObject(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }
func isList(raw []byte) bool   { return len(raw) > 0 && raw[0] == '[' }
func isString(raw []byte) bool { return len(raw) > 0 && raw[0] == '"' }
func isNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

// stringValue returns the value of a JSON string, "" for any other type.
func stringValue(raw []byte) string {
	if !isString(raw) || len(raw) < 2 {
		return ""
	}
	inner := raw[1 : len(raw)-1]
	// Fast path: no escapes and valid UTF-8 means the text is the value.
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return ""
	}
	return s
}

// tagText returns the tag text of a field: a string as is, a number or
// boolean as its JSON text exactly as written, "" for anything else.
func tagText(raw []byte) string {
	switch {
	case isString(raw):
		return stringValue(raw)
	case isNumber(raw), bytes.Equal(raw, []byte("true")), bytes.Equal(raw, []byte("false")):
		return string(raw)
	default:
		return ""
	}
}

// number returns a JSON number as a finite float64, nil for anything else
// (including numbers that overflow float64).
func number(raw []byte) *float64 {
	if !isNumber(raw) {
		return nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil
	}
	return &f
}

// stringList returns the string elements of a JSON list, in order; nil when
// raw is not a list or holds no string.
func stringList(raw []byte) []string {
	if !isList(raw) {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil
	}
	var out []string
	for _, e := range elems {
		if isString(e) {
			out = append(out, stringValue(e))
		}
	}
	return out
}

// listHasString reports whether the JSON list raw contains the string want.
func listHasString(raw []byte, want string) bool {
	for _, s := range stringList(raw) {
		if s == want {
			return true
		}
	}
	return false
}

// object unmarshals a JSON object into v (a struct of json.RawMessage
// fields or a map); it reports false when raw is not an object.
func object(raw []byte, v any) bool {
	return isObject(raw) && json.Unmarshal(raw, v) == nil
}
