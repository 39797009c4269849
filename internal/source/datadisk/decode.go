package datadisk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/qmonit/qmonit/internal/source"
)

// Usage is the occupancy of one RSE.
type Usage struct {
	Files, Bytes int64
}

// Bad describes one skipped bucket. Key is the RSE when the bucket has a
// usable one, else "".
type Bad struct {
	Key, Reason string
}

// Limits on what a hostile answer can make the decoder hold.
const (
	maxBuckets = 100000 // per response; the query asks for 500
	maxBad     = 1000   // Bad records kept; one more summarises the rest
	maxValue   = 1 << 53
)

// Decode decodes an _msearch answer into the usage per RSE.
//
// responses must be a non-empty list. A response carrying "error", or a
// "status" other than 200, or without aggregations["4"].buckets, makes the
// whole answer an error naming the field. Buckets need a non-empty string
// "key" and "1".value (files) and "3".value (bytes) that are integral
// numbers in [0, 2^53); the rest are skipped and listed in Bad, as are
// repeated keys (the last bucket wins). Unknown fields are ignored, and
// hits.total is not read (an int before ES 7, an object since).
func Decode(body []byte) (map[string]Usage, []Bad, error) {
	out, bad, err := decode(body)
	if err != nil {
		return nil, nil, fmt.Errorf("MONIT _msearch answer: %w", err)
	}
	return out, bad, nil
}

func decode(body []byte) (map[string]Usage, []Bad, error) {
	t := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(t) == 0:
		return nil, nil, errors.New("empty body")
	case t[0] == '<':
		return nil, nil, fmt.Errorf("HTML page, not JSON: %q", source.Printable(t[:min(len(t), 80)]))
	}
	top, err := object(body, "top level")
	if err != nil {
		return nil, nil, err
	}
	responses, err := list(top, "responses", "responses")
	if err != nil {
		return nil, nil, err
	}
	if len(responses) == 0 {
		return nil, nil, errors.New("responses is empty")
	}
	d := &decoder{out: map[string]Usage{}}
	for i, raw := range responses {
		if err := d.response(raw, fmt.Sprintf("responses[%d]", i)); err != nil {
			return nil, nil, err
		}
	}
	if d.badTotal > len(d.bad) {
		d.bad = append(d.bad, Bad{Reason: fmt.Sprintf("%d more bad buckets not listed", d.badTotal-len(d.bad))})
	}
	return d.out, d.bad, nil
}

// decoder collects buckets over all responses.
type decoder struct {
	out      map[string]Usage
	bad      []Bad
	badTotal int
}

func (d *decoder) addBad(key, reason string) {
	d.badTotal++
	if len(d.bad) < maxBad {
		d.bad = append(d.bad, Bad{Key: key, Reason: reason})
	}
}

// response checks one response of the answer and adds its buckets.
func (d *decoder) response(raw json.RawMessage, path string) error {
	r, err := object(raw, path)
	if err != nil {
		return err
	}
	if e, ok := r["error"]; ok && kind(e) != "null" {
		return fmt.Errorf("%s.error: %s", path, describeError(e))
	}
	if s, ok := r["status"]; ok {
		var status float64
		if kind(s) != "a number" || json.Unmarshal(s, &status) != nil {
			return fmt.Errorf("%s.status is %s, not a number", path, kind(s))
		}
		if status != 200 {
			return fmt.Errorf("%s.status is %s, not 200", path, s)
		}
	}
	aggs, err := member(r, "aggregations", path+".aggregations")
	if err != nil {
		return err
	}
	agg4, err := member(aggs, "4", path+`.aggregations["4"]`)
	if err != nil {
		return err
	}
	buckets, err := list(agg4, "buckets", path+`.aggregations["4"].buckets`)
	if err != nil {
		return err
	}
	if len(buckets) > maxBuckets {
		return fmt.Errorf("%s.aggregations[\"4\"].buckets has %d buckets, more than %d", path, len(buckets), maxBuckets)
	}
	for i, b := range buckets {
		d.bucket(b, i)
	}
	return nil
}

// bucket adds one bucket, or records why it was skipped.
func (d *decoder) bucket(raw json.RawMessage, i int) {
	b, err := object(raw, "bucket "+strconv.Itoa(i))
	if err != nil {
		d.addBad("", err.Error())
		return
	}
	var key string
	if k, ok := b["key"]; !ok || kind(k) != "a string" || json.Unmarshal(k, &key) != nil || key == "" {
		d.addBad("", fmt.Sprintf("bucket %d: key is %s, want a non-empty string", i, describeKey(k, ok)))
		return
	}
	files, err := value(b, "1", "files")
	if err != nil {
		d.addBad(key, err.Error())
		return
	}
	size, err := value(b, "3", "bytes")
	if err != nil {
		d.addBad(key, err.Error())
		return
	}
	if _, dup := d.out[key]; dup {
		d.addBad(key, "duplicate bucket; the last one wins")
	}
	d.out[key] = Usage{Files: files, Bytes: size}
}

// value reads b[name].value: a JSON number (ES sums are floats) that must
// be a whole number in [0, 2^53), so it converts to int64 exactly.
func value(b map[string]json.RawMessage, name, what string) (int64, error) {
	path := `"` + name + `".value (` + what + ")"
	agg, err := member(b, name, `"`+name+`"`)
	if err != nil {
		return 0, err
	}
	raw, ok := agg["value"]
	if !ok {
		return 0, fmt.Errorf("%s is missing", path)
	}
	var v float64
	if kind(raw) != "a number" || json.Unmarshal(raw, &v) != nil {
		return 0, fmt.Errorf("%s is %s, not a finite number", path, kind(raw))
	}
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%s is not finite", path)
	case v < 0:
		return 0, fmt.Errorf("%s %s is negative", path, clip(raw))
	case v != math.Trunc(v):
		return 0, fmt.Errorf("%s %s is not a whole number", path, clip(raw))
	case v >= maxValue:
		return 0, fmt.Errorf("%s %s is not below 2^53", path, clip(raw))
	}
	return int64(v), nil
}
