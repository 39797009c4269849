package panda

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// maxNesting bounds how deep skipped values may nest (as encoding/json).
const maxNesting = 10000

// maxIntern bounds the interned key strings (labels, resource types and
// states form small sets; a hostile answer must not grow the table).
const maxIntern = 4096

// lexer reads strict JSON (RFC 8259) from a byte slice. It replaces
// json.Decoder.Token, whose reflection and per-token allocations made a
// 25,000-entry answer take ten times longer; FuzzDecodeLegacy checks it
// against json.Valid.
type lexer struct {
	b      []byte
	pos    int
	intern map[string]string
}

// fail reports a syntax error at the current position: a truncated body,
// a Python repr, or the offending byte and what was expected.
func (l *lexer) fail(want string) error {
	if l.pos >= len(l.b) {
		return fmt.Errorf("truncated JSON: ends at byte %d inside a value", len(l.b))
	}
	if looksPython(l.b) {
		return errPythonRepr
	}
	return fmt.Errorf("not JSON at byte %d: found %q, want %s", l.pos, l.b[l.pos:l.pos+1], want)
}

// peek skips white space and returns the next byte, 0 at the end.
func (l *lexer) peek() byte {
	for l.pos < len(l.b) {
		switch c := l.b[l.pos]; c {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return c
		}
	}
	return 0
}

// expect consumes the byte c after optional white space.
func (l *lexer) expect(c byte, want string) error {
	if l.peek() != c {
		return l.fail(want)
	}
	l.pos++
	return nil
}

// next consumes the ',' or the closing byte after a member or element; it
// reports whether the container ended.
func (l *lexer) next(closing byte) (bool, error) {
	switch l.peek() {
	case ',':
		l.pos++
		return false, nil
	case closing:
		l.pos++
		return true, nil
	}
	return false, l.fail(fmt.Sprintf("',' or '%c'", closing))
}

// rawString consumes a string and returns its bytes between the quotes
// and whether they need unescaping (an escape or invalid UTF-8).
func (l *lexer) rawString() ([]byte, bool, error) {
	if l.peek() != '"' {
		return nil, false, l.fail("a string")
	}
	start, slow := l.pos+1, false
	for i := start; i < len(l.b); i++ {
		switch c := l.b[i]; {
		case c == '"':
			l.pos = i + 1
			raw := l.b[start:i]
			return raw, slow || !utf8.Valid(raw), nil
		case c == '\\':
			slow = true
			i++ // the escaped byte cannot end the string
		case c < 0x20:
			l.pos = i
			return nil, false, l.fail("no control character inside a string")
		}
	}
	l.pos = len(l.b)
	return nil, false, l.fail("")
}

// skipString consumes and validates a string without building it.
func (l *lexer) skipString() error {
	start := l.pos
	if _, slow, err := l.rawString(); err != nil || !slow {
		return err
	}
	if !json.Valid(l.b[start:l.pos]) {
		l.pos = start
		return l.fail("a string with valid escapes")
	}
	return nil
}

// str consumes a string and returns its value; intern shares the memory
// of repeated keys.
func (l *lexer) str(intern bool) (string, error) {
	start := l.pos
	raw, slow, err := l.rawString()
	if err != nil {
		return "", err
	}
	if slow {
		var s string
		if err := json.Unmarshal(l.b[start:l.pos], &s); err != nil {
			l.pos = start
			return "", l.fail("a string with valid escapes")
		}
		return s, nil
	}
	if !intern || l.intern == nil {
		return string(raw), nil
	}
	if s, ok := l.intern[string(raw)]; ok {
		return s, nil
	}
	s := string(raw)
	if len(l.intern) < maxIntern {
		l.intern[s] = s
	}
	return s, nil
}

// number consumes a number and returns its text.
func (l *lexer) number() ([]byte, error) {
	b, start := l.b, l.pos
	if l.pos < len(b) && b[l.pos] == '-' {
		l.pos++
	}
	switch {
	case l.pos < len(b) && b[l.pos] == '0':
		l.pos++
	case l.pos < len(b) && b[l.pos] >= '1' && b[l.pos] <= '9':
		l.digits()
	default:
		return nil, l.fail("a digit")
	}
	if l.pos < len(b) && b[l.pos] == '.' {
		l.pos++
		if !l.digits() {
			return nil, l.fail("a digit after '.'")
		}
	}
	if l.pos < len(b) && (b[l.pos] == 'e' || b[l.pos] == 'E') {
		l.pos++
		if l.pos < len(b) && (b[l.pos] == '+' || b[l.pos] == '-') {
			l.pos++
		}
		if !l.digits() {
			return nil, l.fail("a digit in the exponent")
		}
	}
	return b[start:l.pos], nil
}

func (l *lexer) digits() bool {
	start := l.pos
	for l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '9' {
		l.pos++
	}
	return l.pos > start
}

// literal consumes true, false or null.
func (l *lexer) literal(word string) error {
	rest := l.b[l.pos:]
	if !bytes.HasPrefix(rest, []byte(word)) {
		if len(rest) < len(word) && bytes.HasPrefix([]byte(word), rest) {
			l.pos = len(l.b)
		}
		return l.fail(word)
	}
	l.pos += len(word)
	return nil
}

// skipValue consumes and validates any value; depth is the nesting level
// the value sits at.
func (l *lexer) skipValue(depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("at byte %d: values nest deeper than %d levels", l.pos, maxNesting)
	}
	c := l.peek()
	switch c {
	case '{', '[':
		return l.skipContainer(c, depth)
	case '"':
		return l.skipString()
	case 't':
		return l.literal("true")
	case 'f':
		return l.literal("false")
	case 'n':
		return l.literal("null")
	}
	if c != '-' && (c < '0' || c > '9') {
		return l.fail("a JSON value")
	}
	_, err := l.number()
	return err
}

func (l *lexer) skipContainer(open byte, depth int) error {
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	l.pos++
	if l.peek() == closing {
		l.pos++
		return nil
	}
	for {
		if open == '{' {
			if err := l.skipString(); err != nil {
				return err
			}
			if err := l.expect(':', "':' after an object key"); err != nil {
				return err
			}
		}
		if err := l.skipValue(depth + 1); err != nil {
			return err
		}
		if done, err := l.next(closing); err != nil || done {
			return err
		}
	}
}

// members calls fn with the key of each member of an object whose '{' was
// consumed; fn must consume the value. intern shares repeated keys.
func (l *lexer) members(intern bool, fn func(key string) error) error {
	if l.peek() == '}' {
		l.pos++
		return nil
	}
	for {
		k, err := l.str(intern)
		if err != nil {
			return err
		}
		if err := l.expect(':', "':' after an object key"); err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		if done, err := l.next('}'); err != nil || done {
			return err
		}
	}
}

// end checks that nothing but white space follows the top-level value.
func (l *lexer) end() error {
	if l.peek() != 0 || l.pos < len(l.b) {
		return fmt.Errorf("trailing data after the JSON value at byte %d", l.pos)
	}
	return nil
}

// kindOf names the JSON type a value starting with c has.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
