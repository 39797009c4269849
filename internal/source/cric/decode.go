package cric

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrEmpty is returned (wrapped, with the record counts) when a dump decodes
// but yields no usable item: an empty object or list, or only empty, bad or
// filtered records. The Dump returned with it still carries Bad and Empty.
var ErrEmpty = errors.New("no usable records")

// Dump names used as error prefixes.
const (
	dumpQueues       = "cric pandaqueue"
	dumpSites        = "cric site"
	dumpDDMEndpoints = "cric ddmendpoint"
	dumpFederations  = "wlcg-cric federation"
)

// Reasons recorded in Bad.
const (
	reasonDuplicate = "duplicate key; last kept"
	reasonNoName    = "no string \"name\""
	reasonEmptyKey  = "empty key"
)

// kind describes one dump: T is the item, R the record struct that holds
// only the fields read, as json.RawMessage (encoding/json skips the rest).
type kind[T, R any] struct {
	dump string
	// interpret turns one decoded non-empty record into an item. It also
	// returns the record's "name" when it is a non-empty JSON string (else
	// ""), notes for Bad (the item is still usable), and keep=false to drop
	// the record silently (a filter, not an error).
	interpret func(r *R) (item T, name string, notes []string, keep bool)
	// setKey stores the record's key (dict key or list name) in the item.
	setKey func(item *T, key string)
	// skip reports keys that are dropped without a trace (nil: none).
	skip func(key string) bool
}

// collector accumulates the records of one dump.
type collector[T, R any] struct {
	k       *kind[T, R]
	d       Dump[T]
	seen    map[string]struct{}
	records int
}

// decodeDump decodes body as an object keyed by name or a list of objects
// carrying "name", chosen by the first non-space byte.
func decodeDump[T, R any](k *kind[T, R], body []byte) (Dump[T], error) {
	c := &collector[T, R]{
		k:    k,
		d:    Dump[T]{Items: make(map[string]T)},
		seen: make(map[string]struct{}),
	}
	trimmed := trimSpace(body)
	var err error
	switch {
	case len(trimmed) == 0:
		err = errors.New("empty body")
	case trimmed[0] == '{':
		err = c.stream(body, '}')
	case trimmed[0] == '[':
		err = c.stream(body, ']')
	default:
		err = topLevelError(trimmed)
	}
	if err != nil {
		return Dump[T]{}, fmt.Errorf("%s: %w", k.dump, err)
	}
	if len(c.d.Items) == 0 {
		return c.d, fmt.Errorf("%s: %w (records: %d, empty: %d, bad: %d)",
			k.dump, ErrEmpty, c.records, c.d.Empty, len(c.d.Bad))
	}
	return c.d, nil
}

// topLevelError describes a body whose top level is neither an object nor a
// list, quoting its start so an HTML error page is recognisable in logs.
func topLevelError(b []byte) error {
	what := "not JSON"
	switch c := b[0]; {
	case c == '"':
		what = "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		what = "a number"
	case bytes.HasPrefix(b, []byte("null")):
		what = "null"
	case bytes.HasPrefix(b, []byte("true")) || bytes.HasPrefix(b, []byte("false")):
		what = "a boolean"
	}
	const maxQuote = 40
	if len(b) > maxQuote {
		b = b[:maxQuote]
	}
	return fmt.Errorf("top level is %s, want an object or a list (body starts %q)", what, b)
}

