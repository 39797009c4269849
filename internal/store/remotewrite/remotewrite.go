// Package remotewrite sends samples to a Prometheus remote write 1.0 endpoint
// (Prometheus with --web.enable-remote-write-receiver, VictoriaMetrics
// /api/v1/write, Mimir, Thanos receive, ...).
//
// Encoding and sending are separate steps so a spool can persist the encoded
// batches and retry them later: EncodePoints and EncodeSamples turn samples
// into snappy-compressed prompb.WriteRequest bodies of at most
// Options.BatchSize samples each, and Send posts one body. Send classifies the
// failure: an error for which errors.Is(err, ErrPermanent) holds (a 4xx other
// than 429) will fail again if retried and should be dropped; every other
// error (5xx, 429, network, timeout) is transient.
//
// A Sink is safe for concurrent use. The returned batches belong to the caller.
package remotewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBatchSize is the number of samples per request when
// Options.BatchSize is zero.
const DefaultBatchSize = 5000

// maxErrorBody bounds how much of an error response is kept in the error.
const maxErrorBody = 512

// ErrPermanent marks a request the server rejected for good (4xx except
// 429): retrying the same body cannot succeed. Test with errors.Is.
var ErrPermanent = errors.New("remote write rejected permanently")

// StatusError is a non-2xx response. errors.Is(err, ErrPermanent) reports
// whether it is permanent.
type StatusError struct {
	URL     string
	Code    int
	Message string // start of the response body, trimmed
}

func (e *StatusError) Error() string {
	kind := "transient"
	if e.Permanent() {
		kind = "permanent"
	}
	return fmt.Sprintf("post %q: %s status %d: %s", e.URL, kind, e.Code, e.Message)
}

// Permanent reports whether retrying cannot help: 4xx other than 429.
func (e *StatusError) Permanent() bool {
	return e.Code >= 400 && e.Code < 500 && e.Code != http.StatusTooManyRequests
}

// Is makes errors.Is(err, ErrPermanent) true for permanent statuses.
func (e *StatusError) Is(target error) bool { return target == ErrPermanent && e.Permanent() }

// Options configure a Sink. URL is required; the rest have defaults.
type Options struct {
	URL         string            // e.g. http://127.0.0.1:8428/api/v1/write
	BatchSize   int               // samples per request; 0 means DefaultBatchSize
	Timeout     time.Duration     // per Send; 0 means only the context and client bound it
	BearerToken string            // Authorization: Bearer ...; exclusive with Username
	Username    string            // HTTP basic auth
	Password    string            // HTTP basic auth
	Headers     map[string]string // extra request headers; cannot override the protocol ones
	// ExternalLabels are added to every series that lacks a label of the
	// same name, as Prometheus' external_labels.
	ExternalLabels []Label
}

// protocolHeaders are set by Send and may not be overridden by Options.Headers.
var protocolHeaders = map[string]bool{
	"Content-Encoding":                  true,
	"Content-Type":                      true,
	"X-Prometheus-Remote-Write-Version": true,
	"Authorization":                     true,
}

// Sink encodes and sends remote write requests.
type Sink struct {
	o      Options
	client *http.Client
}

// New validates o and returns a Sink using client (http.DefaultClient if nil).
func New(o Options, client *http.Client) (*Sink, error) {
	var errs []error
	u, err := url.Parse(o.URL)
	switch {
	case o.URL == "":
		errs = append(errs, errors.New("url: required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("url: %w", err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("url %q: scheme must be http or https", o.URL))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("url %q: no host", o.URL))
	}
	if o.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch_size: %d is negative", o.BatchSize))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %s is negative", o.Timeout))
	}
	if o.BearerToken != "" && (o.Username != "" || o.Password != "") {
		errs = append(errs, errors.New("bearer_token and username/password are exclusive"))
	}
	for k := range o.Headers {
		if protocolHeaders[http.CanonicalHeaderKey(k)] {
			errs = append(errs, fmt.Errorf("headers: %q is set by the client", k))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("remotewrite: %w", errors.Join(errs...))
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Sink{o: o, client: client}, nil
}

// BatchSize is the effective number of samples per batch.
func (s *Sink) BatchSize() int { return s.o.BatchSize }

// Send posts one encoded batch. It returns nil on 2xx, an error matching
// ErrPermanent on 4xx other than 429, and a transient error otherwise.
func (s *Sink) Send(ctx context.Context, batch []byte) error {
	if s.o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.o.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL, bytes.NewReader(batch))
	if err != nil {
		return fmt.Errorf("build request %q: %w", s.o.URL, err)
	}
	s.setHeaders(req.Header)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("post %q: %w", s.o.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return &StatusError{URL: s.o.URL, Code: resp.StatusCode, Message: strings.TrimSpace(string(msg))}
}

func (s *Sink) setHeaders(h http.Header) {
	for k, v := range s.o.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Encoding", "snappy")
	h.Set("Content-Type", "application/x-protobuf")
	h.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", "qmonit")
	}
	switch {
	case s.o.BearerToken != "":
		h.Set("Authorization", "Bearer "+s.o.BearerToken)
	case s.o.Username != "" || s.o.Password != "":
		req := http.Request{Header: h}
		req.SetBasicAuth(s.o.Username, s.o.Password)
	}
}
