package notify

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

// al is a minimal valid open alert.
func al(key string) Alert {
	return Alert{Key: key, Name: "QmonitTest", Title: "title " + key, Start: t0.Add(-time.Hour)}
}

func expected(key string) Alert {
	a := al(key)
	a.Expected = true
	return a
}

func ended(key string, at time.Duration) Alert {
	a := al(key)
	a.End = t0.Add(at)
	return a
}

// step is one call on a Core: Update (scope and alerts) or, when tick is
// set, Tick. want summarises the messages: "firing:K", "repeat:K",
// "resolved:K", "digest:K1,K2" (+"+N" when alerts were omitted).
type step struct {
	at     time.Duration // after t0
	scope  string        // "" means ScopeIncidents
	alerts []Alert
	tick   bool
	want   []string
}

func summarise(ms []Message) []string {
	var out []string
	for _, m := range ms {
		keys := make([]string, len(m.Alerts))
		for i, a := range m.Alerts {
			keys[i] = a.Key
		}
		s := string(m.Kind)
		if m.Repeat {
			s = "repeat"
		}
		if m.Kind == KindDigest {
			for i, a := range m.Alerts {
				if a.Resolved() {
					keys[i] += "(r)"
				}
			}
		}
		s += ":" + strings.Join(keys, ",")
		if m.Omitted > 0 {
			s += fmt.Sprintf("+%d", m.Omitted)
		}
		out = append(out, s)
	}
	return out
}

