package promapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// buildInfo is the data of /api/v1/status/buildinfo, shaped like
// Prometheus' PrometheusVersion.
type buildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

// runtimeInfo is the data of /api/v1/status/runtimeinfo, shaped like
// Prometheus' RuntimeInfo; qmonit has no reloadable Prometheus config, so
// the config fields describe the API's start.
type runtimeInfo struct {
	StartTime           time.Time `json:"startTime"`
	CWD                 string    `json:"CWD"`
	Hostname            string    `json:"hostname"`
	ServerTime          time.Time `json:"serverTime"`
	ReloadConfigSuccess bool      `json:"reloadConfigSuccess"`
	LastConfigTime      time.Time `json:"lastConfigTime"`
	CorruptionCount     int64     `json:"corruptionCount"`
	GoroutineCount      int       `json:"goroutineCount"`
	GOMAXPROCS          int       `json:"GOMAXPROCS"`
	GOMEMLIMIT          int64     `json:"GOMEMLIMIT"`
	GOGC                string    `json:"GOGC"`
	GODEBUG             string    `json:"GODEBUG"`
	StorageRetention    string    `json:"storageRetention"`
}

func (a *API) buildInfo(*http.Request) (result, error) {
	return result{data: buildInfo{
		Version:   a.opts.Version,
		Revision:  a.opts.Revision,
		GoVersion: runtime.Version(),
	}}, nil
}

func (a *API) runtimeInfo(*http.Request) (result, error) {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "<error retrieving current working directory>"
	}
	host, err := os.Hostname()
	if err != nil {
		host = "<error retrieving hostname>"
	}
	return result{data: runtimeInfo{
		StartTime:           a.started.UTC(),
		CWD:                 cwd,
		Hostname:            host,
		ServerTime:          a.now().UTC(),
		ReloadConfigSuccess: true,
		LastConfigTime:      a.started.UTC(),
		GoroutineCount:      runtime.NumGoroutine(),
		GOMAXPROCS:          runtime.GOMAXPROCS(0),
		GOMEMLIMIT:          debug.SetMemoryLimit(-1),
		GOGC:                os.Getenv("GOGC"),
		GODEBUG:             os.Getenv("GODEBUG"),
	}}, nil
}

// flags reports the query limits under the names of the Prometheus flags
// that set them; qmonit's own flags are not Prometheus flags.
func (a *API) flags(*http.Request) (result, error) {
	flags := map[string]string{"query.timeout": a.opts.Timeout.String()}
	if a.opts.LookbackDelta > 0 {
		flags["query.lookback-delta"] = a.opts.LookbackDelta.String()
	}
	return result{data: flags}, nil
}

// metadata serves /api/v1/metadata. The embedded store keeps no metric
// metadata, so after validating limit and limit_per_metric as Prometheus
// does the answer is an empty object.
func (a *API) metadata(r *http.Request) (result, error) {
	for _, p := range []string{"limit", "limit_per_metric"} {
		if s := r.Form.Get(p); s != "" {
			if _, err := strconv.Atoi(s); err != nil {
				return result{}, badData(errors.New(p + " must be a number"))
			}
		}
	}
	return result{data: map[string]any{}}, nil
}

// queryExemplars serves /api/v1/query_exemplars. qmonit stores no exemplars:
// the parameters are validated as in Prometheus and the answer is empty.
func (a *API) queryExemplars(r *http.Request) (result, error) {
	start, end, err := timeRange(r)
	if err != nil {
		return result{}, err
	}
	if end.Before(start) {
		return result{}, badData(errors.New("end timestamp must not be before start timestamp"))
	}
	if _, err := a.parser.ParseExpr(r.Form.Get("query")); err != nil {
		return result{}, badData(err)
	}
	return result{data: []any{}}, nil
}

// rules serves /api/v1/rules: qmonit evaluates no recording or alerting
// rules, and Grafana's alerting view expects an empty list, not a 404.
func (*API) rules(*http.Request) (result, error) {
	return result{data: map[string]any{"groups": []any{}}}, nil
}

// alerts serves /api/v1/alerts, empty for the same reason as rules.
func (*API) alerts(*http.Request) (result, error) {
	return result{data: map[string]any{"alerts": []any{}}}, nil
}

func notFound(r *http.Request) (result, error) {
	return result{}, &apiError{typ: errNotFound, err: fmt.Errorf("unknown API endpoint %q", r.URL.Path)}
}

// methodNotAllowed answers a request on a known path with a method the
// path does not serve; the Allow header is set before wrap writes.
func (a *API) methodNotAllowed(path string, methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	h := a.wrap(path, func(r *http.Request) (result, error) {
		return result{}, &apiError{typ: errBadData, code: http.StatusMethodNotAllowed,
			err: fmt.Errorf("method %s not allowed, use %s", r.Method, allow)}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		h.ServeHTTP(w, r)
	})
}
