package notify

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

func TestAlertmanagerBody(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, rec)
	am, err := NewAlertmanager(AlertmanagerOptions{URL: srv.URL + "/", BearerToken: "am-tok", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	firing, resolved := richAlert(), richAlert()
	resolved.Key, resolved.End, resolved.Labels, resolved.Links = "k2", t0.Add(-time.Minute), map[string]string{"empty": ""}, nil
	resolved.Evidence, resolved.Summary = nil, ""
	m := Message{Kind: KindDigest, Alerts: []Alert{firing, resolved}, Time: t0}
	if err := am.Send(t.Context(), m); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	got := rec.requests()[0]
	want := compactJSON(t, `[
		{"labels":{"alertname":"QmonitGroupDeviation","group":"cloud=DE","kind":"group","severity":"warning"},
		 "annotations":{"description":"Q1: 0\nQ2: 1","links":"qmonit: https://q.example/suspicious","queues":"Q1, Q2",
			"summary":"2 queues","title":"running drop at 2 queues (cloud=DE)"},
		 "startsAt":"2026-01-01T09:00:00Z","endsAt":"2026-01-01T11:00:00Z","generatorURL":"https://q.example/suspicious"},
		{"labels":{"alertname":"QmonitGroupDeviation","severity":"warning"},
		 "annotations":{"queues":"Q1, Q2","title":"running drop at 2 queues (cloud=DE)"},
		 "startsAt":"2026-01-01T09:00:00Z","endsAt":"2026-01-01T09:59:00Z"}]`)
	if got.path != "/api/v2/alerts" || got.auth != "Bearer am-tok" || string(got.body) != want {
		t.Errorf("POST %s auth %q body\n%s\nwant\n%s", got.path, got.auth, got.body, want)
	}
}

// gettableAlert is the part of Alertmanager's GettableAlert the test reads.
type gettableAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

func getAlerts(t *testing.T, base, id string) []gettableAlert {
	t.Helper()
	u := strings.TrimRight(base, "/") + "/api/v2/alerts?filter=" + url.QueryEscape(fmt.Sprintf("incident_id=%q", id))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET alerts: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET alerts: status %d, %v: %s", resp.StatusCode, err, body)
	}
	var out []gettableAlert
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decode alerts: %v: %s", err, body)
	}
	return out
}

// TestAlertmanagerIntegration posts a firing alert to a real Alertmanager,
// reads it back, re-posts it, resolves it and checks it is gone.
func TestAlertmanagerIntegration(t *testing.T) {
	base := os.Getenv("ALERTMANAGER_URL")
	if base == "" {
		t.Skip("ALERTMANAGER_URL not set: start one with scripts/services-start.sh BASEDIR alertmanager and source BASEDIR/services.env")
	}
	if testing.Short() {
		t.Skip("integration test against ALERTMANAGER_URL; skipped with -short")
	}
	am, err := NewAlertmanager(AlertmanagerOptions{URL: base, Timeout: 10 * time.Second, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("it-%d", time.Now().UnixNano())
	start := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	a := richAlert()
	a.Key, a.Start, a.Title = id, start, "integration test "+id
	a.Labels = map[string]string{"incident_id": id, "kind": "group", "group": "cloud=DE"}
	core := NewCore(Policy{Batch: true, Renotify: time.Minute})
	send := func(ms []Message) {
		t.Helper()
		if len(ms) != 1 {
			t.Fatalf("core made %d messages, want 1 batch", len(ms))
		}
		if err := am.Send(t.Context(), ms[0]); err != nil {
			t.Fatalf("Send() = %v", err)
		}
	}

	now := time.Now()
	send(core.Update(now, ScopeIncidents, []Alert{a}))
	got := getAlerts(t, base, id)
	if len(got) != 1 {
		t.Fatalf("after firing: %d alerts with incident_id %s, want 1", len(got), id)
	}
	g := got[0]
	if g.Labels["alertname"] != "QmonitGroupDeviation" || g.Labels["severity"] != "warning" ||
		g.Labels["group"] != "cloud=DE" || g.Annotations["title"] != a.Title || g.Annotations["queues"] != "Q1, Q2" {
		t.Errorf("alert read back: labels %v annotations %v", g.Labels, g.Annotations)
	}
	if g.Status.State != "active" && g.Status.State != "unprocessed" {
		t.Errorf("state %q, want active or unprocessed", g.Status.State)
	}
	if !g.StartsAt.Equal(start) || g.EndsAt.Sub(now) < 59*time.Minute || g.EndsAt.Sub(now) > 61*time.Minute {
		t.Errorf("startsAt %s endsAt %s; want %s and about now+1h", g.StartsAt, g.EndsAt, start)
	}

	// A re-post on the renotify interval keeps it active.
	send(core.Update(now.Add(time.Minute), ScopeIncidents, []Alert{a}))
	if got := getAlerts(t, base, id); len(got) != 1 {
		t.Fatalf("after re-post: %d alerts, want 1", len(got))
	}

	// Resolved: endsAt in the past, so Alertmanager no longer lists it.
	send(core.Update(time.Now(), ScopeIncidents, nil))
	if got := getAlerts(t, base, id); len(got) != 0 {
		t.Errorf("after resolving: %d alerts listed (%+v), want none", len(got), got)
	}
}
