package influx

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/spool"
)

var statuses = []string{"activated", "running", "finished", "failed", "holding"}

// synthPoints builds n points stamped t, spread over queues of 5 statuses.
func synthPoints(n int, t time.Time) []point.Point {
	pts := make([]point.Point, n)
	attrs := map[int]*point.Attrs{}
	for i := range pts {
		q := i / len(statuses)
		a, ok := attrs[q]
		if !ok {
			a = &point.Attrs{}
			for j := range a {
				a[j] = fmt.Sprintf("%s-%d", point.AttrNames[j], q%37)
			}
			a[point.Federation] = "CH-CERN, T2 \"x\"=y" // needs escaping
			attrs[q] = a
		}
		pts[i] = point.Point{
			Time: t, Queue: fmt.Sprintf("QUEUE_%05d", q), ProdSource: "managed",
			Resource: "SCORE", Status: statuses[i%len(statuses)], Attrs: a,
			Jobs: int64(i), ResourceFactor: 1, Corepower: 10.5, Pledge: 1234.5,
		}
	}
	return pts
}

// request is what the fake server saw.
type request struct {
	Method, Path string
	Query        map[string]string
	Header       http.Header
	Lines        []string // decoded (gunzipped) body, split into lines
}

// fakeInflux records writes and answers with the next status from codes
// (204 once they run out).
type fakeInflux struct {
	mu    sync.Mutex
	reqs  []request
	codes []int
	body  string
}

func newFake(t *testing.T, codes ...int) (*fakeInflux, *httptest.Server) {
	t.Helper()
	f := &fakeInflux{codes: codes, body: `{"error":"unable to parse 'jobs,x=1 y=abc': invalid boolean"}`}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeInflux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = v[0]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, request{r.Method, r.URL.Path, q, r.Header.Clone(),
		strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")})
	code := http.StatusNoContent
	if len(f.codes) > 0 {
		code, f.codes = f.codes[0], f.codes[1:]
	}
	if code >= 400 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, f.body)
		return
	}
	w.WriteHeader(code)
}

func (f *fakeInflux) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

func openSpool(t *testing.T, dir string) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(dir, spool.Options{Name: "influx"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("spool.Open() = %v", err)
	}
	return sp
}

func newSink(t *testing.T, o Options) *Sink {
	t.Helper()
	s, err := New(o, nil)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return s
}

// lines encodes pts the way Encode should, one string per point.
func lines(pts []point.Point) []string {
	out := make([]string, len(pts))
	for i := range pts {
		out[i] = string(point.AppendLineProtocol(nil, &pts[i]))
	}
	return out
}

func joinLines(ls []string) []byte {
	var b bytes.Buffer
	for _, l := range ls {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// httptestBlocking starts a server whose handler waits until block is
// closed or the request is cancelled, and returns its URL.
func httptestBlocking(t *testing.T, block <-chan struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
