package panda

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/source"
)

// fakePanDA answers like the real server: v1 and legacy paths, Python repr
// unless Accept is exactly application/json, and HTTP 500 on the legacy
// path when a Content-Type is sent (SOURCES.md §1.2).
type fakePanDA struct {
	t            *testing.T
	v1Status     int    // 0 means 200
	v1Body       []byte // testdata
	legacyStatus int
	legacyBody   []byte

	mu   sync.Mutex
	reqs []*http.Request
}

func (f *fakePanDA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r.Clone(r.Context()))
	f.mu.Unlock()
	jsonOK := strings.Join(r.Header.Values("Accept"), ",") == "application/json"
	var status int
	var body []byte
	switch r.URL.Path {
	case v1Path:
		status, body = f.v1Status, f.v1Body
	case legacyPath:
		status, body = f.legacyStatus, f.legacyBody
		if r.Header.Get("Content-Type") != "" {
			status, body = http.StatusInternalServerError, []byte("gzip: invalid header")
		}
	default:
		status, body = http.StatusNotFound, []byte("not found")
	}
	if status == 0 {
		status = http.StatusOK
	}
	if status == http.StatusOK && !jsonOK {
		body = readTestdata(f.t, "python_repr.txt")
	}
	w.Header().Set("Content-Type", "text/plain") // as the real server, even for JSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (f *fakePanDA) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

func (f *fakePanDA) paths() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.URL.RequestURI())
	}
	return out
}