// stream walks the top-level object or list token by token, so duplicate
// keys are seen, and decodes each record from the same stream.
func (c *collector[T, R]) stream(body []byte, closing json.Delim) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // the opening delimiter
		return offsetError(dec, err)
	}
	for dec.More() {
		key := "[" + strconv.Itoa(c.records) + "]"
		var keyEnd int64
		if closing == '}' {
			tok, err := dec.Token()
			if err != nil {
				return offsetError(dec, err)
			}
			key, _ = tok.(string) // always a string inside an object
			keyEnd = dec.InputOffset()
		}
		r, raw, err := nextRecord[R](dec, body)
		if err != nil {
			return fmt.Errorf("record %q: %w", key, offsetError(dec, err))
		}
		if closing == '}' {
			c.addKeyed(key, r, raw, keyEnd)
		} else {
			c.addListed(key, r, raw)
		}
		c.records++
	}
	if tok, err := dec.Token(); err != nil || tok != closing {
		return offsetError(dec, orUnexpectedEOF(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("offset %d: trailing data after the top-level value", dec.InputOffset())
	}
	return nil
}

// nextRecord decodes the next value of dec. A non-empty object is decoded
// straight into a new R, so the ~30 MB pandaqueue dump is scanned twice
// rather than four times (RawMessage, then Unmarshal). Anything else comes
// back as raw bytes for notRecord. Which case applies is read from body at
// the decoder's offset: the decoder itself validates the syntax.
func nextRecord[R any](dec *json.Decoder, body []byte) (*R, json.RawMessage, error) {
	if isFilledObject(nextValue(body, dec.InputOffset())) {
		r := new(R)
		return r, nil, dec.Decode(r)
	}
	var raw json.RawMessage
	err := dec.Decode(&raw)
	return nil, raw, err
}

// nextValue returns body from the next value on, skipping whitespace and
// the ':' or ',' before it.
func nextValue(body []byte, offset int64) []byte {
	i := int(min(max(offset, 0), int64(len(body))))
	for i < len(body) && (isJSONSpace(body[i]) || body[i] == ':' || body[i] == ',') {
		i++
	}
	return body[i:]
}

// isFilledObject reports whether b starts with an object that is not {}.
func isFilledObject(b []byte) bool {
	return len(b) > 0 && b[0] == '{' && !bytes.HasPrefix(trimSpace(b[1:]), []byte("}"))
}

// offsetError adds the decoder's input offset to err.
func offsetError(dec *json.Decoder, err error) error {
	err = orUnexpectedEOF(err)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("offset %d: %w", se.Offset, err)
	}
	return fmt.Errorf("offset %d: %w", dec.InputOffset(), err)
}

// orUnexpectedEOF turns nil or a plain io.EOF, seen where the top-level
// value is not finished yet, into io.ErrUnexpectedEOF.
func orUnexpectedEOF(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// addKeyed handles one record of the object form: r when it is a non-empty
// object, else raw.
func (c *collector[T, R]) addKeyed(key string, r *R, raw []byte, keyEnd int64) {
	if key == "" {
		c.bad(key, reasonEmptyKey+" at offset "+strconv.FormatInt(keyEnd, 10))
		return
	}
	if c.k.skip != nil && c.k.skip(key) {
		return
	}
	c.dedup(key)
	if r == nil {
		c.notRecord(key, raw)
		return
	}
	item, _, notes, keep := c.k.interpret(r)
	c.store(key, item, notes, keep)
}

// addListed handles one record of the list form; index is "[i]".
func (c *collector[T, R]) addListed(index string, r *R, raw []byte) {
	if r == nil {
		c.notRecord(index, raw)
		return
	}
	item, name, notes, keep := c.k.interpret(r)
	if name == "" {
		c.bad(index, reasonNoName)
		return
	}
	if c.k.skip != nil && c.k.skip(name) {
		return
	}
	c.dedup(name)
	c.store(name, item, notes, keep)
}

// notRecord accounts for a value that is not a non-empty object: {} is
// counted in Empty (nextRecord hands over no other object), the rest is Bad.
func (c *collector[T, R]) notRecord(key string, raw []byte) {
	raw = trimSpace(raw)
	if isObject(raw) {
		c.d.Empty++
		return
	}
	c.bad(key, "record is "+jsonType(raw)+", want an object")
}

// dedup records a repeated key and forgets the earlier record: last wins.
func (c *collector[T, R]) dedup(key string) {
	if _, dup := c.seen[key]; dup {
		c.bad(key, reasonDuplicate)
		delete(c.d.Items, key)
		return
	}
	c.seen[key] = struct{}{}
}

// store keeps one decoded record under key.
func (c *collector[T, R]) store(key string, item T, notes []string, keep bool) {
	for _, n := range notes {
		c.bad(key, n)
	}
	if !keep {
		return
	}
	c.k.setKey(&item, key)
	c.d.Items[key] = item
}

func (c *collector[T, R]) bad(key, reason string) {
	c.d.Bad = append(c.d.Bad, Bad{Key: key, Reason: reason})
}
