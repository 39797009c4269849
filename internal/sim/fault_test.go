package sim

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestFaults(t *testing.T) {
	jsonHdr := map[string]string{"Accept": "application/json"}
	for _, tt := range []struct {
		name       string
		fault      Fault
		wantStatus []int // per request
		wantBody   string
	}{
		{name: "status", fault: Fault{Status: 503, Body: "overloaded"}, wantStatus: []int{503, 503, 503}, wantBody: "overloaded"},
		{name: "times", fault: Fault{Status: 500, Times: 2}, wantStatus: []int{500, 500, 200}},
		{name: "v1 missing", fault: Fault{Status: 404}, wantStatus: []int{404, 404}},
		{name: "garbled body", fault: Fault{Body: "{not json"}, wantStatus: []int{200}, wantBody: "{not json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGrid(t, Options{Queues: 20})
			g.SetFault(PathPandaV1, tt.fault)
			for i, want := range tt.wantStatus {
				rec := do(t, g.Handler(), "GET", PathPandaV1+"?time_window=10", jsonHdr, "")
				if rec.Code != want {
					t.Fatalf("request %d: status %d, want %d", i, rec.Code, want)
				}
				if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
					t.Errorf("body %q, want %q", rec.Body.String(), tt.wantBody)
				}
			}
			if rec := do(t, g.Handler(), "GET", PathPandaLegacy+"?time_window=10", nil, ""); rec.Code != 200 {
				t.Errorf("fault leaked to another path: %d", rec.Code)
			}
			g.SetFault(PathPandaV1, Fault{})
			if rec := do(t, g.Handler(), "GET", PathPandaV1, jsonHdr, ""); rec.Code != 200 {
				t.Errorf("after clearing: %d", rec.Code)
			}
		})
	}
}

func TestFaultDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newTestGrid(t, Options{Queues: 20})
		g.SetFault(PathSite, Fault{Delay: time.Minute})
		start := time.Now()
		rec := do(t, g.Handler(), "GET", PathSite, nil, "")
		if rec.Code != 200 || time.Since(start) != time.Minute {
			t.Errorf("delayed answer: %d after %v, want 200 after 1m", rec.Code, time.Since(start))
		}

		g.SetFault(PathSite, Fault{Delay: time.Hour, Status: 502})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, "GET", PathSite, nil)
		rec = httptest.NewRecorder()
		g.Handler().ServeHTTP(rec, req)
		if rec.Body.Len() != 0 || rec.Code != 200 /* recorder default: nothing written */ {
			t.Errorf("cancelled request got %d %q", rec.Code, rec.Body.String())
		}
	})
}

func TestFaultsConcurrent(t *testing.T) {
	g := newTestGrid(t, Options{Queues: 20})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				if (i+j)%3 == 0 {
					g.SetFault(PathFederation, Fault{Status: 500, Times: 1})
				} else if j%7 == 0 {
					g.ClearFaults()
				}
				if rec := do(t, g.Handler(), "GET", PathFederation, nil, ""); rec.Code != 200 && rec.Code != 500 {
					t.Errorf("status %d", rec.Code)
				}
			}
		})
	}
	wg.Wait()
}
