package source

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// reply is one canned answer of a scripted server.
type reply struct {
	status     int
	body       string
	retryAfter string
}

// scripted serves replies in order (the last one repeats) and counts hits.
type scripted struct {
	replies []reply
	hits    atomic.Int32
	last    atomic.Pointer[http.Request]
	bodies  chan string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.hits.Add(1)) - 1
	s.last.Store(r.Clone(context.Background()))
	if s.bodies != nil {
		b, _ := io.ReadAll(r.Body)
		s.bodies <- string(b)
	}
	rp := s.replies[min(n, len(s.replies)-1)]
	if rp.retryAfter != "" {
		w.Header().Set("Retry-After", rp.retryAfter)
	}
	w.WriteHeader(rp.status)
	_, _ = io.WriteString(w, rp.body)
}

func newTestClient(t *testing.T, o Options) *Client {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	c, err := NewClient("test", o)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func TestDoRetries(t *testing.T) {
	for _, tt := range []struct {
		name     string
		replies  []reply
		retries  int
		wantBody string
		wantErr  string // substring; "" means success
		wantHits int32
	}{
		{name: "success", replies: []reply{{200, "ok", ""}}, retries: 2, wantBody: "ok", wantHits: 1},
		{name: "500 then success", replies: []reply{{500, "boom", ""}, {200, "ok", ""}}, retries: 2, wantBody: "ok", wantHits: 2},
		{name: "429 then 503 then success", replies: []reply{{429, "", "0"}, {503, "", ""}, {200, "ok", ""}}, retries: 3, wantBody: "ok", wantHits: 3},
		{name: "404 not retried", replies: []reply{{404, "nope", ""}}, retries: 3, wantErr: "after 1 attempt: HTTP 404 Not Found", wantHits: 1},
		{name: "403 not retried", replies: []reply{{403, "forbidden", ""}}, retries: 3, wantErr: "HTTP 403", wantHits: 1},
		{name: "500 until retries used up", replies: []reply{{500, "boom", ""}}, retries: 2, wantErr: "after 3 attempts: HTTP 500", wantHits: 3},
		{name: "no retries configured", replies: []reply{{502, "", ""}}, retries: 0, wantErr: "after 1 attempt", wantHits: 1},
		{name: "204 empty success", replies: []reply{{204, "", ""}}, wantBody: "", wantHits: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{replies: tt.replies}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			c := newTestClient(t, Options{Retries: tt.retries})
			body, err := c.Do(t.Context(), Request{URL: srv.URL + "/x"})
			if got := s.hits.Load(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			if tt.wantErr == "" {
				if err != nil || string(body) != tt.wantBody {
					t.Fatalf("Do() = %q, %v; want %q", body, err, tt.wantBody)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Do() error = %v, want it to contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), `source "test": get "http://`) {
				t.Errorf("error %q does not name the source and URL", err)
			}
		})
	}
}

func TestDoStatusError(t *testing.T) {
	junk := "<html>\x00\x01forbidden\n\n\tby\xff policy " + strings.Repeat("é", 200)
	s := &scripted{replies: []reply{{403, junk, ""}}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	u := strings.Replace(srv.URL, "http://", "http://alice:hunter2@", 1) + "/api?time_window=10&access_token=s3cret"
	_, err := newTestClient(t, Options{}).Do(t.Context(), Request{URL: u})
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("errors.As(%v, *StatusError) = false", err)
	}
	if se.Status != 403 {
		t.Errorf("Status = %d, want 403", se.Status)
	}
	for _, secret := range []string{"alice", "hunter2", "s3cret"} {
		if strings.Contains(se.URL, secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("secret %q leaks: URL %q, error %q", secret, se.URL, err)
		}
	}
	if !strings.Contains(se.URL, "time_window=10") {
		t.Errorf("URL %q lost its harmless query", se.URL)
	}
	if !strings.HasPrefix(se.Snippet, "<html> forbidden by policy é") || len(se.Snippet) > snippetLen {
		t.Errorf("Snippet = %q (%d bytes)", se.Snippet, len(se.Snippet))
	}
}

func TestDoBodyCap(t *testing.T) {
	const max = 100
	for _, tt := range []struct {
		name    string
		size    int
		chunked bool
		wantErr bool
	}{
		{name: "at cap", size: max},
		{name: "over cap with length", size: max + 1, wantErr: true},
		{name: "at cap chunked", size: max, chunked: true},
		{name: "over cap chunked", size: 10 * max, chunked: true, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				if tt.chunked {
					w.(http.Flusher).Flush()
				}
				_, _ = io.WriteString(w, strings.Repeat("x", tt.size))
			}))
			t.Cleanup(srv.Close)
			body, err := newTestClient(t, Options{MaxBody: max, Retries: 3}).Do(t.Context(), Request{URL: srv.URL})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "body exceeds 100 bytes") {
					t.Fatalf("Do() error = %v, want body exceeds 100 bytes", err)
				}
				if hits.Load() != 1 {
					t.Errorf("hits = %d, want 1 (no retry)", hits.Load())
				}
				return
			}
			if err != nil || len(body) != tt.size {
				t.Fatalf("Do() = %d bytes, %v; want %d", len(body), err, tt.size)
			}
		})
	}
}

func TestDoTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the client gives up
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, Options{Timeout: 20 * time.Millisecond})
	_, err := c.Do(t.Context(), Request{URL: srv.URL})
	var te interface{ Timeout() bool }
	if !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("Do() error = %v, want a timeout", err)
	}
}

func TestDoDeadlineStopsRetries(t *testing.T) {
	for _, tt := range []struct {
		name    string
		reply   reply
		backoff time.Duration
	}{
		{name: "backoff passes deadline", reply: reply{503, "", ""}, backoff: time.Hour},
		{name: "Retry-After passes deadline", reply: reply{429, "", "300"}, backoff: time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{replies: []reply{tt.reply}}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			t.Cleanup(cancel)
			c := newTestClient(t, Options{Retries: 5, Backoff: tt.backoff})
			_, err := c.Do(ctx, Request{URL: srv.URL})
			if err == nil || !strings.Contains(err.Error(), "after 1 attempt, next retry in") ||
				!strings.Contains(err.Error(), "would pass the deadline") {
				t.Fatalf("Do() error = %v", err)
			}
			if s.hits.Load() != 1 {
				t.Errorf("hits = %d, want 1", s.hits.Load())
			}
		})
	}
}

func TestDoCanceledContext(t *testing.T) {
	s := &scripted{replies: []reply{{500, "", ""}}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := newTestClient(t, Options{Retries: 5}).Do(ctx, Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do() error = %v, want context.Canceled", err)
	}
}

func TestDoHeaders(t *testing.T) {
	for _, tt := range []struct {
		name, token, wantAuth string
	}{
		{name: "bearer set", token: "t0k", wantAuth: "Bearer t0k"},
		{name: "bearer unset", token: "", wantAuth: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{replies: []reply{{500, "", ""}, {200, "ok", ""}}, bodies: make(chan string, 2)}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			c := newTestClient(t, Options{BearerToken: tt.token, Retries: 1, UserAgent: "qmonit-test"})
			_, err := c.Do(t.Context(), Request{
				Method: http.MethodPost, URL: srv.URL,
				Header: http.Header{"Content-Type": {"application/json"}},
				Body:   []byte(`{"q":1}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			r := s.last.Load()
			if got := r.Header.Values("Authorization"); strings.Join(got, ",") != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
			}
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
				r.Header.Get("User-Agent") != "qmonit-test" {
				t.Errorf("request = %s %v", r.Method, r.Header)
			}
			for range 2 { // the body is sent again on the retry
				if b := <-s.bodies; b != `{"q":1}` {
					t.Errorf("body = %q", b)
				}
			}
		})
	}
}

func TestDoFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pq.json")
	if err := os.WriteFile(path, []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, Options{MaxBody: 5})
	big := newTestClient(t, Options{})
	for _, tt := range []struct {
		name, url string
		c         *Client
		want      string
		wantErr   string
	}{
		{name: "read", url: "file://" + path, c: big, want: `{"a":1}`},
		{name: "query ignored", url: "file://" + path + "?json", c: big, want: `{"a":1}`},
		{name: "localhost host", url: "file://localhost" + path, c: big, want: `{"a":1}`},
		{name: "missing", url: "file://" + dir + "/nope.json", c: big, wantErr: dir + "/nope.json"},
		{name: "over cap", url: "file://" + path, c: c, wantErr: "body exceeds 5 bytes"},
		{name: "relative", url: "file://pq.json", c: big, wantErr: "want file:///absolute/path"},
		{name: "opaque relative", url: "file:pq.json", c: big, wantErr: "want file:///absolute/path"},
		{name: "directory", url: "file://" + dir, c: big, wantErr: "not a regular file"},
		{name: "other scheme", url: "ftp://example.org/x", c: big, wantErr: `unsupported URL scheme "ftp"`},
		{name: "invalid URL", url: "http://[::1", c: big, wantErr: "invalid URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Do(t.Context(), Request{URL: tt.url})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), `source "test": `) {
					t.Fatalf("Do() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Do() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNewClientRejectsNegativeOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"timeout": {Timeout: -1}, "max body": {MaxBody: -1}, "retries": {Retries: -1}, "backoff": {Backoff: -1},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewClient("x", o); err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("NewClient() error = %v, want one naming %q", err, name)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://u:p@h/x?a=1&token=abc", "https://h/x?a=1&token=xxxxx"},
		{"https://h/x?API_KEY=1&Password=2&sig=3&q=ok", "https://h/x?API_KEY=xxxxx&Password=xxxxx&sig=xxxxx&q=ok"},
		{"file:///x/pq.json?json", "file:///x/pq.json?json"},
		{"http://[::1", "<invalid URL>"},
	} {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {"-3", 0}, {"junk", 0},
		{"99999999999999999999", 0}, {"86400", maxRetryAfter + time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	c := &Client{opts: Options{Backoff: time.Second}}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 20: maxBackoff} {
		for range 20 {
			if got := c.backoff(n); got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, got, want/2, want)
			}
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := Printable([]byte("\x00 a\tb\r\n\xffc  ")); got != "a b c" {
		t.Errorf("Printable() = %q", got)
	}
}
