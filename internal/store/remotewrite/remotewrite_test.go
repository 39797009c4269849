package remotewrite

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/qmonit/qmonit/internal/point"
)

func newSink(t *testing.T, o Options) *Sink {
	t.Helper()
	s, err := New(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sendAll(t *testing.T, s *Sink, batches [][]byte) {
	t.Helper()
	for i, b := range batches {
		if err := s.Send(context.Background(), b); err != nil {
			t.Fatalf("send batch %d: %v", i, err)
		}
	}
}

func TestEncodePointsRoundTrip(t *testing.T) {
	rec := newRecorder(t, 0, "")
	s := newSink(t, Options{URL: rec.srv.URL, BatchSize: 100, BearerToken: "tok",
		Headers: map[string]string{"X-Scope-OrgID": "atlas"}})
	ts := time.Date(2026, 3, 1, 12, 10, 0, 0, time.UTC)
	pts := synthPoints(250, ts, "wf")
	batches := s.EncodePoints(pts)
	if len(batches) != 3 {
		t.Fatalf("got %d batches, want 3", len(batches))
	}
	sendAll(t, s, batches)

	reqs := rec.requests()
	var sizes []int
	i := 0
	for _, r := range reqs {
		sizes = append(sizes, len(r.body.Timeseries))
		checkHeaders(t, r.header)
		if got := r.header.Get("Authorization"); got != "Bearer tok" {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.header.Get("X-Scope-OrgID"); got != "atlas" {
			t.Errorf("X-Scope-OrgID = %q", got)
		}
		for _, ser := range r.body.Timeseries {
			p := &pts[i]
			i++
			if len(ser.Labels) != 22 || ser.Labels[0].Name != "__name__" || ser.Labels[0].Value != MetricJobs {
				t.Fatalf("labels = %v, want __name__=%s first and 21 tags", ser.Labels, MetricJobs)
			}
			if !slices.IsSortedFunc(ser.Labels, func(a, b prompbLabel) int { return strings.Compare(a.Name, b.Name) }) {
				t.Errorf("labels not sorted: %v", ser.Labels)
			}
			m := labelMap(t, ser)
			for _, tag := range p.Tags() {
				if m[tag.Key] != tag.Value {
					t.Errorf("label %s = %q, want %q", tag.Key, m[tag.Key], tag.Value)
				}
			}
			if len(ser.Samples) != 1 || ser.Samples[0].Value != float64(p.Jobs) || ser.Samples[0].Timestamp != ts.UnixMilli() {
				t.Errorf("samples = %v, want %d @ %d", ser.Samples, p.Jobs, ts.UnixMilli())
			}
		}
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) || i != len(pts) {
		t.Errorf("batch sizes %v (total %d), want [100 100 50]", sizes, i)
	}
}

func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Encoding":                  "snappy",
		"Content-Type":                      "application/x-protobuf",
		"X-Prometheus-Remote-Write-Version": "0.1.0",
		"User-Agent":                        "qmonit",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestHostileValuesSurvive(t *testing.T) {
	rec := newRecorder(t, 0, "")
	s := newSink(t, Options{URL: rec.srv.URL, Username: "u", Password: "p w"})
	hostile := []string{"with spaces", `<img src=x onerror="alert(1)">`, "Genève ÄÖÜ 東京 🚀", `a"b\c` + "\n", "bad\xffutf8"}
	ts := time.UnixMilli(1_700_000_000_123)
	pts := synthPoints(len(hostile), ts, "wf")
	for i, h := range hostile {
		pts[i].Queue = h
	}
	sendAll(t, s, s.EncodePoints(pts))
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	if u, p, ok := (&http.Request{Header: reqs[0].header}).BasicAuth(); !ok || u != "u" || p != "p w" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
	for i, ser := range reqs[0].body.Timeseries {
		want := strings.ToValidUTF8(hostile[i], "\uFFFD")
		if got := labelMap(t, ser)[point.TagQueue]; got != want {
			t.Errorf("panda_queue = %q, want %q", got, want)
		}
		if ser.Samples[0].Timestamp != 1_700_000_000_123 {
			t.Errorf("timestamp = %d", ser.Samples[0].Timestamp)
		}
	}
}

func TestEncodeSamples(t *testing.T) {
	rec := newRecorder(t, 0, "")
	s := newSink(t, Options{URL: rec.srv.URL, BatchSize: 2})
	ts := time.UnixMilli(1_700_000_000_000)
	ss := []Series{
		{Labels: []Label{{"z", "1"}, {"a", "2"}, {"__name__", "ignored"}, {"empty", ""}}, T: ts, V: 1.5},
		{Labels: []Label{{"b", "old"}, {"b", "new"}, {"Upper", "u"}}, T: ts.Add(time.Second), V: -2},
		{T: ts, V: 3},
	}
	sendAll(t, s, s.EncodeSamples("qmonit_rollup", ss))
	var got []string
	for _, r := range rec.requests() {
		for _, ser := range r.body.Timeseries {
			var b strings.Builder
			for _, l := range ser.Labels {
				b.WriteString(l.Name + "=" + l.Value + " ")
			}
			got = append(got, b.String())
		}
	}
	want := []string{
		"__name__=qmonit_rollup a=2 z=1 ",
		"Upper=u __name__=qmonit_rollup b=new ",
		"__name__=qmonit_rollup ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("labels:\n got %q\nwant %q", got, want)
	}
	if n := len(rec.requests()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestSendErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusRequestEntityTooLarge, true},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusServiceUnavailable, false},
	} {
		rec := newRecorder(t, tc.status, "out of order sample")
		s := newSink(t, Options{URL: rec.srv.URL})
		err := s.Send(context.Background(), s.EncodePoints(synthPoints(3, time.Now(), "wf"))[0])
		if err == nil {
			t.Fatalf("%d: no error", tc.status)
		}
		if errors.Is(err, ErrPermanent) != tc.permanent {
			t.Errorf("%d: errors.Is(err, ErrPermanent) = %v, want %v (%v)", tc.status, !tc.permanent, tc.permanent, err)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.Code != tc.status || !strings.Contains(err.Error(), "out of order sample") {
			t.Errorf("%d: error %v lacks status or server message", tc.status, err)
		}
	}
}

func TestSendNetworkErrorIsTransient(t *testing.T) {
	rec := newRecorder(t, 0, "")
	url := rec.srv.URL
	rec.srv.Close()
	s := newSink(t, Options{URL: url, Timeout: time.Second})
	err := s.Send(context.Background(), []byte{0})
	if err == nil || errors.Is(err, ErrPermanent) {
		t.Fatalf("err = %v, want a transient error", err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{},
		{URL: "ftp://x/y"},
		{URL: "http:///api/v1/write"},
		{URL: "http://x", BatchSize: -1},
		{URL: "http://x", BearerToken: "t", Username: "u"},
		{URL: "http://x", Headers: map[string]string{"content-encoding": "gzip"}},
	} {
		if _, err := New(o, nil); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
	s := newSink(t, Options{URL: "https://x/api/v1/write"})
	if s.BatchSize() != DefaultBatchSize {
		t.Errorf("BatchSize = %d, want %d", s.BatchSize(), DefaultBatchSize)
	}
	if got := s.EncodePoints(nil); len(got) != 0 {
		t.Errorf("EncodePoints(nil) = %d batches", len(got))
	}
}

func TestExternalLabels(t *testing.T) {
	rec := newRecorder(t, 0, "")
	s := newSink(t, Options{URL: rec.srv.URL, BatchSize: 10,
		ExternalLabels: []Label{{"replica", "a"}, {"cloud", "external-loses"}, {"Zone", "z"}}})
	ts := time.UnixMilli(1_700_000_000_000)
	pts := synthPoints(1, ts, "wf")
	sendAll(t, s, s.EncodePoints(pts))
	sendAll(t, s, s.EncodeSamples("qmonit_queue_info", []Series{{Labels: []Label{{"cloud", "DE"}}, T: ts, V: 1}}))
	var got [][]prompb.Label
	for _, r := range rec.requests() {
		for _, ser := range r.body.Timeseries {
			got = append(got, ser.Labels)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d series, want 2", len(got))
	}
	for i, ls := range got {
		if !slices.IsSortedFunc(ls, func(a, b prompb.Label) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("series %d labels not sorted: %v", i, ls)
		}
		have := map[string]string{}
		for _, l := range ls {
			if _, dup := have[l.Name]; dup {
				t.Errorf("series %d: label %s twice", i, l.Name)
			}
			have[l.Name] = l.Value
		}
		if have["replica"] != "a" || have["Zone"] != "z" {
			t.Errorf("series %d: external labels missing: %v", i, have)
		}
		if have["cloud"] == "external-loses" {
			t.Errorf("series %d: external label overrode the series' own cloud", i)
		}
	}
}
