package app

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/qmonit/qmonit/internal/detect"
	"github.com/qmonit/qmonit/internal/health"
	"github.com/qmonit/qmonit/internal/point"
)

// maxRecentIncidents bounds the closed incidents kept for the API.
const maxRecentIncidents = 500

// incidents holds the detector's results for the HTTP API; the cycle writes,
// handlers read.
type incidents struct {
	mu      sync.RWMutex
	open    []detect.Incident
	recent  []detect.Incident // closed, newest first
	updated time.Time

	pipeline       []health.Alert // open pipeline-health alerts
	pipelineRecent []health.Alert // resolved, newest first
}

func (in *incidents) record(t time.Time, rep detect.Report) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.open = rep.Open
	closed := slices.Clone(rep.Closed)
	slices.Reverse(closed)
	in.recent = append(closed, in.recent...)
	if len(in.recent) > maxRecentIncidents {
		in.recent = in.recent[:maxRecentIncidents]
	}
	in.updated = t
}

// detectObservations turns a cycle's points (including zero-filled ones)
// into detector observations; series missing from them count as missing.
func detectObservations(pts []point.Point) []detect.Observation {
	obs := make([]detect.Observation, 0, len(pts))
	for i := range pts {
		p := &pts[i]
		o := detect.Observation{Key: p.Key(), Value: float64(p.Jobs), Present: true}
		if p.Attrs != nil {
			o.Attrs = *p.Attrs
		}
		obs = append(obs, o)
	}
	return obs
}

// serveIncidents answers GET /api/qmonit/v1/incidents: open incidents and
// the most recent closed ones, with their evidence.
func (in *incidents) serveHTTP(w http.ResponseWriter, _ *http.Request) {
	in.mu.RLock()
	body := struct {
		Status    string            `json:"status"`
		UpdatedAt *time.Time        `json:"updated_at"`
		Open      []detect.Incident `json:"open"`
		Recent    []detect.Incident `json:"recent"`
		// Pipeline-health alerts: qmonit's own problems.
		Pipeline       []health.Alert `json:"pipeline"`
		PipelineRecent []health.Alert `json:"pipeline_recent"`
	}{Status: "success", Open: in.open, Recent: in.recent, Pipeline: in.pipeline, PipelineRecent: in.pipelineRecent}
	if !in.updated.IsZero() {
		u := in.updated
		body.UpdatedAt = &u
	}
	if body.Open == nil {
		body.Open = []detect.Incident{}
	}
	if body.Recent == nil {
		body.Recent = []detect.Incident{}
	}
	if body.Pipeline == nil {
		body.Pipeline = []health.Alert{}
	}
	if body.PipelineRecent == nil {
		body.PipelineRecent = []health.Alert{}
	}
	b, err := json.Marshal(body)
	in.mu.RUnlock()
	if err != nil {
		http.Error(w, `{"status":"error","error":"encode incidents"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
