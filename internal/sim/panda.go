package sim

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

const (
	pathV1     = "/api/v1/statistics/job_stats_by_site_share_and_resource_type"
	pathLegacy = "/server/panda/get_job_statistics_per_site_label_resource"

	// maxTimeWindow is panda-server's MAX_TIME_WINDOW (7 days, minutes).
	maxTimeWindow = 60 * 24 * 7
	// defaultTimeWindow is PanDA's window when none is given (12 h).
	defaultTimeWindow = 720

	msgTimeWindow = `Parameter "time_window" needs to be a positive integer smaller than 10080 min (7 days)`
	msgCast       = `Type error: 'time_window' could not be casted to type int.`
	msgNoData     = "Database failure getting the job statistics"
)

// envelope is a v1 answer: {"success", "message", "data"}. data is the
// encoded data, or nil for None/null.
type envelope struct {
	success bool
	message string
	data    []byte
}

// serveV1 mimics panda-server's v1 job_stats_by_site_share_and_resource_type:
// JSON when the client asks for it exactly, else Python's str() of the
// dict; Content-Type text/plain either way.
func (g *Grid) serveV1(w http.ResponseWriter, r *http.Request) {
	if g.opts.DisableV1 {
		http.NotFound(w, r)
		return
	}
	asJSON := strings.Join(r.Header.Values("Accept"), ", ") == "application/json" ||
		r.Header.Get("Content-Type") == "application/json"
	quote := appendPyRepr
	if asJSON {
		quote = appendPyJSON
	}
	env := g.v1Answer(w, r, quote)
	if env == nil {
		return
	}
	b := make([]byte, 0, len(env.data)+128)
	b = append(b, '{')
	b = quote(b, "success")
	b = append(b, ": "...)
	b = appendPyBool(b, env.success, asJSON)
	b = append(b, ", "...)
	b = quote(b, "message")
	b = append(b, ": "...)
	b = quote(b, env.message)
	b = append(b, ", "...)
	b = quote(b, "data")
	b = append(b, ": "...)
	switch {
	case env.data != nil:
		b = append(b, env.data...)
	case asJSON:
		b = append(b, "null"...)
	default:
		b = append(b, "None"...)
	}
	b = append(b, '}')
	writeBody(w, "text/plain", http.StatusOK, b)
}

// v1Answer validates the request as panda-server does and computes the
// answer; nil when it already wrote an HTTP error.
func (g *Grid) v1Answer(w http.ResponseWriter, r *http.Request, quote quoteFunc) *envelope {
	if r.Method != http.MethodGet {
		return &envelope{message: "expecting GET, received " + r.Method}
	}
	window := defaultTimeWindow
	if v, ok := r.URL.Query()["time_window"]; ok && v[0] != "None" {
		f, err := strconv.ParseFloat(strings.TrimSpace(v[0]), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return &envelope{message: msgCast}
		}
		if f <= -1 || f >= maxTimeWindow+1 {
			return &envelope{message: msgTimeWindow, data: []byte("{}")}
		}
		window = int(f)
	}
	t, err := g.requestTime(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil
	}
	rows := g.compute(t, window, 0)
	if len(rows) == 0 {
		return &envelope{message: msgNoData, data: []byte("{}")}
	}
	return &envelope{success: true, data: appendRows(make([]byte, 0, len(rows)*160), rows, quote)}
}

// serveLegacy mimics the legacy /server/panda endpoint: a bare JSON map.
func (g *Grid) serveLegacy(w http.ResponseWriter, r *http.Request) {
	if g.opts.DisableLegacy {
		writeBody(w, "text/plain", http.StatusForbidden,
			[]byte("ERROR : method get_job_statistics_per_site_label_resource is forbidden"))
		return
	}
	if r.Header.Get("Content-Type") == "application/json" {
		// The server gunzips and JSON-parses the body of such requests.
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	window := defaultTimeWindow
	if v := r.FormValue("time_window"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeBody(w, "text/plain", http.StatusOK, []byte("{}"))
			return
		}
		window = n
	}
	t, err := g.requestTime(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rows := g.compute(t, window, 0)
	writeBody(w, "text/plain", http.StatusOK, appendRows(make([]byte, 0, len(rows)*160), rows, appendPyJSON))
}

func writeBody(w http.ResponseWriter, contentType string, status int, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// quoteFunc appends a quoted string: Python JSON or Python repr.
type quoteFunc func([]byte, string) []byte

// appendRows appends the nested answer map, with Python's ", " and ": "
// separators (json.dumps and str() both use them).
func appendRows(b []byte, rows []row, quote quoteFunc) []byte {
	b = append(b, '{')
	for i := 0; i < len(rows); {
		q := rows[i].q
		if i > 0 {
			b = append(b, ", "...)
		}
		b = quote(b, q.name)
		b = append(b, ": {"...)
		j := i
		for j < len(rows) && rows[j].q == q {
			label := rows[j].s.label
			if j > i {
				b = append(b, ", "...)
			}
			b = quote(b, label)
			b = append(b, ": {"...)
			k := j
			for ; k < len(rows) && rows[k].q == q && rows[k].s.label == label; k++ {
				if k > j {
					b = append(b, ", "...)
				}
				b = quote(b, rows[k].s.res)
				b = append(b, ": "...)
				b = appendStates(b, &rows[k], quote)
			}
			b = append(b, '}')
			j = k
		}
		b = append(b, '}')
		i = j
	}
	return append(b, '}')
}

func appendStates(b []byte, r *row, quote quoteFunc) []byte {
	b = append(b, '{')
	first := true
	for st, v := range r.n {
		if v == 0 && mandatory&(1<<st) == 0 {
			continue
		}
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = quote(b, jobStates[st])
		b = append(b, ": "...)
		b = strconv.AppendInt(b, v, 10)
	}
	return append(b, '}')
}
