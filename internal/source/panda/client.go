package panda

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qmonit/qmonit/internal/source"
)

// Paths of the two endpoints under the base URL (SOURCES.md §1.1).
const (
	v1Path     = "/api/v1/statistics/job_stats_by_site_share_and_resource_type"
	legacyPath = "/server/panda/get_job_statistics_per_site_label_resource"
)

// maxWindowMinutes is the v1 API's largest time_window (7 days).
const maxWindowMinutes = 10080

// Client fetches PanDA's job statistics. It is safe for concurrent use.
type Client struct {
	base string
	c    *source.Client
}

// New returns a client for the PanDA server at base (for example
// https://pandaserver.cern.ch:25443, a trailing slash is fine) or, for a
// file:// base, for the answer stored in that file (either shape).
func New(base string, c *source.Client) *Client {
	return &Client{base: base, c: c}
}

// Fetch asks for the counts with time_window = whole minutes of window
// (1 to 10080): the v1 endpoint first, the legacy one when v1 answers 403
// or 404. Both requests carry exactly Accept: application/json, which
// PanDA needs to answer JSON, and no Content-Type, which would make the
// legacy endpoint parse an empty body and fail. Stats.Endpoint says which
// endpoint answered. An answer without queues is not an error.
func (p *Client) Fetch(ctx context.Context, window time.Duration) (Stats, error) {
	if strings.HasPrefix(strings.ToLower(p.base), "file:") {
		return p.get(ctx, p.base, EndpointFile, Decode)
	}
	minutes := int64(window / time.Minute)
	if minutes < 1 || minutes > maxWindowMinutes {
		return Stats{}, fmt.Errorf("source %q: time window %v: want 1 to %d whole minutes",
			p.c.Name(), window, maxWindowMinutes)
	}
	base := strings.TrimRight(p.base, "/")
	query := "?time_window=" + strconv.FormatInt(minutes, 10)
	st, err := p.get(ctx, base+v1Path+query, EndpointV1, DecodeV1)
	var se *source.StatusError
	if !errors.As(err, &se) || (se.Status != http.StatusForbidden && se.Status != http.StatusNotFound) {
		return st, err
	}
	st, err = p.get(ctx, base+legacyPath+query, EndpointLegacy, DecodeLegacy)
	if err != nil {
		return Stats{}, fmt.Errorf("v1 endpoint answered HTTP %d, legacy fallback: %w", se.Status, err)
	}
	return st, nil
}

// get fetches url with Accept: application/json only and decodes the body.
func (p *Client) get(ctx context.Context, url, endpoint string, decode func([]byte) (Stats, error)) (Stats, error) {
	body, err := p.c.Do(ctx, source.Request{
		Method: http.MethodGet,
		URL:    url,
		Header: http.Header{"Accept": {"application/json"}},
	})
	if err != nil {
		return Stats{}, err
	}
	st, err := decode(body)
	if err != nil {
		return Stats{}, fmt.Errorf("source %q: decode %q: %w", p.c.Name(), source.RedactURL(url), err)
	}
	st.Endpoint = endpoint
	return st, nil
}
