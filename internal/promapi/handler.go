package promapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/util/annotations"
)

// result is what a handler answers on success. close, when set, runs after
// the answer is encoded: query results and series labels may point into
// memory owned by the query or querier until then.
type result struct {
	data     any
	warnings annotations.Annotations
	query    string // positions annotations in the warnings
	close    func()
}

// apiFunc handles one endpoint. The form is already parsed into r.Form.
// Errors are *apiError or are classified by classify.
type apiFunc func(r *http.Request) (result, error)

// envelope is Prometheus' JSON answer.
type envelope struct {
	Status    string   `json:"status"`
	Data      any      `json:"data,omitempty"`
	ErrorType string   `json:"errorType,omitempty"`
	Error     string   `json:"error,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Infos     []string `json:"infos,omitempty"`
}

// wrap is the one place that parses forms, caps bodies, recovers panics,
// writes answers and errors, and counts requests per path.
func (a *API) wrap(path string, fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		code := a.serve(w, r, path, fn)
		a.metrics.observe(path, code, time.Since(start))
	})
}

// serve runs fn and writes its answer, returning the status code written.
func (a *API) serve(w http.ResponseWriter, r *http.Request, path string, fn apiFunc) (code int) {
	var res result
	defer func() {
		if res.close != nil {
			res.close()
		}
		if p := recover(); p != nil {
			a.logger.Error("panic in API handler", "path", path, "panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
			code = a.writeError(w, &apiError{typ: errInternal, err: errors.New("internal error, see server log")})
		}
	}()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return a.writeError(w, badData(fmt.Errorf("parse form: %w", err)))
	}
	res, err := fn(r)
	if err != nil {
		ae := classify(err)
		if ae.typ == errInternal {
			a.logger.Error("API request failed", "path", path, "err", err)
		}
		return a.writeError(w, ae)
	}
	return a.writeSuccess(w, res)
}

func (a *API) writeSuccess(w http.ResponseWriter, res result) int {
	warn, info := res.warnings.AsStrings(res.query, 10, 10)
	body, err := marshal(envelope{Status: "success", Data: res.data, Warnings: warn, Infos: info})
	if err != nil {
		a.logger.Error("encode API answer", "err", err)
		return a.writeError(w, &apiError{typ: errInternal, err: fmt.Errorf("encode answer: %w", err)})
	}
	return a.write(w, http.StatusOK, body)
}

func (a *API) writeError(w http.ResponseWriter, ae *apiError) int {
	body, err := marshal(envelope{Status: "error", ErrorType: string(ae.typ), Error: ae.err.Error()})
	if err != nil {
		// Cannot happen with string fields only.
		body = []byte(`{"status":"error","errorType":"internal","error":"encode error"}`)
	}
	return a.write(w, ae.status(), body)
}

func (a *API) write(w http.ResponseWriter, code int, body []byte) int {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if _, err := w.Write(body); err != nil {
		a.logger.Debug("write API answer", "err", err)
	}
	return code
}

// marshal encodes v with a trailing newline. HTML characters in label values
// are escaped (\u003c), as encoding/json and Prometheus do.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// metrics counts requests per path and status code.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qmonit_api_requests_total",
			Help: "Requests to the Prometheus-compatible API by path pattern and status code.",
		}, []string{"path", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "qmonit_api_request_duration_seconds",
			Help:    "Duration of requests to the Prometheus-compatible API by path pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"path"}),
	}
}

func (m *metrics) observe(path string, code int, d time.Duration) {
	m.requests.WithLabelValues(path, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(path).Observe(d.Seconds())
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
}