func newSourceClient(t *testing.T, o source.Options) *source.Client {
	t.Helper()
	o.Backoff = time.Millisecond
	c, err := source.NewClient("panda", o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFetch(t *testing.T) {
	v1 := v1Path + "?time_window=10"
	legacy := legacyPath + "?time_window=10"
	for _, tt := range []struct {
		name         string
		fake         *fakePanDA
		maxBody      int64
		wantEndpoint string
		wantEntries  int
		wantPaths    []string
		wantErr      string
	}{
		{name: "v1 ok", fake: &fakePanDA{v1Body: readTestdata(t, "v1_ok.json")},
			wantEndpoint: EndpointV1, wantEntries: 31, wantPaths: []string{v1}},
		{name: "legacy fallback on 404", fake: &fakePanDA{v1Status: 404, legacyBody: readTestdata(t, "legacy_ok.json")},
			wantEndpoint: EndpointLegacy, wantEntries: 21, wantPaths: []string{v1, legacy}},
		{name: "legacy fallback on 403", fake: &fakePanDA{v1Status: 403, v1Body: []byte("ERROR : method is forbidden"), legacyBody: readTestdata(t, "legacy_ok.json")},
			wantEndpoint: EndpointLegacy, wantEntries: 21, wantPaths: []string{v1, legacy}},
		{name: "both endpoints gone", fake: &fakePanDA{v1Status: 404, legacyStatus: 403, legacyBody: []byte("ERROR : method is forbidden")},
			wantPaths: []string{v1, legacy}, wantErr: `v1 endpoint answered HTTP 404, legacy fallback: source "panda": get "http://`},
		{name: "no fallback on 500", fake: &fakePanDA{v1Status: 500},
			wantPaths: []string{v1}, wantErr: "HTTP 500"},
		{name: "success false", fake: &fakePanDA{v1Body: readTestdata(t, "v1_failure.json")},
			wantPaths: []string{v1}, wantErr: `source "panda": decode "http://`},
		{name: "HTML with status 200", fake: &fakePanDA{v1Body: readTestdata(t, "html_200.html")},
			wantPaths: []string{v1}, wantErr: "HTML page, not JSON"},
		{name: "zero queues", fake: &fakePanDA{v1Body: readTestdata(t, "v1_empty.json")},
			wantEndpoint: EndpointV1, wantPaths: []string{v1}},
		{name: "body over the cap", fake: &fakePanDA{v1Body: readTestdata(t, "v1_ok.json")}, maxBody: 100,
			wantPaths: []string{v1}, wantErr: "body exceeds 100 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.fake.t = t
			srv := httptest.NewServer(tt.fake)
			t.Cleanup(srv.Close)
			p := New(srv.URL+"/", newSourceClient(t, source.Options{MaxBody: tt.maxBody}))
			st, err := p.Fetch(t.Context(), 10*time.Minute+30*time.Second)
			if got := tt.fake.paths(); strings.Join(got, " ") != strings.Join(tt.wantPaths, " ") {
				t.Errorf("requests = %q, want %q", got, tt.wantPaths)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Fetch() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || st.Endpoint != tt.wantEndpoint || len(st.Entries) != tt.wantEntries {
				t.Fatalf("Fetch() = %s with %d entries, %v; want %s with %d",
					st.Endpoint, len(st.Entries), err, tt.wantEndpoint, tt.wantEntries)
			}
			checkInvariants(t, st)
		})
	}
}

func TestFetchSendsExactlyAcceptJSON(t *testing.T) {
	fake := &fakePanDA{t: t, v1Status: 404, legacyBody: readTestdata(t, "legacy_ok.json")}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if _, err := New(srv.URL, newSourceClient(t, source.Options{})).Fetch(t.Context(), time.Hour); err != nil {
		t.Fatal(err)
	}
	reqs := fake.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want v1 and legacy", len(reqs))
	}
	for _, r := range reqs {
		if got := r.Header.Values("Accept"); len(got) != 1 || got[0] != "application/json" {
			t.Errorf("%s: Accept = %q", r.URL.Path, got)
		}
		for _, h := range []string{"Content-Type", "Authorization", "Origin"} {
			if v := r.Header.Values(h); len(v) > 0 {
				t.Errorf("%s: unexpected %s %q", r.URL.Path, h, v)
			}
		}
		if r.Method != http.MethodGet || r.URL.Query().Get("time_window") != "60" {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
	}
}

// TestFakeAnswersPythonRepr checks the fake behaves like PanDA, so that
// TestFetchSendsExactlyAcceptJSON means something.
func TestFakeAnswersPythonRepr(t *testing.T) {
	srv := httptest.NewServer(&fakePanDA{t: t, v1Body: readTestdata(t, "v1_ok.json")})
	t.Cleanup(srv.Close)
	body, err := newSourceClient(t, source.Options{}).Do(t.Context(), source.Request{
		URL: srv.URL + v1Path, Header: http.Header{"Accept": {"application/json, text/plain"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeV1(body); err == nil || !strings.Contains(err.Error(), "Python repr") {
		t.Fatalf("DecodeV1(fake answer to a list Accept) error = %v", err)
	}
}

func TestFetchFile(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join("testdata", "v1_ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{
		"v1 file":           "file://" + abs,
		"v1 file with json": "file://" + abs + "?json",
		"legacy file":       "file://" + strings.Replace(abs, "v1_ok.json", "legacy_ok.json", 1),
	} {
		t.Run(name, func(t *testing.T) {
			st, err := New(url, newSourceClient(t, source.Options{})).Fetch(t.Context(), 0) // window unused
			if err != nil || st.Endpoint != EndpointFile || len(st.Entries) == 0 {
				t.Fatalf("Fetch() = %+v, %v", st, err)
			}
		})
	}
	_, err = New("file://"+abs+".missing", newSourceClient(t, source.Options{})).Fetch(t.Context(), time.Minute)
	if err == nil || !strings.Contains(err.Error(), abs+".missing") {
		t.Fatalf("Fetch(missing file) error = %v", err)
	}
}

func TestFetchWindow(t *testing.T) {
	c := New("http://127.0.0.1:1", newSourceClient(t, source.Options{}))
	for _, w := range []time.Duration{0, 59 * time.Second, -time.Minute, 10081 * time.Minute} {
		if _, err := c.Fetch(t.Context(), w); err == nil || !strings.Contains(err.Error(), "time window") {
			t.Errorf("Fetch(%v) error = %v, want a time window error", w, err)
		}
	}
}

func TestFetchStatusErrorReachable(t *testing.T) {
	srv := httptest.NewServer(&fakePanDA{t: t, v1Status: 404, legacyStatus: 404})
	t.Cleanup(srv.Close)
	_, err := New(srv.URL, newSourceClient(t, source.Options{})).Fetch(t.Context(), 10*time.Minute)
	var se *source.StatusError
	if !errors.As(err, &se) || se.Status != 404 || !strings.Contains(se.URL, legacyPath) {
		t.Fatalf("Fetch() error = %v, want the legacy *StatusError", err)
	}
}
