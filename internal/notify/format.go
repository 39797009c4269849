package notify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Subject is the one-line summary of m used as the e-mail subject and the
// chat heading: "[FIRING] <title>", "[FIRING] <title> (reminder)",
// "[RESOLVED] <title>", or for a digest "[FIRING:3 RESOLVED:1] qmonit: 4
// alerts" (plus "+N not listed" when some were omitted).
func Subject(m Message) string {
	if m.Kind != KindDigest && len(m.Alerts) == 1 {
		a := &m.Alerts[0]
		s := "[" + strings.ToUpper(a.Status()) + "] " + a.Title
		if m.Repeat {
			s += " (reminder)"
		}
		return s
	}
	firing, resolved := counts(m.Alerts)
	var tags []string
	if firing > 0 {
		tags = append(tags, fmt.Sprintf("FIRING:%d", firing))
	}
	if resolved > 0 {
		tags = append(tags, fmt.Sprintf("RESOLVED:%d", resolved))
	}
	s := fmt.Sprintf("[%s] qmonit: %d alerts", strings.Join(tags, " "), len(m.Alerts))
	if m.Omitted > 0 {
		s += fmt.Sprintf(" (+%d not listed)", m.Omitted)
	}
	return s
}

func counts(as []Alert) (firing, resolved int) {
	for i := range as {
		if as[i].Resolved() {
			resolved++
		} else {
			firing++
		}
	}
	return firing, resolved
}

// Text renders m as plain text (the e-mail body). Lines end in "\n".
func Text(m Message) string {
	var b strings.Builder
	if m.Kind == KindDigest {
		firing, resolved := counts(m.Alerts)
		fmt.Fprintf(&b, "qmonit digest: %d firing, %d resolved.\n", firing, resolved)
		if m.Omitted > 0 {
			fmt.Fprintf(&b, "%d more alerts were held back and are not listed here.\n", m.Omitted)
		}
		b.WriteString("Several notifications were combined into this one (rate limit or batch).\n")
		for i := range m.Alerts {
			b.WriteString("\n----------------------------------------\n")
			writeText(&b, &m.Alerts[i], m.Time, false)
		}
		return b.String()
	}
	for i := range m.Alerts {
		writeText(&b, &m.Alerts[i], m.Time, m.Repeat)
	}
	return b.String()
}

func writeText(b *strings.Builder, a *Alert, now time.Time, repeat bool) {
	status := strings.ToUpper(a.Status())
	if repeat {
		status += " (reminder, still open)"
	}
	fmt.Fprintf(b, "%s: %s\n\n", status, a.Title)
	fmt.Fprintf(b, "Severity: %s\n", a.Severity)
	fmt.Fprintf(b, "Started:  %s\n", stamp(a.Start, now))
	if a.Resolved() {
		fmt.Fprintf(b, "Ended:    %s (lasted %s)\n", stamp(a.End, now), span(a.End.Sub(a.Start)))
	}
	if a.Expected {
		b.WriteString("Expected: yes (e.g. the queue is offline in CRIC)\n")
	}
	if len(a.Queues) > 0 {
		fmt.Fprintf(b, "Queues:   %s\n", strings.Join(a.Queues, ", "))
	}
	if a.Summary != "" {
		fmt.Fprintf(b, "\n%s\n", a.Summary)
	}
	if len(a.Evidence) > 0 {
		b.WriteString("\nEvidence:\n")
		for _, e := range a.Evidence {
			fmt.Fprintf(b, "  - %s\n", e)
		}
	}
	if len(a.Links) > 0 {
		b.WriteString("\nLinks:\n")
		for _, l := range a.Links {
			fmt.Fprintf(b, "  - %s: %s\n", l.Title, l.URL)
		}
	}
	fmt.Fprintf(b, "\nAlert: %s %s\n", a.Name, a.Key)
	if len(a.Labels) > 0 {
		fmt.Fprintf(b, "Labels: %s\n", labelText(a.Labels))
	}
}

func labelText(ls map[string]string) string {
	parts := make([]string, 0, len(ls))
	for _, k := range slices.Sorted(maps.Keys(ls)) {
		parts = append(parts, k+"="+ls[k])
	}
	return strings.Join(parts, ", ")
}

// stamp is "2026-01-01 10:00 UTC (2h10m ago)".
func stamp(t, now time.Time) string {
	s := t.UTC().Format("2006-01-02 15:04 MST")
	if d := now.Sub(t); d > 0 {
		s += " (" + span(d) + " ago)"
	}
	return s
}

