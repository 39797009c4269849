package influx

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/qmonit/qmonit/internal/store/spool"
)

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 64 << 10

// HTTPError is a non-2xx answer from the server. It wraps spool.ErrPermanent
// when retrying cannot help (4xx other than 408 and 429).
type HTTPError struct {
	URL     string
	Status  int
	Message string // the server's error text
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("write %q: status %d: %s", e.URL, e.Status, e.Message)
}

// Permanent reports whether the same request will never succeed.
func (e *HTTPError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// Unwrap returns spool.ErrPermanent for permanent errors.
func (e *HTTPError) Unwrap() error {
	if e.Permanent() {
		return spool.ErrPermanent
	}
	return nil
}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// compress returns batch gzipped.
func compress(batch []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(batch) / 8)
	zw := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(batch); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Send writes one line-protocol batch. It returns nil on 2xx, an *HTTPError
// wrapping spool.ErrPermanent on a 4xx other than 408/429, and a transient
// error otherwise (5xx, 408, 429, network, timeout).
//
// A batch whose header names a target this sink has no retention policy
// (bucket) for, or an unknown one, is permanent: it is quarantined with
// the reason instead of being written to the wrong place.
func (s *Sink) Send(ctx context.Context, batch []byte) error {
	target, batch, err := splitTarget(batch)
	if err != nil {
		return fmt.Errorf("%w: %w", err, spool.ErrPermanent)
	}
	if !s.HasTarget(target) {
		return fmt.Errorf("influx: no retention policy or bucket configured for %s batches: %w", target, spool.ErrPermanent)
	}
	endpoint := s.endpoints[target]
	body := batch
	if s.gzip {
		if body, err = compress(batch); err != nil {
			return fmt.Errorf("write %q: gzip: %w", redact(endpoint), err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("write %q: %w", redact(endpoint), err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if s.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	s.authorize(req)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("write %q: %w", redact(endpoint), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &HTTPError{URL: redact(endpoint), Status: resp.StatusCode, Message: errorMessage(msg)}
}

func (s *Sink) authorize(req *http.Request) {
	switch {
	case s.opts.Version == 2 && s.opts.Token != "":
		req.Header.Set("Authorization", "Token "+s.opts.Token)
	case s.opts.Version == 1 && s.opts.Username != "":
		req.SetBasicAuth(s.opts.Username, s.opts.Password)
	}
}

// errorMessage extracts the message from an InfluxDB error body:
// {"error":"..."} (1.x) or {"code":"...","message":"..."} (2.x), else the
// trimmed body.
func errorMessage(body []byte) string {
	var e struct{ Error, Message string }
	if json.Unmarshal(body, &e) == nil {
		if e.Error != "" {
			return e.Error
		}
		if e.Message != "" {
			return e.Message
		}
	}
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		return "(empty body)"
	}
	return msg
}
