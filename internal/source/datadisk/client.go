package datadisk

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/qmonit/qmonit/internal/source"
)

// Client queries the datadisk occupancy. It is safe for concurrent use.
type Client struct {
	url, index string
	c          *source.Client
}

// New returns a client POSTing to url (the Grafana proxy's _msearch, e.g.
// https://monit-grafana.cern.ch/api/datasources/proxy/<id>/_msearch) for
// index, or reading the answer stored at a file:// url. The Grafana token
// is the source.Client's bearer token.
func New(url, index string, c *source.Client) *Client {
	return &Client{url: url, index: index, c: c}
}

// Fetch runs the query for time now and decodes the answer.
func (d *Client) Fetch(ctx context.Context, now time.Time) (map[string]Usage, []Bad, error) {
	body, err := d.FetchRaw(ctx, now)
	if err != nil {
		return nil, nil, err
	}
	out, bad, err := Decode(body)
	if err != nil {
		return nil, nil, fmt.Errorf("source %q: decode %q: %w", d.c.Name(), source.RedactURL(d.url), err)
	}
	return out, bad, nil
}

// FetchRaw runs the query for time now and returns the answer undecoded,
// for callers that keep the raw answer (the catalog's disk copy).
func (d *Client) FetchRaw(ctx context.Context, now time.Time) ([]byte, error) {
	req := source.Request{Method: http.MethodGet, URL: d.url}
	if !strings.HasPrefix(strings.ToLower(d.url), "file:") {
		req = source.Request{
			Method: http.MethodPost,
			URL:    d.url,
			Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
			Body:   Query(d.index, now),
		}
	}
	return d.c.Do(ctx, req)
}
