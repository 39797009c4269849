package panda

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/qmonit/qmonit/internal/source"
)

// errPythonRepr is PanDA's answer to a request whose Accept header is not
// exactly application/json: str(dict) instead of json.dumps.
var errPythonRepr = errors.New("body is a Python repr, not JSON: the request must send exactly Accept: application/json")

// DecodeV1 decodes the v1 API answer: the envelope
// {"success": bool, "message": str, "data": {queue map}}. success:false is
// an error carrying PanDA's message; data must be an object, decoded as
// DecodeLegacy decodes the bare map. Unknown envelope fields are ignored;
// a repeated one is an error.
func DecodeV1(body []byte) (Stats, error) {
	st, err := decodeV1(body)
	if err != nil {
		return Stats{}, fmt.Errorf("panda v1 answer: %w", err)
	}
	return st, nil
}

// DecodeLegacy decodes the legacy endpoint's answer: the bare map
// queue -> label -> resource type -> status -> count.
//
// Bad records are skipped and listed in Stats.Bad: a level that is not an
// object, an empty queue name, and a count that is not an integer in
// [0, 2^53] (any count text with '.', 'e' or 'E' is fractional, so 3.0 and
// 1e3 are skipped too). A repeated key at any level counts in
// Stats.Duplicates and its last value wins. Keys are kept as sent ("null"
// and "" included), except that invalid UTF-8 becomes U+FFFD.
//
// The whole answer is an error when it is empty, an HTML page, a Python
// repr (sent when the Accept header is not exactly application/json),
// not JSON or truncated (with the byte offset), not an object at the top
// level, or followed by trailing data. An answer without queues is valid.
func DecodeLegacy(body []byte) (Stats, error) {
	st, err := decodeLegacy(body)
	if err != nil {
		return Stats{}, fmt.Errorf("panda legacy answer: %w", err)
	}
	return st, nil
}

// Decode decodes either shape, for answers read from files: the v1
// envelope when the top-level object has a boolean "success" key and a
// "data" key, else the bare map.
func Decode(body []byte) (Stats, error) {
	if isEnvelope(body) {
		return DecodeV1(body)
	}
	return DecodeLegacy(body)
}

// sniff rejects, before any JSON decoding, the answers that are not JSON
// in a recognisable way.
func sniff(body []byte) error {
	t := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(t) == 0:
		return errors.New("empty body")
	case t[0] == '<':
		return fmt.Errorf("HTML page, not JSON: %q", source.Printable(t[:min(len(t), 80)]))
	case bytes.HasPrefix(t, []byte("{'")):
		return errPythonRepr
	}
	return nil
}

// looksPython says whether a body that failed to parse as JSON is a Python
// repr: single-quoted keys or Python's True/False/None after a colon.
func looksPython(body []byte) bool {
	for _, s := range []string{"': ", ": True", ": False", ": None"} {
		if bytes.Contains(body, []byte(s)) {
			return true
		}
	}
	return false
}

func decodeLegacy(body []byte) (Stats, error) {
	w := newWalker(body)
	if err := w.open(); err != nil {
		return Stats{}, err
	}
	if err := w.object(0); err != nil {
		return Stats{}, err
	}
	if err := w.end(); err != nil {
		return Stats{}, err
	}
	return w.stats(), nil
}

// envelope is what decodeV1 learnt about the v1 fields.
type envelope struct {
	seen     map[string]bool
	success  bool
	message  string
	dataKind string // kind of a data value that is not an object
}

func decodeV1(body []byte) (Stats, error) {
	w := newWalker(body)
	if err := w.open(); err != nil {
		return Stats{}, err
	}
	env := envelope{seen: map[string]bool{}}
	err := w.members(false, func(k string) error {
		if env.seen[k] {
			return fmt.Errorf("field %q appears twice", k)
		}
		env.seen[k] = true
		return w.envelopeField(k, &env)
	})
	if err != nil {
		return Stats{}, err
	}
	if err := w.end(); err != nil {
		return Stats{}, err
	}
	return w.checkEnvelope(&env)
}

// envelopeField reads the value of one envelope field; other fields are
// skipped.
func (w *walker) envelopeField(k string, env *envelope) error {
	c := w.peek()
	switch {
	case k == "success" && (c == 't' || c == 'f'):
		env.success = c == 't'
		return w.skipValue(1)
	case k == "message" && c == '"':
		var err error
		env.message, err = w.str(false)
		return err
	case k == "message" && c == 'n', k != "success" && k != "message" && k != "data":
		return w.skipValue(1)
	case k == "data" && c == '{':
		w.pos++
		return w.object(0)
	}
	if err := w.skipValue(1); err != nil {
		return err
	}
	switch k {
	case "success":
		return fmt.Errorf("field \"success\" is %s, not a boolean", kindOf(c))
	case "message":
		return fmt.Errorf("field \"message\" is %s, not a string", kindOf(c))
	}
	env.dataKind = kindOf(c)
	return nil
}

func (w *walker) checkEnvelope(env *envelope) (Stats, error) {
	switch {
	case !env.seen["success"]:
		return Stats{}, errors.New("field \"success\" is missing")
	case !env.success:
		msg := env.message
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return Stats{}, fmt.Errorf("success is false: message %q", msg)
	case !env.seen["data"]:
		return Stats{}, errors.New("field \"data\" is missing")
	case env.dataKind != "":
		return Stats{}, fmt.Errorf("field \"data\" is %s, not an object", env.dataKind)
	}
	return w.stats(), nil
}

// isEnvelope reports whether body's top-level object has a boolean
// "success" and a "data" key. It walks the top level only, skipping
// values; a body that does not parse is not an envelope (the legacy
// decoder then reports what is wrong).
func isEnvelope(body []byte) bool {
	w := newWalker(body)
	if w.open() != nil {
		return false
	}
	var success, data bool
	err := w.members(false, func(k string) error {
		c := w.peek()
		success = success || k == "success" && (c == 't' || c == 'f')
		data = data || k == "data"
		return w.skipValue(1)
	})
	return err == nil && success && data
}
