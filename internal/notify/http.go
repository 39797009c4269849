package notify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Response and file limits.
const (
	maxResponseBytes = 64 << 10 // read of any HTTP answer
	maxExcerpt       = 256      // of an answer, in errors
	maxCAFile        = 8 << 20
)

// poster POSTs bodies to one URL. Errors show only the URL's scheme and
// host: webhook paths often carry the secret (Mattermost, Slack).
type poster struct {
	channel string
	url     string
	safe    string // scheme://host for messages
	token   string // bearer token, "" for none
	client  *http.Client
}

func newPoster(channel, rawURL, token string, timeout time.Duration, caFile string) (*poster, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notify %q: url: want an http or https URL with a host", channel)
	}
	client, err := newHTTPClient(timeout, caFile)
	if err != nil {
		return nil, fmt.Errorf("notify %q: %w", channel, err)
	}
	return &poster{channel: channel, url: rawURL, safe: u.Scheme + "://" + u.Host, token: token, client: client}, nil
}

// newHTTPClient returns a client with an overall timeout that does not
// follow redirects (a redirect would carry the bearer token elsewhere) and
// trusts caFile in addition to the system roots.
func newHTTPClient(timeout time.Duration, caFile string) (*http.Client, error) {
	tlsConf, err := tlsConfig(caFile, "")
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	timeout = cmp.Or(timeout, 30*time.Second)
	tr.ResponseHeaderTimeout = timeout
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// tlsConfig trusts the system roots plus the PEM certificates in caFile.
func tlsConfig(caFile, serverName string) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile == "" {
		return conf, nil
	}
	pem, err := readLimited(caFile, maxCAFile)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %q: no PEM certificate found", caFile)
	}
	conf.RootCAs = pool
	return conf, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%q is larger than %d bytes", path, limit)
	}
	return data, nil
}

// post sends body and maps the answer: 2xx is success; 408, 429 and 5xx
// are retried; redirects and other 4xx are final.
func (p *poster) post(ctx context.Context, contentType string, body []byte) error {
	op := "POST " + p.safe
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return &DeliveryError{Channel: p.channel, Op: op, Final: true, Err: errors.New("build request")}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "qmonit-notify")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, secret path included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &DeliveryError{Channel: p.channel, Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	code := resp.StatusCode
	e := &DeliveryError{
		Channel: p.channel, Op: op, Status: code, Body: excerpt(data),
		Final: code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests,
		Retry: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	if code >= 300 && code < 400 {
		e.Err = errors.New("redirect not followed")
	}
	return e
}

// excerpt is the start of an answer, one line, for error messages.
func excerpt(b []byte) string {
	return oneLine(strings.TrimSpace(string(b[:min(len(b), maxExcerpt)])), maxExcerpt)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}
