package datadisk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/qmonit/qmonit/internal/source"
)

// kind names the JSON type of raw from its first byte.
func kind(raw json.RawMessage) string {
	t := bytes.TrimLeft(raw, " \t\r\n")
	if len(t) == 0 {
		return "empty"
	}
	switch c := t[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "a list"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return "not JSON"
}

// decodeAs unmarshals raw into v, explaining a wrong type with path.
func decodeAs(raw json.RawMessage, v any, path, want string) error {
	err := json.Unmarshal(raw, v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		// se.Offset counts the offending byte; report its 0-based index.
		msg := strings.TrimPrefix(se.Error(), "json: ")
		switch {
		case strings.Contains(msg, "unexpected end of JSON input"):
			return fmt.Errorf("truncated JSON: ends at byte %d inside a value", len(raw))
		case strings.Contains(msg, "after top-level value"):
			return fmt.Errorf("trailing data after the JSON value at byte %d", se.Offset-1)
		}
		return fmt.Errorf("not JSON at byte %d: %s", se.Offset-1, msg)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("%s is %s, not %s", path, kind(raw), want)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// object decodes raw as an object whose member values stay raw.
func object(raw json.RawMessage, path string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := decodeAs(raw, &m, path, "an object"); err != nil {
		return nil, err
	}
	if m == nil { // the literal null
		return nil, fmt.Errorf("%s is null, not an object", path)
	}
	return m, nil
}

// member returns m[name] as an object.
func member(m map[string]json.RawMessage, name, path string) (map[string]json.RawMessage, error) {
	raw, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("%s is missing", path)
	}
	return object(raw, path)
}

// list returns m[name] as a list of raw values.
func list(m map[string]json.RawMessage, name, path string) ([]json.RawMessage, error) {
	raw, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("%s is missing", path)
	}
	var l []json.RawMessage
	if err := decodeAs(raw, &l, path, "a list"); err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("%s is null, not a list", path)
	}
	return l, nil
}

// describeError renders an Elasticsearch error value: an object with
// "type" and "reason" (ES 5+), or a plain string (older versions).
func describeError(raw json.RawMessage) string {
	var e struct {
		Type   any `json:"type"`
		Reason any `json:"reason"`
	}
	var s string
	switch {
	case kind(raw) == "a string" && json.Unmarshal(raw, &s) == nil:
		return fmt.Sprintf("%q", clipText(s, 300))
	case kind(raw) == "an object" && json.Unmarshal(raw, &e) == nil:
		ts, _ := e.Type.(string)
		rs, _ := e.Reason.(string)
		if ts != "" || rs != "" {
			return fmt.Sprintf("type %q, reason %q", clipText(ts, 100), clipText(rs, 300))
		}
	}
	return source.Printable([]byte(clipText(string(raw), 300)))
}

// describeKey names what a bucket key is when it is not usable.
func describeKey(raw json.RawMessage, present bool) string {
	switch {
	case !present:
		return "missing"
	case kind(raw) == "a string":
		return "an empty or invalid string"
	}
	return kind(raw)
}

// clip shortens number text for a Bad reason.
func clip(raw json.RawMessage) string {
	return clipText(string(bytes.TrimSpace(raw)), 32)
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
