package notify

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Severities, in decreasing order of urgency. An empty Severity is read as
// SeverityWarning.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Scopes name the producers of alerts. Update resolves an alert only when its
// own scope no longer reports it, so incidents and pipeline-health alerts can
// be updated by separate calls.
const (
	ScopeIncidents = "incidents"
	ScopePipeline  = "pipeline"
)

// Size limits applied to every alert before it is formatted.
const (
	MaxKeyLen      = 256
	MaxTextLen     = 1000 // title, summary, one evidence line
	MaxEvidence    = 50   // evidence lines kept per alert
	MaxLinks       = 20
	MaxLabels      = 32
	MaxQueuesShown = 100 // queues listed per alert; the rest are counted
)

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Alert is one notifiable condition: a detector incident (see FromReport)
// or a pipeline-health alert built by the daemon. The same condition keeps
// the same Key from cycle to cycle; a new occurrence gets a new Key.
type Alert struct {
	// Key is the stable fingerprint (an incident ID, "pipeline/panda").
	Key string
	// Name is the alert name (Alertmanager's alertname), e.g.
	// "QmonitGroupDeviation".
	Name string
	// Severity is SeverityCritical, SeverityWarning or SeverityInfo.
	Severity string
	// Title is one line, used in subjects: "running drop at 5 queues (cloud=DE)".
	Title string
	// Summary is a sentence or two of plain text.
	Summary string
	// Labels identify the alert for routing (Alertmanager labels); names
	// follow Prometheus' label syntax.
	Labels map[string]string
	// Queues are the PanDA queues concerned; grouped incidents list several.
	Queues []string
	// Evidence lines: the numbers behind the alert.
	Evidence []string
	// Links to the queue page, BigPanDA, CRIC; the first is Alertmanager's
	// generatorURL.
	Links []Link
	// Start is when the condition began.
	Start time.Time
	// End is when it ended; zero while it is open.
	End time.Time
	// Expected marks conditions that are shown but not notified (a queue
	// CRIC set offline draining).
	Expected bool
}

// Link is a titled URL.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Resolved reports whether the alert has ended.
func (a *Alert) Resolved() bool { return !a.End.IsZero() }

// Status is "firing" or "resolved".
func (a *Alert) Status() string {
	if a.Resolved() {
		return "resolved"
	}
	return "firing"
}

// Validate reports the first problem that makes a unusable. Text fields
// are not checked here: Normalize trims them.
func (a *Alert) Validate() error {
	switch {
	case a.Key == "":
		return errors.New("alert: key: empty")
	case len(a.Key) > MaxKeyLen || !utf8.ValidString(a.Key):
		return fmt.Errorf("alert %.40q: key: longer than %d bytes or not UTF-8", a.Key, MaxKeyLen)
	case a.Name == "" || !labelName.MatchString(a.Name):
		return fmt.Errorf("alert %q: name %q: want [a-zA-Z_][a-zA-Z0-9_]*", a.Key, a.Name)
	case a.Title == "":
		return fmt.Errorf("alert %q: title: empty", a.Key)
	case a.Start.IsZero():
		return fmt.Errorf("alert %q: start: zero", a.Key)
	case a.Resolved() && a.End.Before(a.Start):
		return fmt.Errorf("alert %q: end %s before start %s", a.Key, a.End.Format(time.RFC3339), a.Start.Format(time.RFC3339))
	case len(a.Labels) > MaxLabels:
		return fmt.Errorf("alert %q: %d labels, at most %d", a.Key, len(a.Labels), MaxLabels)
	}
	switch a.Severity {
	case "", SeverityCritical, SeverityWarning, SeverityInfo:
	default:
		return fmt.Errorf("alert %q: severity %q: want critical, warning or info", a.Key, a.Severity)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if !labelName.MatchString(k) || strings.HasPrefix(k, "__") {
			return fmt.Errorf("alert %q: label name %q: want [a-zA-Z_][a-zA-Z0-9_]*, not starting with __", a.Key, k)
		}
		if v := a.Labels[k]; len(v) > MaxTextLen || !utf8.ValidString(v) {
			return fmt.Errorf("alert %q: label %q: value longer than %d bytes or not UTF-8", a.Key, k, MaxTextLen)
		}
	}
	return nil
}

// normalized returns a deep copy of a with text made safe and bounded: valid
// UTF-8, no control characters in one-line fields, lengths and counts capped
// (what was cut is said), severity defaulted. The core keeps only normalized
// copies, so callers may reuse their slices and maps.
func (a *Alert) normalized() Alert {
	out := *a
	if out.Severity == "" {
		out.Severity = SeverityWarning
	}
	out.Title = oneLine(a.Title, MaxTextLen)
	out.Summary = multiLine(a.Summary, 4*MaxTextLen)
	out.Labels = maps.Clone(a.Labels)
	out.Queues = make([]string, 0, min(len(a.Queues), MaxQueuesShown))
	for _, q := range a.Queues[:min(len(a.Queues), MaxQueuesShown)] {
		out.Queues = append(out.Queues, oneLine(q, 200))
	}
	if n := len(a.Queues) - MaxQueuesShown; n > 0 {
		out.Queues = append(out.Queues, fmt.Sprintf("(%d more)", n))
	}
	out.Evidence = make([]string, 0, min(len(a.Evidence), MaxEvidence+1))
	for _, e := range a.Evidence[:min(len(a.Evidence), MaxEvidence)] {
		out.Evidence = append(out.Evidence, oneLine(e, MaxTextLen))
	}
	if n := len(a.Evidence) - MaxEvidence; n > 0 {
		out.Evidence = append(out.Evidence, fmt.Sprintf("(%d more lines)", n))
	}
	out.Links = make([]Link, 0, min(len(a.Links), MaxLinks))
	for _, l := range a.Links[:min(len(a.Links), MaxLinks)] {
		out.Links = append(out.Links, Link{Title: oneLine(l.Title, 200), URL: oneLine(l.URL, 2000)})
	}
	return out
}

// oneLine makes s valid UTF-8 without control characters (newlines become
// spaces) and at most limit bytes.
func oneLine(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			return -1
		}
		return r
	}, s)
	return clip(s, limit)
}

// multiLine is oneLine keeping line breaks (as "\n").
func multiLine(s string, limit int) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = oneLine(l, limit)
	}
	return clip(strings.Join(lines, "\n"), limit)
}

// clip cuts s to at most limit bytes on a rune boundary, marking the cut.
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// withLabels returns ls plus extra (ls wins), as a new map.
func withLabels(ls, extra map[string]string) map[string]string {
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, ls)
	return out
}
