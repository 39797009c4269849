package notify

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/detect"
)

func groupIncident() detect.Incident {
	f := func(q string, v float64) detect.Finding {
		return detect.Finding{
			Kind: detect.KindDeviation, Queue: q, ProdSource: "managed", Resource: "SCORE", State: "running",
			Direction: detect.Drop, Value: v, Baseline: 100, MAD: 5, WindowSeconds: 86400, Samples: 144,
			Coverage: 1, AbsDeviation: 100 - v, RelDeviation: (100 - v) / 100, Score: (100 - v) / 7.413,
			Cycles: 3, Active: true, Cloud: "DE", SiteState: "online",
		}
	}
	return detect.Incident{
		ID: "00000000000000ab", Kind: detect.KindGroup, Start: t0.Add(-30 * time.Minute),
		State: "running", Direction: detect.Drop, Group: "cloud=DE", Queues: []string{"Q1", "Q2", "Q3"},
		Evidence: []detect.Finding{f("Q1", 0), f("Q2", 10), f("Q3", 5)},
	}
}

func TestFromIncident(t *testing.T) {
	opts := IncidentOptions{ExternalURL: "https://qmonit.example.org/"}
	t.Run("group", func(t *testing.T) {
		inc := groupIncident()
		a := FromIncident(&inc, opts)
		if err := a.Validate(); err != nil {
			t.Fatalf("Validate() = %v", err)
		}
		wantLabels := map[string]string{
			"kind": "group", "incident_id": "00000000000000ab", "state": "running", "direction": "drop", "group": "cloud=DE",
		}
		for _, tt := range []struct{ name, got, want string }{
			{"key", a.Key, "00000000000000ab"},
			{"name", a.Name, NameGroupDeviation},
			{"title", a.Title, "running drop at 3 queues (cloud=DE)"},
			{"severity", a.Severity, SeverityWarning},
			{"evidence[0]", a.Evidence[0], "Q1 managed/SCORE running: 0 (baseline 100, MAD 5, -100 %, score 13.5; 1d window, 100 % coverage, 3 cycles) CRIC online"},
			{"first link", a.Links[0].URL, "https://qmonit.example.org/suspicious"},
			{"bigpanda", a.Links[1].URL, "https://bigpanda.cern.ch/site/Q1/"},
			{"cric", a.Links[4].URL, "https://atlas-cric.cern.ch/atlas/pandaqueue/detail/Q1/"},
		} {
			if tt.got != tt.want {
				t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
			}
		}
		if !maps.Equal(a.Labels, wantLabels) {
			t.Errorf("labels = %v, want %v", a.Labels, wantLabels)
		}
		if !slices.Equal(a.Queues, []string{"Q1", "Q2", "Q3"}) || len(a.Evidence) != 3 || len(a.Links) != 7 {
			t.Errorf("queues %q, %d evidence lines, %d links; want 3 queues, 3 lines, 7 links", a.Queues, len(a.Evidence), len(a.Links))
		}
	})
	t.Run("single queue, closed, CRIC change, expected", func(t *testing.T) {
		inc := groupIncident()
		inc.Kind, inc.Group, inc.Queues, inc.Evidence = detect.KindQueue, "", []string{"Q1"}, inc.Evidence[:1]
		inc.Expected, inc.Evidence[0].Expected, inc.Evidence[0].SiteState = true, true, "offline"
		inc.Evidence[0].StateChange = &detect.StateChange{From: "online", To: "offline", At: t0.Add(-time.Hour)}
		end := t0
		inc.End = &end
		a := FromIncident(&inc, IncidentOptions{BigPandaURL: "https://bp.example/"})
		for _, tt := range []struct{ name, got, want string }{
			{"name", a.Name, NameQueueDeviation},
			{"title", a.Title, "running drop at Q1 (managed/SCORE) (expected)"},
			{"queue label", a.Labels["queue"], "Q1"},
			{"evidence", a.Evidence[0], "Q1 managed/SCORE running: 0 (baseline 100, MAD 5, -100 %, score 13.5; 1d window, 100 % coverage, 3 cycles) CRIC offline (CRIC online→offline at 2026-01-01 09:00 UTC) expected"},
			{"link without external url", a.Links[0].URL, "https://bp.example/site/Q1/"},
		} {
			if tt.got != tt.want {
				t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
			}
		}
		if !a.Expected || !a.End.Equal(t0) {
			t.Errorf("expected %v, end %s; want true, %s", a.Expected, a.End, t0)
		}
	})
	t.Run("data quality", func(t *testing.T) {
		inc := detect.Incident{ID: "dq1", Kind: detect.KindDataQuality, Start: t0, Queues: []string{"Q9"},
			Evidence: []detect.Finding{{Kind: detect.KindDataQuality, Queue: "Q9", ProdSource: "managed", Resource: "MCORE",
				State: "running", Baseline: 40, WindowSeconds: 3600, Coverage: 0.5, Cycles: 4}}}
		a := FromIncident(&inc, opts)
		if a.Name != NameDataQuality || a.Severity != SeverityInfo || a.Title != "no data from Q9" ||
			a.Evidence[0] != "Q9 managed/MCORE running: no data for 4 cycles (baseline 40; 1h window, 50 % coverage)" {
			t.Errorf("got %q %q %q %q", a.Name, a.Severity, a.Title, a.Evidence[0])
		}
	})
	t.Run("report", func(t *testing.T) {
		open, closed := groupIncident(), groupIncident()
		closed.ID = "closed"
		end := t0
		closed.End = &end
		as := FromReport(detect.Report{Open: []detect.Incident{open}, Closed: []detect.Incident{closed}}, opts)
		if len(as) != 2 || as[0].Resolved() || !as[1].Resolved() {
			t.Fatalf("FromReport = %d alerts, want the open one then the closed one", len(as))
		}
	})
}

