// Package influx owns the InfluxDB sink: it encodes points as line protocol,
// batches them, and writes them over HTTP to InfluxDB 1.x (/write) or 2.x
// (/api/v2/write). Every batch goes through an on-disk spool first, so a
// server outage delays points instead of losing them. Each cycle's points
// share one timestamp, so a retried batch overwrites instead of duplicating.
package influx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/spool"
)

// Defaults for Options.
const (
	DefaultBatchSize = 5000
	DefaultTimeout   = 30 * time.Second
)

// Options configures a Sink.
type Options struct {
	// URL is the server base URL, e.g. http://influx:8086.
	URL string
	// Version is the write API: 1 (/write, default) or 2 (/api/v2/write).
	Version int
	// Database and RetentionPolicy select the target of raw points in
	// version 1; HourlyRetentionPolicy and DailyRetentionPolicy receive the
	// rollups (and the hourly datadisks measurement).
	Database, RetentionPolicy                   string
	HourlyRetentionPolicy, DailyRetentionPolicy string
	// Org and Bucket select the target in version 2; HourlyBucket and
	// DailyBucket receive the rollups.
	Org, Bucket               string
	HourlyBucket, DailyBucket string
	// Username and Password give basic auth in version 1; Token gives
	// "Authorization: Token" in version 2.
	Username, Password, Token string
	// BatchSize is the number of lines per request; 0 means DefaultBatchSize.
	BatchSize int
	// Gzip compresses request bodies; nil means true.
	Gzip *bool
	// Timeout bounds one request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Spool, when set, holds batches until they are delivered (see Write).
	Spool *spool.Spool
}

// Sink writes points to one InfluxDB server. It is safe for concurrent use.
type Sink struct {
	opts      Options
	client    *http.Client
	endpoint  string             // raw points' write URL with query parameters
	endpoints [numTargets]string // per Target; "" when not configured
	gzip      bool
}

// New validates o and returns a Sink that sends with client (a default
// client when nil).
func New(o Options, client *http.Client) (*Sink, error) {
	if o.Version == 0 {
		o.Version = 1
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if client == nil {
		client = &http.Client{}
	}
	s := &Sink{opts: o, client: client, gzip: o.Gzip == nil || *o.Gzip}
	for t, rp := range [numTargets][2]string{
		Raw:    {o.RetentionPolicy, o.Bucket},
		Hourly: {o.HourlyRetentionPolicy, o.HourlyBucket},
		Daily:  {o.DailyRetentionPolicy, o.DailyBucket},
	} {
		to := o
		to.RetentionPolicy, to.Bucket = rp[0], rp[1]
		if Target(t) != Raw && ((o.Version == 1 && to.RetentionPolicy == "") || (o.Version == 2 && to.Bucket == "")) {
			continue // rollups not configured
		}
		ep, err := writeURL(to)
		if err != nil {
			return nil, err
		}
		s.endpoints[t] = ep
	}
	s.endpoint = s.endpoints[Raw]
	return s, nil
}

// writeURL builds the write endpoint for o.
func writeURL(o Options) (string, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("influx: url %q: want http(s)://host[:port]", o.URL)
	}
	q := url.Values{"precision": {"ns"}}
	switch o.Version {
	case 1:
		if o.Database == "" {
			return "", errors.New("influx: database is required for version 1")
		}
		u = u.JoinPath("write")
		q.Set("db", o.Database)
		if o.RetentionPolicy != "" {
			q.Set("rp", o.RetentionPolicy)
		}
	case 2:
		if o.Bucket == "" {
			return "", errors.New("influx: bucket is required for version 2")
		}
		u = u.JoinPath("api", "v2", "write")
		q.Set("bucket", o.Bucket)
		if o.Org != "" {
			q.Set("org", o.Org)
		}
	default:
		return "", fmt.Errorf("influx: version %d: want 1 or 2", o.Version)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Endpoint returns the write URL (without credentials).
func (s *Sink) Endpoint() string { return s.endpoint }

// Encode turns pts into line-protocol batches of at most BatchSize lines,
// each line ending in '\n'. Points keep their own timestamps: the cycle
// stamps all its points with the same time, so re-sending a batch overwrites
// the same series and timestamps instead of adding points.
func (s *Sink) Encode(pts []point.Point) [][]byte {
	var out [][]byte
	for start := 0; start < len(pts); start += s.opts.BatchSize {
		chunk := pts[start:min(start+s.opts.BatchSize, len(pts))]
		// About 600 bytes per line with all attribute tags.
		b := make([]byte, 0, len(chunk)*640)
		for i := range chunk {
			b = point.AppendLineProtocol(b, &chunk[i])
			b = append(b, '\n')
		}
		out = append(out, b)
	}
	return out
}

// Write encodes pts, appends every batch to the spool, then replays the
// spool (older batches first) until it is empty or a transient error stops
// it; that error is returned and the batches stay spooled for the next call.
// Without a spool, Write sends the batches directly.
func (s *Sink) Write(ctx context.Context, pts []point.Point) error {
	batches := s.Encode(pts)
	if s.opts.Spool == nil {
		for _, b := range batches {
			if err := s.Send(ctx, b); err != nil {
				return err
			}
		}
		return nil
	}
	var errs []error
	for _, b := range batches {
		if err := s.opts.Spool.Append(b); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.opts.Spool.Replay(ctx, s.Send); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// redact hides credentials in a URL for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.TrimSpace(u.Redacted())
}
