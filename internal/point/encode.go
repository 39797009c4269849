package point

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends p as one JSON object, without a trailing newline:
// {"measurement":"jobs","time":"...","tags":{...},"fields":{...}}.
// Tags are in key order. Non-finite floats are written as 0 (JSON has no NaN);
// enrichment never produces them.
func AppendJSON(b []byte, p *Point) []byte {
	b = append(b, `{"measurement":"`...)
	b = append(b, Measurement...)
	b = append(b, `","time":"`...)
	b = p.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","tags":{`...)
	first := true
	p.EachTag(func(k, v string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, v)
	})
	b = append(b, `},"fields":{"`...)
	b = append(b, FieldJobs...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, p.Jobs, 10)
	b = appendJSONField(b, FieldResourceFactor, p.ResourceFactor)
	b = appendJSONField(b, FieldCorepower, p.Corepower)
	b = appendJSONField(b, FieldPledge, p.Pledge)
	return append(b, "}}"...)
}

func appendJSONField(b []byte, name string, v float64) []byte {
	b = append(b, ",\""...)
	b = append(b, name...)
	b = append(b, "\":"...)
	return AppendJSONFloat(b, v)
}

// AppendJSONFloat appends v as a JSON number the way encoding/json does.
func AppendJSONFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, '0')
	}
	abs := math.Abs(v)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, v, format, -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// control characters, quotes and backslashes are escaped; <, > and & are
// escaped too so the output is safe to embed in HTML.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// AppendLineProtocol appends p as one InfluxDB line-protocol line with a
// nanosecond timestamp, without the trailing newline. Tags are sorted by key
// (InfluxDB's preferred order); jobs is an integer field, the others floats.
func AppendLineProtocol(b []byte, p *Point) []byte {
	b = appendLPSeries(b, p)
	b = append(b, FieldJobs...)
	b = append(b, '=')
	b = strconv.AppendInt(b, p.Jobs, 10)
	b = append(b, 'i')
	b = appendLPField(b, FieldResourceFactor, p.ResourceFactor)
	b = appendLPField(b, FieldCorepower, p.Corepower)
	b = appendLPField(b, FieldPledge, p.Pledge)
	b = append(b, ' ')
	return strconv.AppendInt(b, p.Time.UnixNano(), 10)
}

// appendLPSeries appends the measurement and p's tags, sorted by key, and
// the space before the fields.
func appendLPSeries(b []byte, p *Point) []byte {
	b = append(b, Measurement...)
	p.EachTag(func(k, v string) {
		b = append(b, ',')
		b = appendLPTag(b, k)
		b = append(b, '=')
		b = appendLPTag(b, v)
	})
	return append(b, ' ')
}

func appendLPField(b []byte, name string, v float64) []byte {
	b = append(b, ',')
	b = append(b, name...)
	b = append(b, '=')
	return AppendLineProtocolFloat(b, v)
}

// appendLPTag escapes a tag key or value: comma, equals sign and space get a
// backslash. Line protocol cannot carry newlines in tags, so CR and LF
// become spaces (escaped). Invalid UTF-8 becomes U+FFFD. A trailing backslash
// would escape the following separator, so it is followed by a space-free
// marker: the value's last backslash is doubled. An empty value, which line
// protocol rejects, becomes NoValue.
func appendLPTag(b []byte, s string) []byte {
	if s == "" {
		s = NoValue
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case ',', '=', ' ':
				b = append(b, '\\', c)
			case '\n', '\r', '\t':
				b = append(b, '\\', ' ')
			case '\\':
				b = append(b, c)
				if i == len(s)-1 {
					b = append(b, c)
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// FieldSamples is the rollup field holding the number of raw samples in the
// bucket.
const FieldSamples = "samples"

// AppendLineProtocolRollup appends one rollup line without the trailing
// newline: p's tags, the bucket's value as the float field jobs (a mean for
// snapshot states, a sum for final ones), its sample count as an integer,
// and p's other numeric fields, at t (the bucket's start, as the seed
// stamped its downsampled points).
func AppendLineProtocolRollup(b []byte, p *Point, t time.Time, value float64, samples int) []byte {
	b = appendLPSeries(b, p)
	b = append(b, FieldJobs...)
	b = append(b, '=')
	b = AppendLineProtocolFloat(b, value)
	b = append(b, ',')
	b = append(b, FieldSamples...)
	b = append(b, '=')
	b = strconv.AppendInt(b, int64(samples), 10)
	b = append(b, 'i')
	b = appendLPField(b, FieldResourceFactor, p.ResourceFactor)
	b = appendLPField(b, FieldCorepower, p.Corepower)
	b = appendLPField(b, FieldPledge, p.Pledge)
	b = append(b, ' ')
	return strconv.AppendInt(b, t.UnixNano(), 10)
}

// AppendLineProtocolTag appends s escaped as a line-protocol tag key or
// value (see appendLPTag).
func AppendLineProtocolTag(b []byte, s string) []byte { return appendLPTag(b, s) }

// AppendLineProtocolFloat appends v as a line-protocol float field value
// (a number without the "i" suffix is a float); NaN and ±Inf, which line
// protocol cannot carry, become 0.
func AppendLineProtocolFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}
