package sim

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendPyJSON appends s as Python's json.dumps writes it (ensure_ascii):
// non-ASCII as \uXXXX (surrogate pairs above U+FFFF), "<>&" left alone.
func appendPyJSON(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\b':
			b = append(b, `\b`...)
		case r == '\f':
			b = append(b, `\f`...)
		case r < 0x20:
			b = appendU4(b, r)
		case r < 0x80:
			b = append(b, byte(r))
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			b = appendU4(appendU4(b, r1), r2)
		default:
			b = appendU4(b, r)
		}
	}
	return append(b, '"')
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendPyRepr appends s as Python 3's repr(): single quotes unless s holds
// a single and no double quote; printable non-ASCII kept as is.
func appendPyRepr(b []byte, s string) []byte {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b = append(b, q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r < 0x20 || r == 0x7f:
			b = append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
		case r < 0x80 || unicode.IsPrint(r):
			b = utf8.AppendRune(b, r)
		case r <= 0xff:
			b = append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
		case r <= 0xffff:
			b = appendU4(b, r)
		default:
			b = append(b, `\U`...)
			h := strconv.FormatInt(int64(r), 16)
			b = append(b, strings.Repeat("0", 8-len(h))+h...)
		}
	}
	return append(b, q)
}

// appendPyBool appends a boolean as JSON or as Python.
func appendPyBool(b []byte, v, asJSON bool) []byte {
	switch {
	case asJSON && v:
		return append(b, "true"...)
	case asJSON:
		return append(b, "false"...)
	case v:
		return append(b, "True"...)
	}
	return append(b, "False"...)
}
