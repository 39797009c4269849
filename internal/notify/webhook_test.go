package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an httptest handler that records requests and answers with
// a fixed status, headers and body.
type recorder struct {
	mu      sync.Mutex
	reqs    []recorded
	status  int
	header  http.Header
	respond []byte
}

type recorded struct {
	method, path, auth, contentType string
	body                            []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.Header.Get("Authorization"),
		req.Header.Get("Content-Type"), body})
	status, respond := r.status, r.respond
	for k, vs := range r.header {
		w.Header()[k] = vs
	}
	r.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(respond)
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// richAlert has every field set.
func richAlert() Alert {
	a := al("k1")
	a.Name, a.Severity, a.Title = "QmonitGroupDeviation", SeverityWarning, "running drop at 2 queues (cloud=DE)"
	a.Summary = "2 queues"
	a.Labels = map[string]string{"kind": "group", "group": "cloud=DE"}
	a.Queues = []string{"Q1", "Q2"}
	a.Evidence = []string{"Q1: 0", "Q2: 1"}
	a.Links = []Link{{Title: "qmonit", URL: "https://q.example/suspicious"}}
	return a.normalized()
}

// compactJSON removes insignificant space so expected bodies can be
// written readably.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	return b.String()
}

func TestWebhookBody(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, rec)
	w, err := NewWebhook(WebhookOptions{URL: srv.URL + "/hook", BearerToken: "tok-123", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	resolved := richAlert()
	resolved.Key, resolved.End, resolved.Labels, resolved.Queues, resolved.Evidence, resolved.Links = "k2", t0, nil, nil, nil, nil
	for _, tt := range []struct {
		name string
		m    Message
		want string
	}{
		{"firing", Message{Kind: KindFiring, Alerts: []Alert{richAlert()}, Time: t0}, `{
			"version":"1","kind":"firing","repeat":false,"time":"2026-01-01T10:00:00Z",
			"subject":"[FIRING] running drop at 2 queues (cloud=DE)","omitted":0,
			"alerts":[{"key":"k1","status":"firing","name":"QmonitGroupDeviation","severity":"warning",
				"title":"running drop at 2 queues (cloud=DE)","summary":"2 queues",
				"labels":{"group":"cloud=DE","kind":"group"},"queues":["Q1","Q2"],"evidence":["Q1: 0","Q2: 1"],
				"links":[{"title":"qmonit","url":"https://q.example/suspicious"}],
				"starts_at":"2026-01-01T09:00:00Z","ends_at":null,"expected":false}]}`},
		{"digest with a resolved alert", Message{Kind: KindDigest, Alerts: []Alert{resolved}, Omitted: 3, Time: t0}, `{
			"version":"1","kind":"digest","repeat":false,"time":"2026-01-01T10:00:00Z",
			"subject":"[RESOLVED:1] qmonit: 1 alerts (+3 not listed)","omitted":3,
			"alerts":[{"key":"k2","status":"resolved","name":"QmonitGroupDeviation","severity":"warning",
				"title":"running drop at 2 queues (cloud=DE)","summary":"2 queues",
				"labels":{},"queues":[],"evidence":[],"links":[],
				"starts_at":"2026-01-01T09:00:00Z","ends_at":"2026-01-01T10:00:00Z","expected":false}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.Send(t.Context(), tt.m); err != nil {
				t.Fatalf("Send() = %v", err)
			}
			reqs := rec.requests()
			got := reqs[len(reqs)-1]
			if got.method != http.MethodPost || got.path != "/hook" || got.auth != "Bearer tok-123" ||
				got.contentType != "application/json" {
				t.Errorf("request %s %s auth %q type %q", got.method, got.path, got.auth, got.contentType)
			}
			if want := compactJSON(t, tt.want); string(got.body) != want {
				t.Errorf("body\n%s\nwant\n%s", got.body, want)
			}
		})
	}
}

func TestMattermostBody(t *testing.T) {
	rec := &recorder{respond: []byte("ok")}
	srv := serve(t, rec)
	for _, tt := range []struct {
		name               string
		username, chatRoom string
		wantKeys           string
	}{
		{"plain", "", "", `{"text":`},
		{"username and channel", "qmonit", "adc-alerts", `"username":"qmonit","channel":"adc-alerts"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mm, err := NewMattermost(MattermostOptions{URL: srv.URL + "/hooks/secretkey", Username: tt.username,
				ChatRoom: tt.chatRoom, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			m := Message{Kind: KindFiring, Alerts: []Alert{richAlert()}, Time: t0}
			if err := mm.Send(t.Context(), m); err != nil {
				t.Fatalf("Send() = %v", err)
			}
			reqs := rec.requests()
			got := reqs[len(reqs)-1]
			want, err := json.Marshal(chatBody{Text: Markdown(m), Username: tt.username, Channel: tt.chatRoom})
			if err != nil {
				t.Fatal(err)
			}
			if got.path != "/hooks/secretkey" || string(got.body) != string(want) || got.auth != "" {
				t.Errorf("POST %s auth %q body\n%s\nwant\n%s", got.path, got.auth, got.body, want)
			}
			if !strings.Contains(string(got.body), tt.wantKeys) {
				t.Errorf("body lacks %s", tt.wantKeys)
			}
			var decoded struct{ Text string }
			if err := json.Unmarshal(got.body, &decoded); err != nil || !strings.HasPrefix(decoded.Text,
				"#### :warning: \\[FIRING\\] running drop at 2 queues \\(cloud=DE\\)\n") {
				t.Errorf("text = %q, %v", decoded.Text, err)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	for _, tt := range []struct {
		name      string
		rec       *recorder
		wantFinal bool
		wantRetry time.Duration
		wantIn    []string
	}{
		{"server error is retried", &recorder{status: 500, respond: []byte("boom\nline two")}, false, 0,
			[]string{`notify "mattermost"`, "status 500", `"boom line two"`}},
		{"bad request is final", &recorder{status: 400, respond: []byte(`{"error":"bad"}`)}, true, 0,
			[]string{"status 400", `bad`}},
		{"too many requests is retried after", &recorder{status: 429, header: http.Header{"Retry-After": {"7"}}}, false,
			7 * time.Second, []string{"status 429"}},
		{"request timeout is retried", &recorder{status: 408}, false, 0, []string{"status 408"}},
		{"redirect is not followed", &recorder{status: 302, header: http.Header{"Location": {"http://elsewhere.example/"}}},
			true, 0, []string{"status 302", "redirect not followed"}},
		{"huge answer is capped", &recorder{status: 503, respond: bytes.Repeat([]byte("x"), 10<<20)}, false, 0,
			[]string{"status 503"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.rec)
			mm, err := NewMattermost(MattermostOptions{URL: srv.URL + "/hooks/s3cr3t-path", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = mm.Send(t.Context(), Message{Kind: KindFiring, Alerts: []Alert{richAlert()}, Time: t0})
			var de *DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("Send() = %v, want a *DeliveryError", err)
			}
			if de.Permanent() != tt.wantFinal || de.RetryAfter() != tt.wantRetry {
				t.Errorf("Permanent, RetryAfter = %v, %v; want %v, %v", de.Permanent(), de.RetryAfter(), tt.wantFinal, tt.wantRetry)
			}
			msg := err.Error()
			for _, s := range tt.wantIn {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q lacks %q", msg, s)
				}
			}
			if strings.Contains(msg, "s3cr3t") || len(msg) > 600 {
				t.Errorf("error leaks the URL path or is too long (%d bytes): %q", len(msg), msg)
			}
			if n := len(tt.rec.requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no redirect follow)", n)
			}
		})
	}
	t.Run("connection refused names the channel, not the path", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		u := srv.URL
		srv.Close()
		w, err := NewWebhook(WebhookOptions{URL: u + "/secret-path", Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = w.Send(t.Context(), Message{Kind: KindFiring, Alerts: []Alert{richAlert()}, Time: t0})
		var de *DeliveryError
		if !errors.As(err, &de) || de.Permanent() || !strings.Contains(err.Error(), `notify "webhook": POST http://127.0.0.1`) ||
			strings.Contains(err.Error(), "secret-path") {
			t.Errorf("Send() = %v", err)
		}
	})
	t.Run("bad URLs rejected", func(t *testing.T) {
		for _, u := range []string{"", "ftp://x/", "http://", "file:///etc/passwd", "::"} {
			if _, err := NewWebhook(WebhookOptions{URL: u}); err == nil {
				t.Errorf("NewWebhook(%q) = nil error", u)
			}
		}
	})
}

func TestRetryAfter(t *testing.T) {
	now := t0
	for _, tt := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"5", 5 * time.Second}, {"-3", 0}, {"soon", 0}, {"99999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(tt.h, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestSpan(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "<1m"}, {45 * time.Minute, "45m"}, {time.Hour, "1h"}, {130 * time.Minute, "2h10m"},
		{24 * time.Hour, "1d"}, {76 * time.Hour, "3d4h"},
	} {
		if got := span(tt.d); got != tt.want {
			t.Errorf("span(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
