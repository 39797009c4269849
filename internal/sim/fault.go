package sim

import (
	"net/http"
	"sync"
	"time"
)

// Paths the grid serves, for SetFault and for building URLs.
const (
	PathPandaV1     = pathV1
	PathPandaLegacy = pathLegacy
	PathPandaQueue  = "/api/atlas/pandaqueue/query/"
	PathSite        = "/api/atlas/site/query/"
	PathDDMEndpoint = "/api/atlas/ddmendpoint/query/"
	PathFederation  = "/api/core/federation/query/"
	PathMsearch     = "/api/datasources/proxy/9037/_msearch"
)

// Fault makes requests to one path misbehave.
type Fault struct {
	// Status, when set, is answered with Body instead of the real answer.
	Status int
	// Body is the body sent with Status; with Status 0 a non-empty Body
	// is sent with 200 instead of the real answer (a garbled upstream).
	Body string
	// Delay is waited before answering (a cancelled request stops waiting
	// and gets nothing); with Status 0 and no Body the real answer follows.
	Delay time.Duration
	// Times limits the fault to the next Times requests; 0 keeps it until
	// it is cleared.
	Times int
}

// faultSet holds the faults per path.
type faultSet struct {
	mu sync.Mutex
	m  map[string]*Fault
}

// SetFault makes requests to path (exactly r.URL.Path, e.g. PathPandaV1)
// misbehave as f describes; a zero Fault clears it.
func (g *Grid) SetFault(path string, f Fault) {
	g.faults.mu.Lock()
	defer g.faults.mu.Unlock()
	if f == (Fault{}) {
		delete(g.faults.m, path)
		return
	}
	if g.faults.m == nil {
		g.faults.m = map[string]*Fault{}
	}
	g.faults.m[path] = &f
}

// ClearFaults removes every fault.
func (g *Grid) ClearFaults() {
	g.faults.mu.Lock()
	defer g.faults.mu.Unlock()
	clear(g.faults.m)
}

// take returns the fault for path, counting one use, or false.
func (s *faultSet) take(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.m[path]
	if !ok {
		return Fault{}, false
	}
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.m, path)
		}
	}
	return *f, true
}

// withFaults applies the configured faults in front of next.
func (g *Grid) withFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := g.faults.take(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		switch {
		case f.Status != 0:
			writeBody(w, "text/plain", f.Status, []byte(f.Body))
		case f.Body != "":
			writeBody(w, "text/plain", http.StatusOK, []byte(f.Body))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// routes builds the grid's handler.
func (g *Grid) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(PathPandaV1, g.serveV1)
	mux.HandleFunc(PathPandaLegacy, g.serveLegacy)
	mux.HandleFunc("GET "+PathPandaQueue+"{$}", g.servePandaQueue)
	mux.HandleFunc("GET "+PathSite+"{$}", g.serveSite)
	mux.HandleFunc("GET "+PathDDMEndpoint+"{$}", g.serveDDM)
	mux.HandleFunc("GET "+PathFederation+"{$}", g.serveFederation)
	mux.HandleFunc("POST "+PathMsearch, g.serveMsearch)
	return g.withFaults(mux)
}