// span is a duration rounded to minutes: "45m", "2h10m", "1h", "1d", "3d4h".
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", m)
	case d < 24*time.Hour && m == 0:
		return fmt.Sprintf("%dh", h)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", h, m)
	case h%24 == 0:
		return fmt.Sprintf("%dd", h/24)
	}
	return fmt.Sprintf("%dd%dh", h/24, h%24)
}

// Markdown renders m for Mattermost or Slack incoming webhooks. Text from
// alerts is escaped, so a queue name cannot add links, formatting or
// @-mentions.
func Markdown(m Message) string {
	var b strings.Builder
	if m.Kind == KindDigest {
		fmt.Fprintf(&b, "#### %s\n", mdEscape(Subject(m)))
		for i := range m.Alerts {
			a := &m.Alerts[i]
			fmt.Fprintf(&b, "- %s **%s** %s", icon(a), strings.ToUpper(a.Status()), mdEscape(a.Title))
			if len(a.Queues) > 0 {
				fmt.Fprintf(&b, " (%s)", mdCodes(a.Queues, 10))
			}
			if len(a.Links) > 0 {
				fmt.Fprintf(&b, " [%s](%s)", mdEscape(a.Links[0].Title), mdURL(a.Links[0].URL))
			}
			b.WriteString("\n")
		}
		if m.Omitted > 0 {
			fmt.Fprintf(&b, "\n%d more alerts were held back and are not listed.\n", m.Omitted)
		}
		return b.String()
	}
	for i := range m.Alerts {
		writeMarkdown(&b, &m.Alerts[i], m)
	}
	return b.String()
}

func writeMarkdown(b *strings.Builder, a *Alert, m Message) {
	fmt.Fprintf(b, "#### %s %s\n", icon(a), mdEscape(Subject(Message{Kind: m.Kind, Repeat: m.Repeat, Alerts: []Alert{*a}})))
	fmt.Fprintf(b, "**Severity:** %s · **Started:** %s", mdEscape(a.Severity), stamp(a.Start, m.Time))
	if a.Resolved() {
		fmt.Fprintf(b, " · **Ended:** %s", stamp(a.End, m.Time))
	}
	b.WriteString("\n")
	if len(a.Queues) > 0 {
		fmt.Fprintf(b, "**Queues:** %s\n", mdCodes(a.Queues, MaxQueuesShown))
	}
	if a.Summary != "" {
		fmt.Fprintf(b, "\n%s\n", mdEscape(a.Summary))
	}
	if len(a.Evidence) > 0 {
		b.WriteString("\n")
		for _, e := range a.Evidence {
			fmt.Fprintf(b, "- %s\n", mdEscape(e))
		}
	}
	if len(a.Links) > 0 {
		links := make([]string, len(a.Links))
		for i, l := range a.Links {
			links[i] = fmt.Sprintf("[%s](%s)", mdEscape(l.Title), mdURL(l.URL))
		}
		fmt.Fprintf(b, "\n%s\n", strings.Join(links, " · "))
	}
}

func icon(a *Alert) string {
	switch {
	case a.Resolved():
		return ":white_check_mark:"
	case a.Severity == SeverityCritical:
		return ":red_circle:"
	case a.Severity == SeverityInfo:
		return ":information_source:"
	}
	return ":warning:"
}

var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`,
	"(", `\(`, ")", `\)`, "#", `\#`, "<", `\<`, ">", `\>`, "|", `\|`, "!", `\!`,
	// A zero-width joiner after @ keeps "@channel" and "@all" from notifying.
	"@", "@\u2060",
)

func mdEscape(s string) string { return mdReplacer.Replace(s) }

// mdCodes lists names as code spans (no formatting, no mentions inside),
// at most limit of them.
func mdCodes(names []string, limit int) string {
	parts := make([]string, 0, min(len(names), limit)+1)
	for _, n := range names[:min(len(names), limit)] {
		n = strings.ReplaceAll(strings.ReplaceAll(n, "`", "'"), "@", "@\u2060")
		parts = append(parts, "`"+n+"`")
	}
	if len(names) > limit {
		parts = append(parts, fmt.Sprintf("and %d more", len(names)-limit))
	}
	return strings.Join(parts, ", ")
}

// mdURL keeps a link target from closing the markdown link early.
func mdURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u)
}