func TestCore(t *testing.T) {
	a, b, c, d, e := al("A"), al("B"), al("C"), al("D"), al("E")
	for _, tt := range []struct {
		name  string
		pol   Policy
		steps []step
	}{
		{name: "one message when an alert opens, none while it stays open", steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 10 * time.Minute, alerts: []Alert{a}},
			{at: 20 * time.Minute, alerts: []Alert{a}},
		}},
		{name: "duplicate keys in one update are one alert", steps: []step{
			{at: 0, alerts: []Alert{a, a, b, a}, want: []string{"firing:A", "firing:B"}},
		}},
		{name: "empty key ignored", steps: []step{
			{at: 0, alerts: []Alert{{Title: "no key"}, a}, want: []string{"firing:A"}},
		}},
		{name: "renotify interval repeats still-open alerts", pol: Policy{Renotify: time.Hour}, steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 50 * time.Minute, alerts: []Alert{a}},
			{at: 60 * time.Minute, alerts: []Alert{a, b}, want: []string{"firing:B", "repeat:A"}},
			{at: 110 * time.Minute, alerts: []Alert{a, b}},
			{at: 120 * time.Minute, alerts: []Alert{a, b}, want: []string{"repeat:A", "repeat:B"}},
			{at: 130 * time.Minute, alerts: []Alert{a, b}},
		}},
		{name: "no renotify when interval is zero", steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 48 * time.Hour, alerts: []Alert{a}},
		}},
		{name: "missing alert resolves", steps: []step{
			{at: 0, alerts: []Alert{a, b}, want: []string{"firing:A", "firing:B"}},
			{at: 10 * time.Minute, alerts: []Alert{b}, want: []string{"resolved:A"}},
			{at: 20 * time.Minute, alerts: nil, want: []string{"resolved:B"}},
			{at: 30 * time.Minute, alerts: nil},
		}},
		{name: "alert with end resolves once", steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 10 * time.Minute, alerts: []Alert{ended("A", 5*time.Minute)}, want: []string{"resolved:A"}},
			{at: 20 * time.Minute, alerts: []Alert{ended("A", 5*time.Minute)}},
		}},
		{name: "closed alert never seen open is not announced", steps: []step{
			{at: 0, alerts: []Alert{ended("A", 0)}},
		}},
		{name: "expected alert shown but not notified", pol: Policy{Renotify: time.Minute}, steps: []step{
			{at: 0, alerts: []Alert{expected("A")}},
			{at: 10 * time.Minute, alerts: []Alert{expected("A")}},
			{at: 20 * time.Minute, alerts: nil},
		}},
		{name: "expected alert that stops being expected fires then resolves", steps: []step{
			{at: 0, alerts: []Alert{expected("A")}},
			{at: 10 * time.Minute, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 20 * time.Minute, alerts: []Alert{expected("A")}},
			{at: 30 * time.Minute, alerts: nil, want: []string{"resolved:A"}},
		}},
		{name: "notified alert turned expected gets no reminders", pol: Policy{Renotify: 10 * time.Minute}, steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 10 * time.Minute, alerts: []Alert{expected("A")}},
			{at: 20 * time.Minute, alerts: []Alert{expected("A")}},
			{at: 30 * time.Minute, alerts: []Alert{a}, want: []string{"repeat:A"}},
		}},
		{name: "scopes resolve only their own alerts", steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 0, scope: ScopePipeline, alerts: []Alert{b}, want: []string{"firing:B"}},
			{at: 10 * time.Minute, scope: ScopePipeline, alerts: nil, want: []string{"resolved:B"}},
			{at: 10 * time.Minute, alerts: []Alert{a}},
			{at: 20 * time.Minute, alerts: nil, want: []string{"resolved:A"}},
		}},
		{name: "rate limit holds the excess for one digest", pol: Policy{RateLimit: 2, RatePeriod: time.Hour}, steps: []step{
			{at: 0, alerts: []Alert{a, b, c, d, e}, want: []string{"firing:A", "firing:B"}},
			{at: 30 * time.Minute, alerts: []Alert{a, b, c, d, e}},
			{at: 60 * time.Minute, alerts: []Alert{a, b, c, d, e}, want: []string{"digest:C,D,E"}},
			{at: 70 * time.Minute, alerts: []Alert{a, b}, want: []string{"resolved:C"}},
			{at: 80 * time.Minute, alerts: []Alert{a, b}},
			{at: 120 * time.Minute, alerts: []Alert{a, b}, want: []string{"digest:D(r),E(r)"}},
		}},
		{name: "rate limit window slides", pol: Policy{RateLimit: 2, RatePeriod: time.Hour}, steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"firing:A"}},
			{at: 30 * time.Minute, alerts: []Alert{a, b}, want: []string{"firing:B"}},
			{at: 40 * time.Minute, alerts: []Alert{a, b, c}},
			{at: 60 * time.Minute, alerts: []Alert{a, b, c}, want: []string{"firing:C"}}, // one held: sent plain
			{at: 70 * time.Minute, alerts: []Alert{a, b, c, d}},                          // B (30m) and C (60m) fill the window
			{at: 90 * time.Minute, alerts: []Alert{a, b, c, d}, want: []string{"firing:D"}},
		}},
		{name: "held firing that resolves is listed resolved", pol: Policy{RateLimit: 1, RatePeriod: time.Hour}, steps: []step{
			{at: 0, alerts: []Alert{a, b}, want: []string{"firing:A"}},
			{at: 10 * time.Minute, alerts: []Alert{a}},
			{at: 60 * time.Minute, alerts: []Alert{a}, want: []string{"resolved:B"}},
		}},
		{name: "while alerts are held, news joins the digest", pol: Policy{RateLimit: 1, RatePeriod: time.Hour}, steps: []step{
			{at: 0, alerts: []Alert{a, b}, want: []string{"firing:A"}},
			{at: 10 * time.Minute, alerts: []Alert{a, b, c}},
			{at: 60 * time.Minute, alerts: []Alert{a, c}, want: []string{"digest:B(r),C"}},
			{at: 70 * time.Minute, alerts: []Alert{a, c, d}},
			{at: 120 * time.Minute, alerts: []Alert{a, c, d}, want: []string{"firing:D"}},
		}},
		{name: "rate limited reminders are coalesced", pol: Policy{Renotify: 30 * time.Minute, RateLimit: 2, RatePeriod: time.Hour}, steps: []step{
			{at: 0, alerts: []Alert{a, b}, want: []string{"firing:A", "firing:B"}},
			{at: 30 * time.Minute, alerts: []Alert{a, b}},
			{at: 60 * time.Minute, alerts: []Alert{a, b}, want: []string{"digest:A,B"}},
		}},
		{name: "digest beyond its cap counts the rest", pol: Policy{RateLimit: 1, RatePeriod: time.Hour, MaxDigest: 2}, steps: []step{
			{at: 0, alerts: []Alert{a, b, c, d, e}, want: []string{"firing:A"}},
			{at: 60 * time.Minute, alerts: []Alert{a, b, c, d, e}, want: []string{"digest:D,E+2"}},
		}},
		{name: "tick flushes the digest and reminders between updates", pol: Policy{Renotify: time.Hour, RateLimit: 1, RatePeriod: time.Hour}, steps: []step{
			{at: 0, alerts: []Alert{a, b}, want: []string{"firing:A"}},
			{at: 30 * time.Minute, tick: true},
			{at: 60 * time.Minute, tick: true, want: []string{"digest:B,A"}},
			{at: 61 * time.Minute, tick: true},
		}},
		{name: "batch makes one message per update", pol: Policy{Batch: true, Renotify: 10 * time.Minute}, steps: []step{
			{at: 0, alerts: []Alert{a, b, expected("C")}, want: []string{"digest:A,B"}},
			{at: 5 * time.Minute, alerts: []Alert{a, b, expected("C")}},
			{at: 10 * time.Minute, alerts: []Alert{b, expected("C")}, want: []string{"digest:A(r),B"}},
			{at: 15 * time.Minute, alerts: []Alert{b, expected("C")}},
			{at: 20 * time.Minute, alerts: nil, want: []string{"digest:B(r)"}},
		}},
		{name: "large batch is split, nothing omitted", pol: Policy{Batch: true, MaxDigest: 2}, steps: []step{
			{at: 0, alerts: []Alert{a, b, c, d, e}, want: []string{"digest:A,B", "digest:C,D", "digest:E"}},
		}},
		{name: "batch of one alert is still a digest", pol: Policy{Batch: true}, steps: []step{
			{at: 0, alerts: []Alert{a}, want: []string{"digest:A"}},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			core := NewCore(tt.pol)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				var ms []Message
				if s.tick {
					ms = core.Tick(now)
				} else {
					ms = core.Update(now, cmpScope(s.scope), s.alerts)
				}
				if got := summarise(ms); !slices.Equal(got, s.want) {
					t.Fatalf("step %d (+%s): messages %q, want %q", i, s.at, got, s.want)
				}
				for _, m := range ms {
					if !m.Time.Equal(now) {
						t.Errorf("step %d: message time %s, want %s", i, m.Time, now)
					}
				}
			}
		})
	}
}

