package datadisk

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/source"
)

// fakeMONIT records the request and answers a testdata file.
type fakeMONIT struct {
	status int
	answer []byte

	mu   sync.Mutex
	req  *http.Request
	body []byte
	hits int
}

func (f *fakeMONIT) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.req, f.body = r.Clone(r.Context()), body
	f.hits++
	f.mu.Unlock()
	if f.status != 0 {
		w.WriteHeader(f.status)
	}
	_, _ = w.Write(f.answer)
}

func (f *fakeMONIT) last() (*http.Request, []byte, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.req, f.body, f.hits
}

func newClient(t *testing.T, url string, o source.Options) *Client {
	t.Helper()
	o.Backoff = time.Millisecond
	c, err := source.NewClient("datadisk", o)
	if err != nil {
		t.Fatal(err)
	}
	return New(url, DefaultIndex, c)
}

func TestFetch(t *testing.T) {
	fake := &fakeMONIT{answer: readTestdata(t, "ok.json")}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	got, bad, err := newClient(t, srv.URL+"/api/datasources/proxy/9037/_msearch", source.Options{BearerToken: "glsa_x"}).Fetch(t.Context(), now)
	if err != nil || len(got) != 4 || len(bad) != 0 {
		t.Fatalf("Fetch() = %v, %v, %v", got, bad, err)
	}
	r, body, _ := fake.last()
	for h, want := range map[string]string{
		"Authorization": "Bearer glsa_x", "Content-Type": "application/json", "Accept": "application/json",
	} {
		if v := r.Header.Values(h); len(v) != 1 || v[0] != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/datasources/proxy/9037/_msearch" {
		t.Errorf("request = %s %s", r.Method, r.URL)
	}
	if string(body) != string(readTestdata(t, "query.ndjson.golden")) {
		t.Errorf("body =\n%s", body)
	}
}

func TestFetchNoTokenNoAuthHeader(t *testing.T) {
	fake := &fakeMONIT{answer: readTestdata(t, "ok_es7.json")}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if _, _, err := newClient(t, srv.URL, source.Options{}).Fetch(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := fake.last(); r.Header.Get("Authorization") != "" {
		t.Errorf("Authorization sent without a token: %q", r.Header.Get("Authorization"))
	}
}

func TestFetchErrors(t *testing.T) {
	for _, tt := range []struct {
		name       string
		fake       *fakeMONIT
		wantErr    string
		wantStatus int
	}{
		{name: "HTTP 401", fake: &fakeMONIT{status: 401, answer: []byte(`{"message":"Unauthorized"}`)},
			wantErr: `source "datadisk": post "http://`, wantStatus: 401},
		{name: "status 500 inside responses", fake: &fakeMONIT{answer: readTestdata(t, "status_500.json")},
			wantErr: `source "datadisk": decode "http://`},
		{name: "error object", fake: &fakeMONIT{answer: readTestdata(t, "error_object.json")},
			wantErr: "index_not_found_exception"},
		{name: "missing aggregations", fake: &fakeMONIT{answer: readTestdata(t, "missing_aggregations.json")},
			wantErr: "responses[0].aggregations is missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.fake)
			t.Cleanup(srv.Close)
			_, _, err := newClient(t, srv.URL+"/?token=s3cret", source.Options{}).Fetch(t.Context(), time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("Fetch() error = %v, want %q", err, tt.wantErr)
			}
			var se *source.StatusError
			if got := errors.As(err, &se); got != (tt.wantStatus != 0) || got && se.Status != tt.wantStatus {
				t.Errorf("errors.As(*StatusError) = %v (%+v), want status %d", got, se, tt.wantStatus)
			}
		})
	}
}

func TestFetchFile(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join("testdata", "ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := newClient(t, "file://"+abs, source.Options{}).Fetch(t.Context(), time.Now())
	if err != nil || got["AGLT2_DATADISK"].Files != 1559635 {
		t.Fatalf("Fetch(file) = %v, %v", got, err)
	}
}
