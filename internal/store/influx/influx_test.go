package influx

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/spool"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestNewValidates(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    Options
	}{
		{"no url", Options{Database: "db"}},
		{"bad scheme", Options{URL: "ftp://x", Database: "db"}},
		{"v1 no db", Options{URL: "http://x"}},
		{"v2 no bucket", Options{URL: "http://x", Version: 2}},
		{"v3", Options{URL: "http://x", Version: 3, Database: "db"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.o, nil); err == nil {
				t.Fatalf("New(%+v) = nil error", tt.o)
			}
		})
	}
}

func TestEncodeBatches(t *testing.T) {
	pts := synthPoints(12, t0)
	s := newSink(t, Options{URL: "http://x", Database: "db", BatchSize: 5})
	got := s.Encode(pts)
	if len(got) != 3 {
		t.Fatalf("Encode() = %d batches; want 3", len(got))
	}
	want := lines(pts)
	for i, b := range got {
		if w := joinLines(want[i*5 : min(i*5+5, 12)]); string(b) != string(w) {
			t.Fatalf("batch %d =\n%s\nwant\n%s", i, b, w)
		}
	}
}

func TestSendPathsAndAuth(t *testing.T) {
	off := false
	for _, tt := range []struct {
		name      string
		o         Options
		path      string
		query     map[string]string
		auth      string
		plainBody bool
	}{
		{
			name: "v1 basic auth gzip", path: "/write",
			o:     Options{Version: 1, Database: "monitor", RetentionPolicy: "autogen", Username: "u", Password: "p"},
			query: map[string]string{"db": "monitor", "rp": "autogen", "precision": "ns"},
			auth:  "Basic dTpw",
		},
		{
			name: "v1 no auth plain", path: "/write",
			o:     Options{Database: "monitor", Gzip: &off},
			query: map[string]string{"db": "monitor", "precision": "ns"}, plainBody: true,
		},
		{
			name: "v2 token", path: "/api/v2/write",
			o:     Options{Version: 2, Org: "atlas", Bucket: "qmonit", Token: "sekret"},
			query: map[string]string{"org": "atlas", "bucket": "qmonit", "precision": "ns"},
			auth:  "Token sekret",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			tt.o.URL = srv.URL
			s := newSink(t, tt.o)
			pts := synthPoints(7, t0)
			if err := s.Write(t.Context(), pts); err != nil {
				t.Fatalf("Write() = %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests; want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != tt.path || !mapsEqual(r.Query, tt.query) {
				t.Fatalf("request %s %s %v; want POST %s %v", r.Method, r.Path, r.Query, tt.path, tt.query)
			}
			if got := r.Header.Get("Authorization"); got != tt.auth {
				t.Fatalf("Authorization = %q; want %q", got, tt.auth)
			}
			if gz := r.Header.Get("Content-Encoding") == "gzip"; gz == tt.plainBody {
				t.Fatalf("Content-Encoding = %q; plain body wanted: %v", r.Header.Get("Content-Encoding"), tt.plainBody)
			}
			if !slices.Equal(r.Lines, lines(pts)) {
				t.Fatalf("body lines =\n%q\nwant\n%q", r.Lines, lines(pts))
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSendErrors(t *testing.T) {
	for _, tt := range []struct {
		code      int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusNotFound, true},
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusServiceUnavailable, false},
	} {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			_, srv := newFake(t, tt.code)
			s := newSink(t, Options{URL: srv.URL, Database: "db"})
			err := s.Send(t.Context(), []byte("jobs x=1i 1\n"))
			var he *HTTPError
			if !errors.As(err, &he) || he.Status != tt.code {
				t.Fatalf("Send() = %v; want *HTTPError with status %d", err, tt.code)
			}
			if errors.Is(err, spool.ErrPermanent) != tt.permanent {
				t.Fatalf("errors.Is(%v, ErrPermanent) = %v; want %v", err, !tt.permanent, tt.permanent)
			}
			if !strings.Contains(err.Error(), "unable to parse 'jobs,x=1 y=abc': invalid boolean") {
				t.Fatalf("Send() = %v; want the server's message", err)
			}
		})
	}
	t.Run("network", func(t *testing.T) {
		_, srv := newFake(t)
		srv.Close()
		s := newSink(t, Options{URL: srv.URL, Database: "db"})
		err := s.Send(t.Context(), []byte("jobs x=1i 1\n"))
		if err == nil || errors.Is(err, spool.ErrPermanent) {
			t.Fatalf("Send() to a closed server = %v; want a transient error", err)
		}
	})
}

func TestWriteQuarantinesBadRequest(t *testing.T) {
	f, srv := newFake(t, http.StatusBadRequest)
	dir := t.TempDir()
	s := newSink(t, Options{URL: srv.URL, Database: "db", BatchSize: 4, Spool: openSpool(t, dir)})
	if err := s.Write(t.Context(), synthPoints(8, t0)); err != nil {
		t.Fatalf("Write() = %v; a permanent error should be quarantined, not returned", err)
	}
	if n := len(f.requests()); n != 2 {
		t.Fatalf("server saw %d requests; want 2", n)
	}
	reason, err := os.ReadFile(filepath.Join(dir, "quarantine", "00000000000000000001.batch.reason"))
	if err != nil || !strings.Contains(string(reason), "status 400: unable to parse") {
		t.Fatalf("reason file = %q, %v", reason, err)
	}
	if n, _, _ := s.opts.Spool.Backlog(); n != 0 {
		t.Fatalf("Backlog() = %d; want 0", n)
	}
}

func TestWriteKeepsBatchesDuringOutage(t *testing.T) {
	f, srv := newFake(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	dir := t.TempDir()
	o := Options{URL: srv.URL, Database: "db", Spool: openSpool(t, dir)}
	s := newSink(t, o)
	c1, c2, c3 := synthPoints(3, t0), synthPoints(3, t0.Add(10*time.Minute)), synthPoints(3, t0.Add(20*time.Minute))
	for i, c := range [][]point.Point{c1, c2} {
		if err := s.Write(t.Context(), c); err == nil || errors.Is(err, spool.ErrPermanent) {
			t.Fatalf("cycle %d: Write() = %v; want a transient error", i+1, err)
		}
	}
	if n, _, _ := o.Spool.Backlog(); n != 2 {
		t.Fatalf("Backlog() = %d after outage; want 2", n)
	}
	// Restart: a new spool and sink on the same directory.
	o.Spool = openSpool(t, dir)
	s = newSink(t, o)
	if err := s.Write(t.Context(), c3); err != nil {
		t.Fatalf("Write() after recovery = %v", err)
	}
	reqs := f.requests()
	var got [][]string
	for _, r := range reqs[2:] {
		got = append(got, r.Lines)
	}
	want := [][]string{lines(c1), lines(c2), lines(c3)}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after recovery the server got %d batches %q;\nwant in order %q", len(got), got, want)
	}
	if n, _, _ := o.Spool.Backlog(); n != 0 {
		t.Fatalf("Backlog() = %d; want 0", n)
	}
}

func TestWriteHonoursDeadline(t *testing.T) {
	block := make(chan struct{})
	srv := httptestBlocking(t, block)
	s := newSink(t, Options{URL: srv, Database: "db", Spool: openSpool(t, t.TempDir())})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Write(ctx, synthPoints(3, t0))
	close(block)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Write() = %v after %v; want a deadline error soon", err, time.Since(start))
	}
	if n, _, _ := s.opts.Spool.Backlog(); n != 1 {
		t.Fatalf("Backlog() = %d; want 1", n)
	}
}
