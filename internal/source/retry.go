package source

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	maxBackoff    = time.Minute      // cap of the doubling backoff
	maxRetryAfter = 10 * time.Minute // a longer Retry-After ends the retries
)

// errBodyTooLarge marks an answer over the cap: retrying would not help.
var errBodyTooLarge = errors.New("body too large")

// doHTTP runs attempts until one succeeds, the error is final, the retries
// are used up, ctx is done, or the next wait would pass ctx's deadline.
func (c *Client) doHTTP(ctx context.Context, method string, r Request) ([]byte, error) {
	for n := 1; ; n++ {
		body, after, err := c.attempt(ctx, method, r)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil || !retryable(err) || n > c.opts.Retries {
			return nil, fmt.Errorf("%s: %w", attempts(n), err)
		}
		if after > maxRetryAfter {
			return nil, fmt.Errorf("%s, server asks to retry after %v: %w", attempts(n), after, err)
		}
		wait := max(c.backoff(n), after)
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			return nil, fmt.Errorf("%s, next retry in %v would pass the deadline: %w",
				attempts(n), wait.Round(time.Millisecond), err)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%s, stopped waiting to retry (%w): %w", attempts(n), serr, err)
		}
	}
}

func attempts(n int) string {
	if n == 1 {
		return "after 1 attempt"
	}
	return "after " + strconv.Itoa(n) + " attempts"
}

// retryable says whether another attempt may succeed: network errors, 5xx
// and 429 may; other answers, an oversized body and a server certificate
// that fails verification will not.
func retryable(err error) bool {
	var cve *tls.CertificateVerificationError
	if errors.Is(err, errBodyTooLarge) || errors.As(err, &cve) {
		return false // a server certificate we reject stays rejected
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Status == http.StatusTooManyRequests
	}
	return true
}

// backoff returns the wait before attempt n+1: Backoff doubled n-1 times,
// capped, with equal jitter (half fixed, half random) so that clients
// restarted together spread out.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.Backoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
// Unparseable or negative values count as absent.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter + time.Second
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter+time.Second)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
