package promapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/prometheus/promql"
)

// errorType is the "errorType" of an error answer, as in Prometheus.
type errorType string

const (
	errBadData  errorType = "bad_data"
	errExec     errorType = "execution"
	errTimeout  errorType = "timeout"
	errCanceled errorType = "canceled"
	errInternal errorType = "internal"
	errNotFound errorType = "not_found"
)

// statusClientClosedRequest is nginx's non-standard 499, which Prometheus
// answers when the client went away before the query finished.
const statusClientClosedRequest = 499

// apiError is an error a handler returns; wrap maps its type to the status
// code and the envelope's errorType.
type apiError struct {
	typ  errorType
	err  error
	code int // overrides typ.status() when set
}

func (e *apiError) Error() string { return e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

// status returns the HTTP status code of the answer.
func (e *apiError) status() int {
	if e.code != 0 {
		return e.code
	}
	return e.typ.status()
}

// status returns the HTTP status code Prometheus uses for the error type.
func (t errorType) status() int {
	switch t {
	case errBadData:
		return http.StatusBadRequest
	case errExec:
		return http.StatusUnprocessableEntity
	case errCanceled:
		return statusClientClosedRequest
	case errTimeout:
		return http.StatusServiceUnavailable
	case errNotFound:
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

func badData(err error) *apiError { return &apiError{typ: errBadData, err: err} }

// invalidParam reports a parameter that cannot be parsed or is out of range,
// worded like Prometheus: invalid parameter "step": ...
func invalidParam(name string, err error) *apiError {
	return badData(fmt.Errorf("invalid parameter %q: %w", name, err))
}

// classify maps an error from the engine or the store to an API error, like
// Prometheus' returnAPIError: cancellation, timeout, storage and everything
// else as a failed execution.
func classify(err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	if _, ok := errors.AsType[promql.ErrQueryCanceled](err); ok {
		return &apiError{typ: errCanceled, err: err}
	}
	if _, ok := errors.AsType[promql.ErrQueryTimeout](err); ok {
		return &apiError{typ: errTimeout, err: err}
	}
	if _, ok := errors.AsType[promql.ErrStorage](err); ok {
		return &apiError{typ: errInternal, err: err}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &apiError{typ: errCanceled, err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{typ: errTimeout, err: err}
	}
	return &apiError{typ: errExec, err: err}
}

// constructionError maps an error from building a query: running out of time
// or being canceled while waiting for a slot keep their type, anything else
// is a bad query parameter (usually a PromQL parse error).
func constructionError(err error) *apiError {
	if _, ok := errors.AsType[promql.ErrQueryTimeout](err); ok {
		return classify(err)
	}
	if _, ok := errors.AsType[promql.ErrQueryCanceled](err); ok {
		return classify(err)
	}
	if _, ok := errors.AsType[promql.ErrLimitAboveCeiling](err); ok {
		return badData(err)
	}
	return invalidParam("query", err)
}
