// Package source is the infrastructure every qmonit upstream shares: one
// HTTP client per source (TLS from the options, a timeout per attempt, a body
// size cap, retries with backoff inside the caller's deadline, file:// URLs
// for local answers) and the Tracker, the single wrapper that times every
// source run and keeps its up/down state, logs and metrics. The source
// packages (panda, cric, datadisk) only build requests and decode answers.
package source

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

// Defaults used when an Options field is zero.
const (
	DefaultTimeout = 60 * time.Second
	DefaultMaxBody = 32 << 20 // 32 MiB
	DefaultBackoff = time.Second
)

// Options configures a Client. The zero value is usable: defaults apply to
// Timeout, MaxBody and Backoff; Retries zero means a single attempt.
type Options struct {
	Timeout     time.Duration // per attempt, not for the whole Do
	MaxBody     int64         // bytes; a larger answer is an error
	Retries     int           // extra attempts after the first one
	Backoff     time.Duration // first wait between attempts; doubles each retry
	BearerToken string        // sent as "Authorization: Bearer <t>" when not empty

	CertFile, KeyFile string // X.509 client certificate and key (PEM)
	ProxyFile         string // X.509 proxy: certificate chain and key in one PEM file
	CADir             string // directory of PEM CA certificates (*.pem, *.0)
	CAFile            string // PEM bundle of CA certificates

	InsecureSkipVerify bool
	UserAgent          string // sent when not empty
}

// Client fetches the answers of one named source. It is safe for
// concurrent use; its http.Client (and so its connections) is reused.
type Client struct {
	name string
	opts Options
	http *http.Client
}

// Request is one call to an upstream. Header is sent as given; Body is sent
// again on every attempt.
type Request struct {
	Method string // GET when empty
	URL    string
	Header http.Header
	Body   []byte
}

// NewClient builds the client of the source called name. It fails when the
// options are out of range or a TLS file cannot be used; the error names the
// source and the file.
func NewClient(name string, o Options) (*Client, error) {
	if err := o.defaults(); err != nil {
		return nil, fmt.Errorf("source %q: %w", name, err)
	}
	tlsConf, err := buildTLS(o)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", name, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	return &Client{
		name: name,
		opts: o,
		http: &http.Client{Transport: tr, Timeout: o.Timeout},
	}, nil
}

func (o *Options) defaults() error {
	switch {
	case o.Timeout < 0:
		return fmt.Errorf("timeout %v is negative", o.Timeout)
	case o.MaxBody < 0:
		return fmt.Errorf("max body %d is negative", o.MaxBody)
	case o.Retries < 0:
		return fmt.Errorf("retries %d is negative", o.Retries)
	case o.Backoff < 0:
		return fmt.Errorf("backoff %v is negative", o.Backoff)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	return nil
}

// Name returns the source name given to NewClient.
func (c *Client) Name() string { return c.name }

// MaxBody returns the body size cap in bytes.
func (c *Client) MaxBody() int64 { return c.opts.MaxBody }

// Do performs r and returns the body of a 2xx answer. http(s) URLs are
// retried on network errors, 5xx and 429 while ctx allows it; file:// URLs
// (file:///absolute/path, query ignored) are read from disk. Every error
// names the source and the URL (userinfo and secret query values removed);
// a non-2xx answer is a *StatusError, reachable with errors.As.
func (c *Client) Do(ctx context.Context, r Request) ([]byte, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, c.wrap(method, r.URL, errors.New("invalid URL"))
	}
	var body []byte
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		body, err = c.doHTTP(ctx, method, r)
	case "file":
		method = "read"
		body, err = readFile(ctx, u, c.opts.MaxBody)
	default:
		err = fmt.Errorf("unsupported URL scheme %q (want http, https or file)", u.Scheme)
	}
	if err != nil {
		return nil, c.wrap(method, r.URL, err)
	}
	return body, nil
}

func (c *Client) wrap(verb, rawURL string, err error) error {
	return fmt.Errorf("source %q: %s %q: %w", c.name, strings.ToLower(verb), RedactURL(rawURL), err)
}

// attempt performs one HTTP exchange. It returns the Retry-After wait the
// server asked for (zero when none).
func (c *Client) attempt(ctx context.Context, method string, r Request) ([]byte, time.Duration, error) {
	var body io.Reader // stays a nil interface without a body
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return nil, 0, fmt.Errorf("build request: %w", stripURLError(err))
	}
	for k, vs := range r.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if c.opts.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.BearerToken)
	}
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, stripURLError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()), newStatusError(r.URL, resp)
	}
	b, err := readCapped(resp.Body, resp.ContentLength, c.opts.MaxBody)
	return b, 0, err
}

// stripURLError drops the *url.Error layer: it repeats the full URL,
// secrets included, and the caller already names the redacted URL.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
