package remotewrite

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/qmonit/qmonit/internal/point"
)

// synthPoints returns n points at t: queues of 4 prod sources x statuses,
// jobs = index, every queue sharing one Attrs with the given workflow tag.
func synthPoints(n int, t time.Time, workflow string) []point.Point {
	statuses := []string{"running", "activated", "defined", "starting", "finished", "failed"}
	sources := []string{"managed", "user", "test", "ptest"}
	out := make([]point.Point, 0, n)
	var attrs *point.Attrs
	for i := 0; i < n; i++ {
		q := i / (len(statuses) * len(sources))
		if i%(len(statuses)*len(sources)) == 0 {
			attrs = new(point.Attrs)
			for a := range attrs {
				attrs[a] = fmt.Sprintf("%s-%d", point.AttrNames[a], q%7)
			}
			attrs[point.Workflow] = workflow
		}
		out = append(out, point.Point{
			Time:       t,
			Queue:      fmt.Sprintf("QUEUE_%05d", q),
			ProdSource: sources[(i/len(statuses))%len(sources)],
			Resource:   "SCORE",
			Status:     statuses[i%len(statuses)],
			Attrs:      attrs,
			Jobs:       int64(i),
		})
	}
	return out
}

// request is one request seen by a recorder.
type request struct {
	header http.Header
	body   prompb.WriteRequest
	raw    int // compressed size
}

// recorder is an httptest server that decodes remote write requests and
// answers with status.
type recorder struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []request
	status int
	msg    string
}

func newRecorder(t *testing.T, status int, msg string) *recorder {
	r := &recorder{t: t, status: status, msg: msg}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("read body: %v", err)
	}
	wr, err := decode(raw)
	if err != nil {
		r.t.Errorf("decode body: %v", err)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, request{header: req.Header.Clone(), body: wr, raw: len(raw)})
	r.mu.Unlock()
	if r.status == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Error(w, r.msg, r.status)
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// decode undoes the wire encoding: snappy block, then protobuf.
func decode(raw []byte) (prompb.WriteRequest, error) {
	var wr prompb.WriteRequest
	pb, err := snappy.Decode(nil, raw)
	if err != nil {
		return wr, fmt.Errorf("snappy: %w", err)
	}
	if err := wr.Unmarshal(pb); err != nil {
		return wr, fmt.Errorf("proto: %w", err)
	}
	return wr, nil
}

// labelMap returns the labels of ts as a map, failing on duplicates.
func labelMap(t *testing.T, ts prompb.TimeSeries) map[string]string {
	t.Helper()
	m := make(map[string]string, len(ts.Labels))
	for _, l := range ts.Labels {
		if _, dup := m[l.Name]; dup {
			t.Errorf("duplicate label %q in %v", l.Name, ts.Labels)
		}
		m[l.Name] = l.Value
	}
	return m
}

type prompbLabel = prompb.Label