func TestSubject(t *testing.T) {
	a, r := al("A"), ended("B", 0)
	for _, tt := range []struct {
		name string
		m    Message
		want string
	}{
		{"firing", Message{Kind: KindFiring, Alerts: []Alert{a}}, "[FIRING] title A"},
		{"reminder", Message{Kind: KindFiring, Repeat: true, Alerts: []Alert{a}}, "[FIRING] title A (reminder)"},
		{"resolved", Message{Kind: KindResolved, Alerts: []Alert{r}}, "[RESOLVED] title B"},
		{"digest", Message{Kind: KindDigest, Alerts: []Alert{a, r, a}}, "[FIRING:2 RESOLVED:1] qmonit: 3 alerts"},
		{"digest omitted", Message{Kind: KindDigest, Alerts: []Alert{r}, Omitted: 4}, "[RESOLVED:1] qmonit: 1 alerts (+4 not listed)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Subject(tt.m); got != tt.want {
				t.Errorf("Subject() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	inc := groupIncident()
	inc.Evidence = inc.Evidence[:1]
	a := FromIncident(&inc, IncidentOptions{ExternalURL: "https://q.example"})
	a.Links = a.Links[:1]
	a = a.normalized()
	got := Text(Message{Kind: KindFiring, Alerts: []Alert{a}, Time: t0})
	want := `FIRING: running drop at 3 queues (cloud=DE)

Severity: warning
Started:  2026-01-01 09:30 UTC (30m ago)
Queues:   Q1, Q2, Q3

3 queues sharing cloud=DE show a drop in running jobs at the same time: one incident, probably one cause.

Evidence:
  - Q1 managed/SCORE running: 0 (baseline 100, MAD 5, -100 %, score 13.5; 1d window, 100 % coverage, 3 cycles) CRIC online

Links:
  - qmonit: https://q.example/suspicious

Alert: QmonitGroupDeviation 00000000000000ab
Labels: direction=drop, group=cloud=DE, incident_id=00000000000000ab, kind=group, state=running
`
	if got != want {
		t.Errorf("Text() =\n%s\nwant\n%s", got, want)
	}
	r := a
	r.End = t0.Add(-5 * time.Minute)
	got = Text(Message{Kind: KindDigest, Alerts: []Alert{r}, Omitted: 2, Time: t0})
	for _, s := range []string{"qmonit digest: 0 firing, 1 resolved.", "2 more alerts were held back",
		"RESOLVED: running drop", "Ended:    2026-01-01 09:55 UTC (5m ago) (lasted 25m)"} {
		if !strings.Contains(got, s) {
			t.Errorf("digest text lacks %q:\n%s", s, got)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	a := al("A")
	a.Title = "drop at @channel [click](http://evil.example) *bold*"
	a.Queues = []string{"Q`1", "@all"}
	a.Summary = "see <!here> and ![img](x)"
	a.Links = []Link{{Title: "q]page", URL: "https://q.example/a b)(c"}}
	got := Markdown(Message{Kind: KindFiring, Alerts: []Alert{a.normalized()}, Time: t0})
	for _, bad := range []string{"@channel", "@all", "[click](", "*bold*", "<!here>", "![img]", "a b)"} {
		if strings.Contains(got, bad) {
			t.Errorf("markdown contains %q unescaped:\n%s", bad, got)
		}
	}
	for _, good := range []string{`\[click\]\(http://evil.example\)`, "`Q'1`", "[q\\]page](https://q.example/a%20b%29%28c)"} {
		if !strings.Contains(got, good) {
			t.Errorf("markdown lacks %q:\n%s", good, got)
		}
	}
}

func TestNormalizedBounds(t *testing.T) {
	a := al("A")
	a.Title = "line1\nline2\r\x00\x1b[31m" + strings.Repeat("é", 1000)
	a.Summary = "a\nb\x07"
	for range MaxEvidence + 5 {
		a.Evidence = append(a.Evidence, "e")
	}
	for range MaxQueuesShown + 3 {
		a.Queues = append(a.Queues, "q")
	}
	n := a.normalized()
	if strings.ContainsAny(n.Title, "\n\r\x00\x1b") || len(n.Title) > MaxTextLen || !strings.HasSuffix(n.Title, "…") {
		t.Errorf("title not cleaned or clipped: %d bytes %q…", len(n.Title), n.Title[:40])
	}
	if n.Summary != "a\nb" {
		t.Errorf("summary = %q, want %q", n.Summary, "a\nb")
	}
	if len(n.Evidence) != MaxEvidence+1 || n.Evidence[MaxEvidence] != "(5 more lines)" {
		t.Errorf("evidence: %d lines, last %q", len(n.Evidence), n.Evidence[len(n.Evidence)-1])
	}
	if len(n.Queues) != MaxQueuesShown+1 || n.Queues[MaxQueuesShown] != "(3 more)" {
		t.Errorf("queues: %d, last %q", len(n.Queues), n.Queues[len(n.Queues)-1])
	}
}

func TestAlertValidate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mod     func(a *Alert)
		wantErr string
	}{
		{"valid", func(*Alert) {}, ""},
		{"empty key", func(a *Alert) { a.Key = "" }, "key: empty"},
		{"long key", func(a *Alert) { a.Key = strings.Repeat("k", MaxKeyLen+1) }, "longer than"},
		{"bad name", func(a *Alert) { a.Name = "has space" }, "name"},
		{"no title", func(a *Alert) { a.Title = "" }, "title: empty"},
		{"no start", func(a *Alert) { a.Start = time.Time{} }, "start: zero"},
		{"end before start", func(a *Alert) { a.End = a.Start.Add(-time.Second) }, "before start"},
		{"bad severity", func(a *Alert) { a.Severity = "fatal" }, "severity"},
		{"bad label", func(a *Alert) { a.Labels = map[string]string{"a-b": "x"} }, `label name "a-b"`},
		{"reserved label", func(a *Alert) { a.Labels = map[string]string{"__name__": "x"} }, "__"},
		{"bad label value", func(a *Alert) { a.Labels = map[string]string{"a": "\xff"} }, "not UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := al("A")
			tt.mod(&a)
			err := a.Validate()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}
