package notify

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/qmonit/qmonit/internal/detect"
	"github.com/qmonit/qmonit/internal/point"
)

// Alert names of detector incidents.
const (
	NameQueueDeviation = "QmonitQueueDeviation"
	NameGroupDeviation = "QmonitGroupDeviation"
	NameDataQuality    = "QmonitDataQuality"
)

// Default link bases.
const (
	DefaultBigPandaURL = "https://bigpanda.cern.ch"
	DefaultCRICURL     = "https://atlas-cric.cern.ch"
)

// maxQueueLinks bounds the BigPanDA and CRIC links of one incident.
const maxQueueLinks = 5

// IncidentOptions tell FromReport how to build links and labels.
type IncidentOptions struct {
	// ExternalURL is qmonit's public base URL ("" leaves out the link to
	// qmonit's Suspicious page).
	ExternalURL string
	// BigPandaURL and CRICURL are link bases; "" means the defaults.
	BigPandaURL string
	CRICURL     string
}

// FromReport turns a detector report into alerts for Update with
// ScopeIncidents: the open incidents, then those closed this cycle (End
// set).
func FromReport(rep detect.Report, o IncidentOptions) []Alert {
	out := make([]Alert, 0, len(rep.Open)+len(rep.Closed))
	for i := range rep.Open {
		out = append(out, FromIncident(&rep.Open[i], o))
	}
	for i := range rep.Closed {
		out = append(out, FromIncident(&rep.Closed[i], o))
	}
	return out
}

// FromIncident turns one detector incident into an alert keyed by the
// incident ID.
func FromIncident(inc *detect.Incident, o IncidentOptions) Alert {
	a := Alert{
		Key:      inc.ID,
		Severity: SeverityWarning,
		Queues:   inc.Queues,
		Start:    inc.Start,
		Expected: inc.Expected,
		Labels:   map[string]string{"kind": inc.Kind, "incident_id": inc.ID},
	}
	if inc.End != nil {
		a.End = *inc.End
	}
	setLabel(a.Labels, "state", inc.State)
	setLabel(a.Labels, "direction", inc.Direction)
	setLabel(a.Labels, "group", inc.Group)
	if len(inc.Queues) == 1 {
		a.Labels["queue"] = inc.Queues[0]
	}
	series := ""
	if len(inc.Evidence) > 0 {
		series = inc.Evidence[0].ProdSource + "/" + inc.Evidence[0].Resource
	}
	switch inc.Kind {
	case detect.KindGroup:
		a.Name = NameGroupDeviation
		a.Title = fmt.Sprintf("%s %s at %d queues (%s)", inc.State, inc.Direction, len(inc.Queues), inc.Group)
		a.Summary = fmt.Sprintf("%d queues sharing %s show a %s in %s jobs at the same time: one incident, probably one cause.",
			len(inc.Queues), inc.Group, inc.Direction, inc.State)
	case detect.KindDataQuality:
		a.Name = NameDataQuality
		a.Severity = SeverityInfo
		a.Title = "no data from " + strings.Join(inc.Queues, ", ")
		a.Summary = "Series of this queue stopped arriving. Missing data is not read as a drop to zero."
	default:
		a.Name = NameQueueDeviation
		a.Title = fmt.Sprintf("%s %s at %s (%s)", inc.State, inc.Direction, strings.Join(inc.Queues, ", "), series)
		if len(inc.Evidence) > 0 {
			f := &inc.Evidence[0]
			a.Summary = fmt.Sprintf("%s jobs at %s (%s): %s against a baseline of %s (%+.0f %%).",
				f.State, f.Queue, series, num(f.Value), num(f.Baseline), signedRel(f))
		}
	}
	if inc.Expected {
		a.Title += " (expected)"
		a.Summary += " Expected: every queue concerned is offline, in test or brokeroff in CRIC."
	}
	for i := range inc.Evidence {
		a.Evidence = append(a.Evidence, evidenceLine(&inc.Evidence[i]))
	}
	a.Links = incidentLinks(inc, o)
	return a
}

func setLabel(ls map[string]string, k, v string) {
	if v != "" {
		ls[k] = v
	}
}

// evidenceLine is one finding in one line:
// "Q1 managed/SCORE running: 12 (baseline 340, MAD 20, -96 %, score 16.4; 24h window, 98 % coverage, 3 cycles) CRIC online"
func evidenceLine(f *detect.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s %s: ", f.Queue, f.ProdSource, f.Resource, f.State)
	window := span(time.Duration(f.WindowSeconds * float64(time.Second)))
	if f.Kind == detect.KindDataQuality {
		fmt.Fprintf(&b, "no data for %d cycles (baseline %s; %s window, %.0f %% coverage)",
			f.Cycles, num(f.Baseline), window, 100*f.Coverage)
	} else {
		fmt.Fprintf(&b, "%s (baseline %s, MAD %s, %+.0f %%, score %.1f; %s window, %.0f %% coverage, %d cycles)",
			num(f.Value), num(f.Baseline), num(f.MAD), signedRel(f), f.Score, window, 100*f.Coverage, f.Cycles)
	}
	if f.SiteState != "" && f.SiteState != point.NoValue {
		fmt.Fprintf(&b, " CRIC %s", f.SiteState)
	}
	if sc := f.StateChange; sc != nil {
		fmt.Fprintf(&b, " (CRIC %s→%s at %s)", sc.From, sc.To, sc.At.UTC().Format("2006-01-02 15:04 MST"))
	}
	if f.Expected {
		b.WriteString(" expected")
	}
	return b.String()
}

// signedRel is the relative deviation in percent, negative for drops.
func signedRel(f *detect.Finding) float64 {
	r := 100 * f.RelDeviation
	if f.Direction == detect.Drop && r > 0 {
		r = -r
	}
	return r
}

// num prints a job count: whole numbers without decimals.
func num(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

func incidentLinks(inc *detect.Incident, o IncidentOptions) []Link {
	var links []Link
	if base := strings.TrimRight(o.ExternalURL, "/"); base != "" {
		u := base + "/suspicious"
		if len(inc.Queues) == 1 {
			u = base + "/queue/" + url.PathEscape(inc.Queues[0])
		}
		links = append(links, Link{Title: "qmonit", URL: u})
	}
	bp := strings.TrimRight(cmp.Or(o.BigPandaURL, DefaultBigPandaURL), "/")
	cric := strings.TrimRight(cmp.Or(o.CRICURL, DefaultCRICURL), "/")
	for _, q := range inc.Queues[:min(len(inc.Queues), maxQueueLinks)] {
		links = append(links, Link{Title: "BigPanDA " + q, URL: bp + "/site/" + url.PathEscape(q) + "/"})
	}
	for _, q := range inc.Queues[:min(len(inc.Queues), maxQueueLinks)] {
		links = append(links, Link{Title: "CRIC " + q, URL: cric + "/atlas/pandaqueue/detail/" + url.PathEscape(q) + "/"})
	}
	return links
}
