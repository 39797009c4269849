package source

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetLen is how much of an error answer a StatusError keeps.
const snippetLen = 200

// StatusError is a non-2xx HTTP answer.
type StatusError struct {
	URL     string // redacted: no userinfo, secret query values replaced
	Status  int
	Snippet string // the first 200 bytes of the body, as printable text
}

// Error implements error. The URL is left out: the wrapping error names it.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d", e.Status)
	if t := http.StatusText(e.Status); t != "" {
		msg += " " + t
	}
	if e.Snippet != "" {
		msg += fmt.Sprintf(": %q", e.Snippet)
	}
	return msg
}

func newStatusError(rawURL string, resp *http.Response) *StatusError {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, snippetLen))
	return &StatusError{URL: RedactURL(rawURL), Status: resp.StatusCode, Snippet: Printable(head)}
}

// Printable turns untrusted bytes into one line of printable text for
// errors and logs: invalid UTF-8 and control characters become spaces,
// runs of spaces collapse, and the ends are trimmed.
func Printable(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	space := false
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r == utf8.RuneError || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			space = sb.Len() > 0
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// secretParams are query parameter name fragments whose values RedactURL hides.
var secretParams = []string{"token", "key", "pass", "secret", "auth", "sig", "session", "credential"}

// RedactURL returns raw without userinfo and with the values of query
// parameters whose name looks secret (token, key, password, ...) replaced by
// "xxxxx", for errors and logs. Text that does not parse as a URL is
// reduced to "<invalid URL>".
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	u.User = nil
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if hasValue && isSecret(name) {
				parts[i] = name + "=xxxxx"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

func isSecret(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.ToLower(name)
	for _, s := range secretParams {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// readCapped reads r up to max bytes; more is an error wrapping
// errBodyTooLarge. length is the announced Content-Length (-1 if unknown).
func readCapped(r io.Reader, length, max int64) ([]byte, error) {
	if length > max {
		return nil, fmt.Errorf("body exceeds %d bytes (Content-Length %d): %w", max, length, errBodyTooLarge)
	}
	var buf bytes.Buffer
	if length > 0 {
		buf.Grow(int(length) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body after %d bytes: %w", n, err)
	}
	if n > max {
		return nil, fmt.Errorf("body exceeds %d bytes: %w", max, errBodyTooLarge)
	}
	return buf.Bytes(), nil
}