func cmpScope(s string) string {
	if s == "" {
		return ScopeIncidents
	}
	return s
}

func TestCoreResolvedContent(t *testing.T) {
	core := NewCore(Policy{})
	a := al("A")
	a.Queues = []string{"Q1"}
	core.Update(t0, ScopeIncidents, []Alert{a})
	a.Queues[0] = "changed by caller" // the core keeps its own copy
	ms := core.Update(t0.Add(10*time.Minute), ScopeIncidents, nil)
	if len(ms) != 1 || ms[0].Kind != KindResolved {
		t.Fatalf("got %q, want one resolved", summarise(ms))
	}
	got := ms[0].Alerts[0]
	if !got.End.Equal(t0.Add(10*time.Minute)) || got.Queues[0] != "Q1" || got.Severity != SeverityWarning {
		t.Errorf("resolved alert = end %s, queues %q, severity %q; want end at the update, Q1, warning",
			got.End, got.Queues, got.Severity)
	}
	if core.Open() != 0 || core.Held() != 0 {
		t.Errorf("Open, Held = %d, %d; want 0, 0", core.Open(), core.Held())
	}
}

func TestCoreHeldNeverLost(t *testing.T) {
	// A burst far beyond the rate limit and the digest cap: every alert is
	// either announced, listed in a digest or counted as omitted.
	core := NewCore(Policy{RateLimit: 3, RatePeriod: time.Hour, MaxDigest: 50})
	var burst []Alert
	for i := range 500 {
		burst = append(burst, al(fmt.Sprintf("K%03d", i)))
	}
	seen := 0
	for h := range 3 {
		for _, m := range core.Update(t0.Add(time.Duration(h)*time.Hour), ScopeIncidents, burst) {
			seen += len(m.Alerts) + m.Omitted
		}
	}
	if seen != 500 {
		t.Errorf("announced, listed or counted %d alerts, want 500", seen)
	}
}

func BenchmarkCoreUpdate(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("%d-open", n), func(b *testing.B) {
			alerts := make([]Alert, n)
			for i := range alerts {
				alerts[i] = al(fmt.Sprintf("K%05d", i))
				alerts[i].Evidence = []string{"Q managed/SCORE running: 0 (baseline 100)"}
				alerts[i].Queues = []string{"Q1", "Q2", "Q3"}
			}
			core := NewCore(Policy{Renotify: time.Hour, RateLimit: 10, RatePeriod: time.Hour})
			b.ReportAllocs()
			now := t0
			for b.Loop() {
				now = now.Add(10 * time.Minute)
				core.Update(now, ScopeIncidents, alerts)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "alerts/s")
		})
	}
}

func TestCorePrimeSuppressesReannouncement(t *testing.T) {
	c := NewCore(Policy{Renotify: time.Hour})
	c.Prime(t0, ScopeIncidents, []Alert{al("a"), expected("x"), ended("gone", 0)})
	if c.Open() != 2 {
		t.Fatalf("open after prime = %d, want 2 (the ended alert is not tracked)", c.Open())
	}
	for _, s := range []struct {
		at     time.Duration
		alerts []Alert
		want   []string
	}{
		{10 * time.Minute, []Alert{al("a"), expected("x"), al("b")}, []string{"firing:b"}},
		{time.Hour, []Alert{al("a"), expected("x"), al("b")}, []string{"repeat:a"}},
		{70 * time.Minute, []Alert{al("b")}, []string{"resolved:a", "repeat:b"}},
	} {
		got := summarise(c.Update(t0.Add(s.at), ScopeIncidents, s.alerts))
		if !slices.Equal(got, s.want) {
			t.Errorf("at +%s: %v, want %v", s.at, got, s.want)
		}
	}
}
