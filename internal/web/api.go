package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"
)

// num is a float that encodes NaN and ±Inf as JSON null, and finite values
// in their shortest form.
type num float64

// MarshalJSON implements json.Marshaler.
func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	// As encoding/json: plain digits unless very small or very large.
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(nil, f, format, -1, 64), nil
}

// nums converts a slice, NaN becoming null.
func nums(v []float64) []num {
	out := make([]num, len(v))
	for i, f := range v {
		out[i] = num(f)
	}
	return out
}

// rounded rounds f to 3 decimals (averages do not need more on a page).
func rounded(f float64) num {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return num(f)
	}
	return num(math.Round(f*1000) / 1000)
}

// envelope is every API answer: {"status":"success","data":...} or
// {"status":"error","errorType":...,"error":...}, as Prometheus' API.
type envelope struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
}

// notFoundError is a request for something that does not exist (a queue
// never seen); the API answers 404.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

// apiFunc is an API handler: it returns the data or an error, which
// serveAPI maps to a status code.
type apiFunc func(r *http.Request) (any, error)

// serveAPI runs fn and writes its answer: 200 with the data; 400 for bad
// parameters; 404 for unknown things; 503 when a query timed out; 422
// when it could not run; 500 otherwise. The logger notes server-side
// failures; bad requests are the client's business.
func (u *UI) serveAPI(fn apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		data, err := fn(r)
		var (
			pe *paramError
			nf *notFoundError
		)
		code, env := http.StatusOK, envelope{Status: "success", Data: data}
		switch {
		case err == nil:
		case errors.As(err, &pe):
			code, env = http.StatusBadRequest, envelope{Status: "error", ErrorType: "bad_data", Error: err.Error()}
		case errors.As(err, &nf):
			code, env = http.StatusNotFound, envelope{Status: "error", ErrorType: "not_found", Error: err.Error()}
		case isTimeout(err):
			code, env = http.StatusServiceUnavailable, envelope{Status: "error", ErrorType: "timeout", Error: err.Error()}
		case r.Context().Err() != nil:
			return // the client went away
		default:
			code, env = http.StatusUnprocessableEntity, envelope{Status: "error", ErrorType: "execution", Error: err.Error()}
		}
		if code >= 500 || code == http.StatusUnprocessableEntity {
			u.logger.Warn("web api request failed", "path", r.URL.Path, "status", code, "err", err)
		} else {
			u.logger.Debug("web api request", "path", r.URL.Path, "status", code, "duration_seconds", time.Since(start).Seconds())
		}
		writeJSON(w, code, env)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"status":"error","errorType":"internal","error":"encode answer"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
