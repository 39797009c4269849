package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testTime is a fixed time inside a cycle, used by most tests.
func testTime() time.Time { return time.Date(2026, 3, 2, 12, 3, 0, 0, time.UTC) }

// newTestGrid returns a grid whose clock is fixed at testTime.
func newTestGrid(t testing.TB, opts Options) *Grid {
	t.Helper()
	if opts.Now == nil {
		opts.Now = testTime
	}
	return New(opts)
}

// do runs one request against h.
func do(t testing.TB, h http.Handler, method, target string, hdr map[string]string, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decode unmarshals a JSON body, failing the test on error.
func decode[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %.200q: %v", body, err)
	}
	return v
}

// answer is PanDA's nested map.
type answer = map[string]map[string]map[string]map[string]int64

// sumState sums one state over the given queues (all when nil).
func sumState(a answer, queues []string, state string) int64 {
	var n int64
	add := func(byLabel map[string]map[string]map[string]int64) {
		for _, byRes := range byLabel {
			for _, states := range byRes {
				n += states[state]
			}
		}
	}
	if queues == nil {
		for _, byLabel := range a {
			add(byLabel)
		}
		return n
	}
	for _, q := range queues {
		add(a[q])
	}
	return n
}

// rowsAnswer turns compute rows into the nested map, as Stats does.
func rowsAnswer(g *Grid, t time.Time, window int, skip kindSet) answer {
	out := answer{}
	for _, r := range g.compute(t, window, skip) {
		if out[r.q.name] == nil {
			out[r.q.name] = map[string]map[string]map[string]int64{}
		}
		if out[r.q.name][r.s.label] == nil {
			out[r.q.name][r.s.label] = map[string]map[string]int64{}
		}
		m := map[string]int64{}
		for st, v := range r.n {
			if v != 0 || mandatory&(1<<st) != 0 {
				m[jobStates[st]] = v
			}
		}
		out[r.q.name][r.s.label][r.s.res] = m
	}
	return out
}
