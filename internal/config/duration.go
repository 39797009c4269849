package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration that reads and writes as text. Besides Go
// durations ("90s", "10m", "1h30m") it accepts a leading whole number of days:
// "30d", "1d12h".
type Duration time.Duration

// ParseDuration parses a Go duration with an optional leading "<n>d" days
// part. A bare "0" is allowed; other numbers need a unit.
func ParseDuration(s string) (Duration, error) {
	d, ok := parseDuration(s)
	if !ok {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}

func parseDuration(s string) (Duration, bool) {
	rest, neg := strings.CutPrefix(s, "-")
	var days int64
	i := strings.IndexByte(rest, 'd')
	if i >= 0 {
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64/int64(day) {
			return 0, false
		}
		days, rest = n, rest[i+1:]
	}
	var tail time.Duration
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return 0, false
		}
		var err error
		if tail, err = time.ParseDuration(rest); err != nil {
			return 0, false
		}
	} else if i < 0 {
		return 0, false // "" or "-"
	}
	total := time.Duration(days) * day
	if tail > math.MaxInt64-total {
		return 0, false
	}
	total += tail
	if neg {
		total = -total
	}
	return Duration(total), true
}

// String formats d as ParseDuration reads it, without zero tails:
// "10m", "1h", "30d", "1d12h".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	v, sign := time.Duration(d), ""
	if v < 0 {
		if v == math.MinInt64 {
			return v.String()
		}
		v, sign = -v, "-"
	}
	days := v / day
	rest := v % day
	s := sign
	if days > 0 {
		s += strconv.FormatInt(int64(days), 10) + "d"
		if rest == 0 {
			return s
		}
	}
	t := rest.String()
	if strings.HasSuffix(t, "m0s") {
		t = t[:len(t)-2]
	}
	if strings.HasSuffix(t, "h0m") {
		t = t[:len(t)-2]
	}
	return s + t
}

// MarshalText implements encoding.TextMarshaler (JSON, slog).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes d as text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a duration scalar. Errors are *yaml.TypeError with the
// line, so decoding continues and reports every bad value.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: want a duration such as \"10m\" or \"30d\", got a %s", n.Line, kindName(n.Kind)),
		}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	default:
		return "document"
	}
}
